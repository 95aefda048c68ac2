/**
 * The one guard protocol every framework binding runs: read the body if the guard needs it and
 * the framework did not, decide synchronously when the core can (`authenticateSync`), else wait
 * for the whole pipeline, attach the payload (and subject), and answer AuthX errors with the JSON
 * contract. Frameworks differ only in the primitives of their kit (`kit.ts`).
 */
import type { GuardResult } from '../../authx.ts'
import type { AuthXConfig } from '../../config/index.ts'
import { publishAuthenticationFailed } from '../../core/audit.ts'
import { isAuthXError } from '../../errors.ts'
import type { AuthXError, ErrorResponse } from '../../errors.ts'
import { TokenPayloadImpl } from '../../token/payload.ts'
import type { TokenPayload } from '../../token/payload.ts'
import type { RequestView, TokenLocation } from '../../types.ts'
import { PASS } from './kit.ts'
import type { AdapterKit, BodyNeed, Framework, GuardStep, Verdict } from './kit.ts'

/**
 * What a guard searching `locations` may need from the body, or undefined when it never looks
 * at the body (most guards: they then never wait for it).
 *
 * @param config - the instance's resolved configuration
 * @param locations - the guard's locations (default `tokenLocation`)
 */
export function bodyNeed(
  config: AuthXConfig,
  locations: readonly TokenLocation[] | undefined,
): BodyNeed | undefined {
  const where = locations ?? config.tokenLocation
  const json = where.includes('json')
  // The CSRF value comes from a form field only for cookie tokens.
  const form = config.csrfCheckForm && config.cookieCsrfProtect && where.includes('cookies')
  return json || form ? { json, form, csrfMethods: config.csrfMethods } : undefined
}

/** What a guard runs; see {@link defineGuard}. */
export interface GuardPlan {
  /** The authentication; resolves to the payload (and subject), or undefined to attach nothing. */
  readonly run: (view: RequestView) => Promise<GuardResult | undefined>
  /**
   * The same authentication without a promise, or undefined when there is none; it returns
   * undefined when it cannot finish synchronously, and the guard then awaits `run`, and null to
   * let the request through with nothing attached (an optional token that is absent).
   */
  readonly tryNow: ((view: RequestView) => TokenPayload | null | undefined) | undefined
  /** What to read from the body first (see {@link bodyNeed}). */
  readonly need: BodyNeed | undefined
}

/**
 * Builds a framework's guard from a plan. Everything per request is in the returned guard; the
 * closures here are made once per guard, so the synchronous path allocates nothing but the view.
 *
 * @param kit - the framework's primitives
 * @param render - renders an AuthX error as the contract (`auth.renderError`)
 * @param plan - the authentication and what it reads
 * @returns the framework's guard, named `authxGuard`
 */
export function defineGuard<F extends Framework>(
  kit: AdapterKit<F>,
  render: (error: AuthXError) => ErrorResponse,
  plan: GuardPlan,
): F['Guard'] {
  const { run, tryNow, need } = plan
  const refuse = (reply: F['Reply'], error: unknown, view: RequestView): Verdict<F> => {
    // Not an authentication failure: the framework's own error handling takes it.
    if (!isAuthXError(error)) throw error
    publishAuthenticationFailed(error, 'authenticate', view)
    return kit.send(reply, render(error))
  }
  const settle = (request: F['Request'], result: GuardResult | undefined): Verdict<F> => {
    // instanceof, not `'payload' in result`: custom claims also appear on a payload.
    if (result instanceof TokenPayloadImpl) kit.attach(request, result)
    else if (result !== undefined) {
      kit.attach(request, result.payload)
      kit.attachSubject(request, result.subject)
    }
    return PASS
  }
  const later = async (
    request: F['Request'],
    reply: F['Reply'],
    view: RequestView,
  ): Promise<Verdict<F>> => {
    let result: GuardResult | undefined
    try {
      result = await run(view)
    } catch (error) {
      return refuse(reply, error, view)
    }
    return settle(request, result)
  }
  const decide = (
    request: F['Request'],
    reply: F['Reply'],
    view: RequestView,
  ): Verdict<F> | Promise<Verdict<F>> => {
    if (tryNow === undefined) return later(request, reply, view)
    let payload: TokenPayload | null | undefined
    try {
      payload = tryNow(view)
    } catch (error) {
      return refuse(reply, error, view)
    }
    // Most routes are stateless: answered here, without a promise.
    if (payload === undefined) return later(request, reply, view)
    if (payload !== null) kit.attach(request, payload)
    return PASS
  }
  const afterBody = async (
    request: F['Request'],
    reply: F['Reply'],
    body: Promise<F['Body']>,
  ): Promise<Verdict<F>> => decide(request, reply, kit.view(request, await body))
  const readBody = kit.readBody
  const step: GuardStep<F> =
    need === undefined || readBody === undefined
      ? (request, reply) => decide(request, reply, kit.view(request))
      : (request, reply) => {
          const body = readBody(request, need)
          return body === undefined
            ? decide(request, reply, kit.view(request))
            : afterBody(request, reply, body)
        }
  const guard = kit.toGuard(step)
  Object.defineProperty(guard, 'name', { value: 'authxGuard' })
  return guard
}
