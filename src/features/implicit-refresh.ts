/**
 * Implicit refresh for cookie sessions: when the access cookie is close to expiry, a successful
 * response carries a new one. Unlike AuthX, the new token keeps the custom claims and scopes,
 * revoked tokens are skipped, `implicitRefreshMethodInclude` includes, and error responses are
 * never touched (the adapters apply the cookies only to statuses below 400).
 */
import type { AuthXConfig } from '../config.ts'

/**
 * Whether implicit refresh may run for this route. Order as AuthX: route exclude, route include,
 * method exclude, then method include (non-empty means "only these").
 *
 * @param config - the instance's configuration
 * @param method - upper-case HTTP method
 * @param path - URL path without query
 */
export function isImplicitRefreshEligible(
  config: AuthXConfig,
  method: string,
  path: string,
): boolean {
  if (!config.tokenLocation.includes('cookies')) return false
  if (config.implicitRefreshRouteExclude.includes(path)) return false
  if (config.implicitRefreshRouteInclude.includes(path)) return true
  if ((config.implicitRefreshMethodExclude as readonly string[]).includes(method)) return false
  const include = config.implicitRefreshMethodInclude as readonly string[]
  return include.length === 0 || include.includes(method)
}

/**
 * Whether a response status lets refreshed cookies through (success and redirects only).
 *
 * @param status - the HTTP status of the response
 */
export function isRefreshableStatus(status: number): boolean {
  return status >= 200 && status < 400
}
