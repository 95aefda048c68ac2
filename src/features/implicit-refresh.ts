/**
 * Implicit refresh for cookie sessions: when the access cookie is close to expiry, a successful
 * response carries a new one. Unlike AuthX, the new token keeps the custom claims and scopes,
 * revoked tokens are skipped, `implicitRefreshMethodInclude` includes, and error responses are
 * never touched: the adapters ask `PendingRefresh.confirm` once the response is known, which drops
 * the cookies on an error status, on a response that sets or deletes an auth cookie itself, and
 * when the token was revoked during the request.
 */
import type { AuthXConfig } from '../config/index.ts'
import { tokenRefreshedChannel } from '../core/audit.ts'
import type { TokenRefreshedEvent } from '../core/audit.ts'
import { assertDerivable, carriedClaims, familyDeadlineOf } from '../core/derived.ts'
import type { Engine } from '../core/engine.ts'
import { toBodilessView } from '../core/pipeline.ts'
import { AuthXError } from '../errors.ts'
import { extractToken } from '../request/extract.ts'
import type { SetCookie } from '../response/cookies.ts'
import type { TokenPayload } from '../token/payload.ts'
import type { RequestLike } from '../types.ts'
import { normalizeRatePath } from './rate-limit.ts'

/**
 * A replacement access cookie decided before the handler ran (implicit refresh). The adapter asks
 * `confirm` once the response is known and appends only what it returns.
 */
export interface PendingRefresh {
  /** The Set-Cookie values of the new access token and its CSRF cookie. */
  readonly cookies: readonly SetCookie[]
  /**
   * Decides after the handler whether the cookies go out. They do not on an error status, when
   * the response sets or deletes an auth cookie itself (a login or a logout), or when the source
   * token (or its session, family or subject) was revoked during the request.
   *
   * @param status - the response status
   * @param setCookies - the Set-Cookie header values the response already carries
   * @returns the cookies to append; empty when the refresh is dropped
   */
  confirm(status: number, setCookies: readonly string[]): Promise<readonly SetCookie[]>
}

/** Each route list of a configuration, folded once (configurations are frozen). */
const foldedRoutes = new WeakMap<readonly string[], ReadonlySet<string>>()

function folded(routes: readonly string[]): ReadonlySet<string> {
  let set = foldedRoutes.get(routes)
  if (set === undefined) {
    set = new Set(routes.map(normalizeRatePath))
    foldedRoutes.set(routes, set)
  }
  return set
}

/**
 * Whether implicit refresh may run for this route. Order as AuthX: route exclude, route include,
 * method exclude, then method include (non-empty means "only these").
 *
 * Routes are compared folded as {@link normalizeRatePath} folds them (escapes decoded, case and
 * repeated or trailing slashes ignored), because routers send several spellings to one route:
 * Express matches `/LOGOUT` and `/logout/` with `/logout`, so an exact comparison would let a
 * respelled request slip past `implicitRefreshRouteExclude`. Folding may exclude (or include) a
 * spelling that the router sends elsewhere; an exclusion only withholds a convenience, and an
 * inclusion still needs a valid cookie and a successful response.
 *
 * The method is the request line's (never one a method-override middleware put in its place),
 * as for the CSRF check: one request has one method for every decision AuthX makes on it.
 *
 * @param config - the instance's configuration
 * @param method - the request-line method, in any case
 * @param path - URL path without query, as the router matched it
 */
export function isImplicitRefreshEligible(
  config: AuthXConfig,
  method: string,
  path: string,
): boolean {
  if (!config.tokenLocation.includes('cookies')) return false
  const route = normalizeRatePath(path)
  if (folded(config.implicitRefreshRouteExclude).has(route)) return false
  if (folded(config.implicitRefreshRouteInclude).has(route)) return true
  const upper = method.toUpperCase()
  if ((config.implicitRefreshMethodExclude as readonly string[]).includes(upper)) return false
  const include = config.implicitRefreshMethodInclude as readonly string[]
  return include.length === 0 || include.includes(upper)
}

/**
 * Whether a response status lets refreshed cookies through (success and redirects only).
 *
 * @param status - the HTTP status of the response
 */
function isRefreshableStatus(status: number): boolean {
  return status >= 200 && status < 400
}

/** The cookie name of a Set-Cookie header value (what precedes the first `=`). */
function setCookieName(header: string): string {
  const eq = header.indexOf('=')
  return (eq === -1 ? header : header.slice(0, eq)).trim()
}

/**
 * Implicit refresh, first half: before the handler runs, decide whether the request's access
 * cookie is valid (CSRF included, by the guards' rule), not revoked, of the instance's login type,
 * and has less than `implicitRefreshDeltatime` left; if so, mint its replacement (same subject,
 * custom claims, scopes, audience, session and family deadline; not fresh). The adapter sends the
 * cookies only if `confirm` still allows it once the handler has answered.
 *
 * @param engine - the instance's engine
 * @param request - a Fetch `Request` or a view
 * @returns the pending refresh, or null when nothing should be refreshed
 */
export async function prepareImplicitRefresh(
  engine: Engine,
  request: RequestLike,
): Promise<PendingRefresh | null> {
  const { config, revocation } = engine
  const view = await toBodilessView(request)
  if (!isImplicitRefreshEligible(config, view.method, view.path)) return null
  let source: string
  let payload: TokenPayload
  try {
    const found = extractToken(view, config, { type: 'access', locations: ['cookies'] })
    if (found === null) return null
    source = found.token
    // The same CSRF rule as the guards (`csrfApplies`, recorded on the token by extraction): a
    // cross-site request gets no new cookie either.
    payload = await engine.verify(found)
    assertDerivable(config, payload)
  } catch (error) {
    // Any auth failure just means "nothing to refresh"; the route's own guard decides access.
    if (error instanceof AuthXError) return null
    throw error
  }
  const left = payload.timeUntilExpiry()
  if (left === null || left >= config.implicitRefreshDeltatime) return null
  const deadline = familyDeadlineOf(payload)
  if (deadline !== undefined && deadline <= config.clock()) return null
  const options = { ...carriedClaims(payload), fresh: false, familyId: payload.fam }
  const cookies = engine.cookies(
    'access',
    engine.mint.token('access', payload.sub, options, deadline),
    undefined,
  )
  const authCookies = authCookieNames(config)
  return {
    cookies,
    confirm: async (status, setCookies) => {
      if (!isRefreshableStatus(status)) return []
      // A response that sets or deletes an auth cookie itself (a login, a logout) has the last
      // word: appending our replacement after it would undo a logout.
      if (setCookies.some((header) => authCookies.has(setCookieName(header)))) return []
      // The handler may have revoked the very token (or its session) this refresh came from.
      if (revocation.consulted) {
        try {
          await revocation.check(source, payload)
        } catch (error) {
          if (error instanceof AuthXError) return []
          throw error
        }
      }
      if (tokenRefreshedChannel.hasSubscribers) {
        const event: TokenRefreshedEvent = {
          sub: payload.sub,
          jti: payload.jti,
          fam: payload.fam,
          sid: payload.sid,
          rotated: false,
          implicit: true,
        }
        tokenRefreshedChannel.publish(event)
      }
      return cookies
    },
  }
}

/** The names of every cookie an instance writes (tokens and CSRF values). */
function authCookieNames(config: AuthXConfig): ReadonlySet<string> {
  return new Set([
    config.accessCookieName,
    config.refreshCookieName,
    config.accessCsrfCookieName,
    config.refreshCsrfCookieName,
  ])
}
