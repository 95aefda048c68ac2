/**
 * The request pipeline every guard runs: find the token (extraction), verify it (signature,
 * claims, type, freshness, CSRF on the request-line method), check revocation, check scopes.
 * `authenticateSync` is the same pipeline without a promise, for requests that need no store.
 *
 * @packageDocumentation
 */
import type { AuthXConfig } from '../config/index.ts'
import { InsufficientScopeError, MissingTokenError } from '../errors.ts'
import { extractToken, requireToken } from '../request/extract.ts'
import type { RequestToken } from '../request/extract.ts'
import { viewFromRequest } from '../request/view.ts'
import { hasRequiredScopes } from '../scopes.ts'
import type { CustomClaims, TokenPayload } from '../token/payload.ts'
import type { RequestLike, RequestView, TokenLocation } from '../types.ts'
import { publishAuthenticationFailed } from './audit.ts'
import type { Engine } from './engine.ts'
import type { GetTokenOptions, TokenGuardOptions } from './options.ts'

/**
 * Whether a request is a Fetch `Request` rather than a view. A view always has `header()`; a
 * Fetch Request never does. Cheaper on the hot path than reading the global `Request` (a lazy
 * getter in Node) for an instanceof check.
 *
 * @param value - a request
 */
export function isFetchRequest(value: RequestLike): value is Request {
  return typeof (value as Partial<RequestView>).header !== 'function'
}

/**
 * The core's view of a request: a view as it is, a Fetch `Request` read once (its body only when
 * a JSON location or the CSRF form field may need it).
 *
 * @param config - the instance's configuration
 * @param request - a Fetch `Request` or a view
 * @param locations - the locations searched, `tokenLocation` by default
 */
export async function toView(
  config: AuthXConfig,
  request: RequestLike,
  locations?: readonly TokenLocation[],
): Promise<RequestView> {
  if (!isFetchRequest(request)) return request
  const where = locations ?? config.tokenLocation
  return viewFromRequest(request, { json: where.includes('json'), form: config.csrfCheckForm })
}

/**
 * The view of a request whose body nobody needs: rate limits and implicit refresh read only the
 * method, path, headers and cookies, so a Fetch `Request`'s body is left unread.
 *
 * @param request - a Fetch `Request` or a view
 */
export async function toBodilessView(request: RequestLike): Promise<RequestView> {
  return isFetchRequest(request) ? viewFromRequest(request, { json: false, form: false }) : request
}

/**
 * Finds a token in a request without verifying it.
 *
 * @param config - the instance's configuration
 * @param view - the request
 * @param options - type, locations, extractor, and whether a missing token is an error
 */
export function findToken(
  config: AuthXConfig,
  view: RequestView,
  options: GetTokenOptions,
): RequestToken | null {
  const extract = {
    type: options.type ?? 'access',
    locations: options.locations,
    extractor: options.extractor,
  }
  if (options.optional === false) return requireToken(view, config, extract)
  try {
    return extractToken(view, config, extract)
  } catch (error) {
    // MissingCSRFTokenError too: a cookie without its CSRF value is no credential.
    if (error instanceof MissingTokenError) return null
    throw error
  }
}

/**
 * Throws InsufficientScopeError (403) unless the payload grants the scopes.
 *
 * @param payload - a verified payload
 * @param required - scopes the route needs
 * @param all - AND (true) or OR (false)
 */
export function assertScopes(payload: TokenPayload, required: readonly string[], all = true): void {
  if (!hasRequiredScopes(required, payload.scopes, all)) {
    throw new InsufficientScopeError(required, payload.scopes ?? [])
  }
}

/**
 * Extraction and verification of a request's token: what both pipelines share. Null when the
 * token is optional and the request has none.
 */
function verifyRequest<Extra extends CustomClaims>(
  engine: Engine,
  view: RequestView,
  options: TokenGuardOptions,
): { token: string; payload: TokenPayload<Extra> | Promise<TokenPayload<Extra>> } | null {
  const found = findToken(engine.config, view, {
    type: options.type,
    locations: options.locations,
    extractor: options.extractor ?? engine.tokenExtractor,
    optional: options.optional === true,
  })
  if (found === null) return null
  // CSRF: unless the route forces it, the verifier applies the rule extraction applied (`csrfApplies`).
  const payload = engine.verifier.verify<Extra>(found, {
    verifyType: options.verifyType,
    verifyFresh: options.verifyFresh,
    verifyCsrf: options.verifyCsrf,
  })
  const { scopes } = options
  if (payload instanceof Promise) {
    // A remote key set is fetching the key: the same checks, once it is there.
    return {
      token: found.token,
      payload: payload.then((verified) => {
        if (scopes !== undefined) assertScopes(verified, scopes, options.allScopes ?? true)
        return verified
      }),
    }
  }
  if (scopes !== undefined) assertScopes(payload, scopes, options.allScopes ?? true)
  return { token: found.token, payload }
}

/**
 * The whole pipeline: extract, verify, revocation, scopes.
 *
 * @param engine - the instance's engine
 * @param request - a Fetch `Request` or a view
 * @param options - what the route requires
 * @returns the payload; null only when `optional` and the request has no token
 * @throws AuthXError subclasses, rendered by the adapters as the JSON contract
 */
export async function authenticate<Extra extends CustomClaims = CustomClaims>(
  engine: Engine,
  request: RequestLike,
  options: TokenGuardOptions,
): Promise<TokenPayload<Extra> | null> {
  const view = await toView(engine.config, request, options.locations)
  try {
    const verified = verifyRequest<Extra>(engine, view, options)
    if (verified === null) return null
    const payload = await verified.payload
    if (engine.revocation.consulted) await engine.revocation.check(verified.token, payload)
    return payload
  } catch (error) {
    // The audit event of the refusal (core/audit.ts); nothing is built while nobody listens.
    publishAuthenticationFailed(error, 'authenticate', view)
    throw error
  }
}

/**
 * {@link authenticate} without a promise: the same checks in the same order, when none of them
 * needs the blocklist or a round trip to the store (a store with a near-cache may answer the
 * revocation check from memory).
 *
 * @param engine - the instance's engine
 * @param view - the request
 * @param options - what the route requires
 * @returns the payload; null when `optional` and the request has no token; undefined when
 *   revocation must be consulted or a key fetched (use `authenticate`)
 */
export function authenticateSync(
  engine: Engine,
  view: RequestView,
  options: TokenGuardOptions,
): TokenPayload | null | undefined {
  const revocation = engine.revocation
  // Without a synchronous answer from the store, verifying here would only be done twice.
  if (revocation.consulted && !revocation.answersSync) return undefined
  let verified: ReturnType<typeof verifyRequest>
  try {
    verified = verifyRequest(engine, view, options)
  } catch (error) {
    publishAuthenticationFailed(error, 'authenticate', view)
    throw error
  }
  if (verified === null) return null
  const { payload } = verified
  if (!(payload instanceof Promise)) {
    // Not known unrevoked from memory (or revoked): the awaited pipeline asks, and reports.
    if (revocation.consulted && !revocation.passesSync(payload)) return undefined
    return payload
  }
  // The key is being fetched: the awaited pipeline joins the same fetch.
  payload.catch(() => undefined)
  return undefined
}
