/**
 * The adapter kit: the few primitives a web framework must provide so that the one guard protocol
 * (`guard.ts`) and the shared binding (`bound.ts`) work on it. A binding is this kit, written once
 * for its framework, plus the members only that framework has. Nothing here knows a framework.
 */
import type { ErrorResponse } from '../../errors.ts'
import type { SetCookie } from '../../response/cookies.ts'
import type { TokenPayload } from '../../token/payload.ts'
import type { RequestView } from '../../types.ts'

/**
 * The types of one framework, named once so the kit and the binding agree on them.
 *
 * - `Request`: what a guard receives as the request (a Fastify request, an Express `req`, a Hono
 *   context);
 * - `Reply`: what the guard answers on (a Fastify reply, an Express `res`, the Hono context again);
 * - `Guard`: the framework's middleware shape the bound guards have;
 * - `App`: the application that `handleErrors` and `implicitRefresh` register on;
 * - `Answer`: what sending an error response returns (Hono middleware must return its `Response`);
 * - `Body`: what the kit's body reader hands to its view (`undefined` where the framework parses).
 */
export interface Framework {
  Request: object
  Reply: object
  Guard: object
  App: object
  Answer: unknown
  Body: unknown
}

/**
 * What a guard may have to read from the request body before it can look for a token: a JSON
 * body (a `json` location), or a form's CSRF field (cookie tokens with `csrfCheckForm`, only on a
 * CSRF method). Decided once per guard, so a guard that never needs the body pays nothing.
 */
export interface BodyNeed {
  /** A JSON body may hold the token. */
  readonly json: boolean
  /** A form body may hold the CSRF value, on the methods of `csrfMethods`. */
  readonly form: boolean
  /** The CSRF methods added to the unsafe ones (`isCsrfMethod`). */
  readonly csrfMethods: readonly string[]
}

/** The verdict of a guard step that let the request through (payload attached). */
export const PASS: unique symbol = Symbol('authx.pass')

/** What a guard step decides: {@link PASS}, or the framework's answer of the error it sent. */
export type Verdict<F extends Framework> = typeof PASS | F['Answer']

/**
 * One request through a guard, framework-neutral: it returns its verdict synchronously when it
 * could decide without waiting (the fast path), or a promise of it. It throws (or rejects with)
 * errors that are not AuthX's, which the framework's own error handling then takes.
 */
export type GuardStep<F extends Framework> = (
  request: F['Request'],
  reply: F['Reply'],
) => Verdict<F> | Promise<Verdict<F>>

/**
 * Decides, once a response's status and Set-Cookie values are final and before its head leaves,
 * which cookies to add to it. It never rejects.
 */
export type HeadDecision = (
  status: number,
  setCookies: readonly string[],
) => Promise<readonly SetCookie[]>

/**
 * The primitives one framework provides. Each is small and has no authentication logic: the
 * protocol around them is written once, in `guard.ts` and `bound.ts`.
 *
 * @example The shape of a binding
 * ```ts
 * const kit: AdapterKit<MyFramework> = { view, attach, attachSubject, payloadOf, subjectOf,
 *   send, appendCookie, beforeHeaders, toGuard, requestName: 'req' }
 * export class AuthX extends BoundAuthX<MyFramework> {
 *   constructor(options: AuthXOptions) { super(options, kit) }
 * }
 * ```
 */
export interface AdapterKit<F extends Framework> {
  /** How the binding's messages name the request (`auth.payload(req)`). */
  readonly requestName: string
  /**
   * Whether a value is the framework's own request (so the core methods, `authenticate`,
   * `getTokenFromRequest`..., take it as they take a Fetch `Request` or a `RequestView`). It must
   * be false for both of those.
   *
   * @param value - what a caller passed as the request
   */
  readonly isRequest: (value: object) => boolean
  /**
   * The core's view of a request, read lazily.
   *
   * @param request - the framework's request
   * @param body - what {@link AdapterKit.readBody} read, when it read something
   */
  readonly view: (request: F['Request'], body?: F['Body']) => RequestView
  /**
   * Reads the body a guard needs when the framework has not: undefined when there is nothing to
   * read (no body, already parsed, a content type that cannot hold the token), so the guard
   * stays synchronous. Absent where the framework always parses bodies itself.
   */
  readonly readBody?: (request: F['Request'], need: BodyNeed) => Promise<F['Body']> | undefined
  /** Puts a verified payload on the request, for `auth.payload(request)`. */
  readonly attach: (request: F['Request'], payload: TokenPayload) => void
  /** Puts the subject the getter loaded on the request, for `auth.subject(request)`. */
  readonly attachSubject: (request: F['Request'], subject: unknown) => void
  /** The payload a guard attached, or undefined. */
  readonly payloadOf: (request: F['Request']) => TokenPayload | undefined
  /** The subject a guard attached. */
  readonly subjectOf: (request: F['Request']) => unknown
  /** Sends an error response: status, headers and JSON body. */
  readonly send: (reply: F['Reply'], response: ErrorResponse) => F['Answer']
  /** Appends one Set-Cookie header, keeping those already on the reply. */
  readonly appendCookie: (reply: F['Reply'], header: string) => void
  /**
   * Hooks "before the response head is sent" on the routes of `app` (those declared after the
   * call): `prepare` runs ahead of the route's handlers and may return a decision, which the kit
   * runs once the status and Set-Cookie values are final, appending the cookies it returns.
   */
  readonly beforeHeaders: (
    app: F['App'],
    prepare: (request: F['Request']) => Promise<HeadDecision | null>,
  ) => void
  /** Turns a guard step into the framework's guard shape (hook, middleware). */
  readonly toGuard: (step: GuardStep<F>) => F['Guard']
}
