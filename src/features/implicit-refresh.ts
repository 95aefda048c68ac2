/**
 * Implicit refresh for cookie sessions: when the access cookie is close to expiry, a successful
 * response carries a new one. Unlike AuthX, the new token keeps the custom claims and scopes,
 * revoked tokens are skipped, `implicitRefreshMethodInclude` includes, and error responses are
 * never touched: the adapters ask `PendingRefresh.confirm` once the response is known, which drops
 * the cookies on an error status, on a response that sets or deletes an auth cookie itself, and
 * when the token was revoked during the request.
 */
import type { AuthXConfig } from '../config/index.ts'
import { normalizeRatePath } from './rate-limit.ts'

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
export function isRefreshableStatus(status: number): boolean {
  return status >= 200 && status < 400
}
