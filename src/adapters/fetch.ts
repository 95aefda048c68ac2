/**
 * The Fetch-API integration: helpers for `(request: Request) => Promise<Response>` handlers, the
 * shape of Bun.serve, Deno.serve, Cloudflare Workers and Next.js route handlers. The core `AuthX`
 * already takes a Fetch `Request` (`authenticate`, `getTokenFromRequest`) and renders errors as a
 * `Response` (`errorResponse`); these helpers only remove the boilerplate around them.
 *
 * @example A protected Next.js route handler
 * ```ts
 * import { AuthX } from 'authx-ts'
 * import { withAuth } from 'authx-ts/fetch'
 * const auth = new AuthX({ secretKey: process.env.JWT_SECRET_KEY })
 * export const GET = withAuth(auth, {}, (request, { payload }) => Response.json({ user: payload.sub }))
 * ```
 *
 * @packageDocumentation
 */
import type { AuthX, TokenGuardOptions } from '../authx.ts'
import { TOKEN_GUARD_OPTION_KEYS } from '../core/options.ts'
import { isAuthXError } from '../errors.ts'
import { assertKnownKeys } from '../internal/option-keys.ts'
import type { SetCookie } from '../response/cookies.ts'
import type { CustomClaims, TokenPayload } from '../token/payload.ts'
import { appendSetCookies } from './shared/response.ts'

/** A Fetch-API request handler. */
export type FetchHandler = (request: Request) => Promise<Response>

/** What a guarded handler receives besides the request. */
export interface AuthContext<Extra extends CustomClaims = CustomClaims, Subject = unknown> {
  /** The verified payload. */
  payload: TokenPayload<Extra>
  /** The subject from the subject getter; only set when `subject: true` was asked for. */
  subject: Subject
}

/** Options of {@link withAuth}: the guard's options, plus whether to load the subject. */
export interface WithAuthOptions extends TokenGuardOptions {
  /** Load the subject with the registered getter (401 SubjectNotFoundError if it finds none). */
  subject?: boolean | undefined
}

const WITH_AUTH_OPTION_KEYS: readonly string[] = [...TOKEN_GUARD_OPTION_KEYS, 'subject']

/** What an optionally guarded handler receives besides the request. */
export interface OptionalAuthContext<Extra extends CustomClaims = CustomClaims> {
  /** The verified payload, or null when the request came without a token. */
  payload: TokenPayload<Extra> | null
}

/** A handler behind {@link withAuth} with `optional: true`. */
export type OptionalGuardedHandler<Extra extends CustomClaims = CustomClaims> = (
  request: Request,
  context: OptionalAuthContext<Extra>,
) => Response | Promise<Response>

/** A handler behind {@link withAuth}. */
export type GuardedHandler<Extra extends CustomClaims = CustomClaims, Subject = unknown> = (
  request: Request,
  context: AuthContext<Extra, Subject>,
) => Response | Promise<Response>

/**
 * Wraps a handler so AuthX errors it throws (for example from `auth.verifyToken` or
 * `auth.getRefreshTokenFromRequest`) become the JSON error contract; other errors propagate to
 * the runtime untouched.
 *
 * @param auth - the AuthX instance
 * @param handler - any Fetch handler
 * @returns a handler that never lets an AuthX error escape
 *
 * @example The seed's refresh route
 * ```ts
 * export const POST = handleErrors(auth, async (request) => {
 *   const payload = await auth.verifyToken(await auth.getRefreshTokenFromRequest(request))
 *   return Response.json({ access_token: auth.createAccessToken(payload.sub) })
 * })
 * ```
 */
export function handleErrors(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  auth: AuthX<any>,
  handler: (request: Request) => Response | Promise<Response>,
): FetchHandler {
  return async function authxHandleErrors(request: Request): Promise<Response> {
    try {
      return await handler(request)
    } catch (error) {
      if (isAuthXError(error)) return auth.errorResponse(error)
      throw error
    }
  }
}

/**
 * Guards a handler: the request is authenticated first (the whole pipeline of
 * `auth.authenticate`), and the handler runs only when it passes, with the payload (and subject).
 * AuthX errors, from the guard or thrown by the handler, become the JSON error contract. A token
 * in a JSON body is read from a clone, so the handler can still read the body.
 *
 * @param auth - the AuthX instance
 * @param options - what the route requires: `type`, `verifyFresh`, `locations`, `scopes`,
 *   `allScopes`, `subject`...
 * @param handler - runs with the request and `{ payload, subject }`
 * @returns a Fetch handler
 *
 * @example A fresh token with the `admin` scope, and the user loaded
 * ```ts
 * auth.setSubjectGetter((sub) => users.find(sub))
 * const handler = withAuth(auth, { verifyFresh: true, scopes: ['admin'], subject: true },
 *   (request, { subject }) => Response.json(subject))
 * Bun.serve({ fetch: handler })
 * ```
 */
export function withAuth<Extra extends CustomClaims = CustomClaims>(
  auth: AuthX<Extra> | AuthX,
  options: WithAuthOptions & { optional: true; subject?: false | undefined },
  handler: OptionalGuardedHandler<Extra>,
): FetchHandler
export function withAuth<Extra extends CustomClaims = CustomClaims, Subject = unknown>(
  auth: AuthX<Extra> | AuthX,
  options: WithAuthOptions & { optional?: false | undefined },
  handler: GuardedHandler<Extra, Subject>,
): FetchHandler
export function withAuth<Extra extends CustomClaims = CustomClaims, Subject = unknown>(
  auth: AuthX<Extra> | AuthX,
  options: WithAuthOptions,
  handler: GuardedHandler<Extra, Subject> | OptionalGuardedHandler<Extra>,
): FetchHandler {
  assertKnownKeys('withAuth', options, WITH_AUTH_OPTION_KEYS)
  const { subject: loadSubject = false, optional = false, ...guard } = options
  if (optional) {
    if (loadSubject)
      throw new TypeError('withAuth: subject: true needs a token, not optional: true')
    const run = handler as OptionalGuardedHandler<Extra>
    return handleErrors(auth, async (request) =>
      run(request, { payload: await auth.authenticateOptional<Extra>(request, guard) }),
    )
  }
  const run = handler as GuardedHandler<Extra, Subject>
  return handleErrors(auth, async (request) => {
    const payload = await auth.authenticate<Extra>(request, guard)
    const subject = loadSubject ? await auth.getSubject<Subject>(payload) : (undefined as Subject)
    return run(request, { payload, subject })
  })
}

/**
 * Adds Set-Cookie headers to a response: the cookies of `auth.accessCookies(token)`,
 * `auth.refreshCookies(token)` or `auth.unsetCookies()`. A response whose headers are immutable
 * (one returned by `fetch()` or `Response.redirect()`) is copied first.
 *
 * @param response - the response to decorate
 * @param cookies - the cookies to set or delete
 * @returns the response carrying the cookies (the same object when its headers were mutable)
 *
 * @example Logging in with cookies
 * ```ts
 * const token = auth.createAccessToken(user.id, { fresh: true })
 * return applyCookies(Response.json({ ok: true }), auth.accessCookies(token))
 * ```
 */
export function applyCookies(response: Response, cookies: readonly SetCookie[]): Response {
  if (appendSetCookies(response.headers, cookies)) return response
  // Immutable headers: copy the response (its body stream moves over) and start again.
  const copy = new Response(response.body, response)
  appendSetCookies(copy.headers, cookies)
  return copy
}
