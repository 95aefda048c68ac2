/**
 * Scope matching with AuthX's rules: exact equality, or a granted scope ending in `:*` that covers
 * everything below it (`admin:*` grants `admin`, `admin:users`, `admin:users:edit`). Wildcards are
 * read only on the granted side, matching is case-sensitive, and a bare `*` is an ordinary scope.
 */

/**
 * Whether one granted scope satisfies one required scope.
 *
 * @param required - the scope a route asks for
 * @param granted - a scope the token carries
 */
export function scopeMatches(required: string, granted: string): boolean {
  if (required === granted) return true
  if (!granted.endsWith(':*')) return false
  const base = granted.slice(0, -2)
  return required === base || required.startsWith(`${base}:`)
}

/**
 * Whether the granted scopes satisfy the required ones.
 *
 * @param required - scopes the route asks for
 * @param granted - scopes the token carries, or undefined when it has no `scopes` claim
 * @param all - true: every required scope must match (AND); false: at least one (OR)
 * @defaultValue all - true
 *
 * @example AND and OR
 * ```ts
 * hasRequiredScopes(['read', 'write'], ['read'])                   // false
 * hasRequiredScopes(['admin', 'moderator'], ['moderator'], false)  // true
 * hasRequiredScopes(['admin:users'], ['admin:*'])                  // true
 * ```
 */
export function hasRequiredScopes(
  required: readonly string[],
  granted: readonly string[] | undefined,
  all = true,
): boolean {
  if (granted === undefined) return required.length === 0
  const satisfied = (r: string): boolean => granted.some((g) => scopeMatches(r, g))
  return all ? required.every(satisfied) : required.some(satisfied)
}
