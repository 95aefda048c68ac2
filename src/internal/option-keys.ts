/**
 * Refusing option keys that no option has. A misspelt key (`allScopes` where the guard takes
 * `all`, `expiresIn` for `expires_in`) would otherwise be ignored without a word, and the route
 * would run with a default the author did not choose. The message names the nearest valid key.
 */

/**
 * The keys of an options type, checked by the compiler both ways: a key the type lacks does not
 * compile, nor does a list that misses one of the type's keys.
 *
 * @example
 * ```ts
 * const KEYS = optionKeys<{ a?: number; b?: string }>()({ a: true, b: true }) // ['a', 'b']
 * ```
 */
export function optionKeys<T extends object>(): (
  keys: Record<keyof Required<T>, true>,
) => readonly string[] {
  return (keys) => Object.freeze(Object.keys(keys))
}

/** Edit distance between two strings (insertions, deletions, substitutions), case-insensitive. */
function distance(a: string, b: string): number {
  const x = a.toLowerCase()
  const y = b.toLowerCase()
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j)
  for (let i = 1; i <= x.length; i++) {
    const current = [i]
    for (let j = 1; j <= y.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (x[i - 1] === y[j - 1] ? 0 : 1)
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution)
    }
    previous = current
  }
  return previous[y.length] ?? 0
}

/**
 * The valid key a misspelt one most likely meant: one that starts the other (`all` for
 * `allScopes`), else the closest by edit distance when it is close enough to be a typo.
 *
 * @param key - the unknown key
 * @param known - the valid keys
 * @returns the suggestion, or undefined when no key is near
 */
export function nearestKey(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase()
  const prefix = known.find((k) => {
    const candidate = k.toLowerCase()
    return candidate.length >= 3 && (lower.startsWith(candidate) || candidate.startsWith(lower))
  })
  if (prefix !== undefined && lower.length >= 3) return prefix
  // A part of a longer key: `scopes` for `accessScopes`.
  const part = lower.length >= 4 ? known.find((k) => k.toLowerCase().includes(lower)) : undefined
  if (part !== undefined) return part
  let best: string | undefined
  let bestDistance = Infinity
  for (const candidate of known) {
    const d = distance(key, candidate)
    if (d < bestDistance) {
      best = candidate
      bestDistance = d
    }
  }
  return bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined
}

/**
 * The message for an unknown key: what was called, the key, and the nearest valid key (or the
 * list of valid keys when none is near).
 *
 * @param where - the call or option it was passed to (`scopesRequired options`)
 * @param key - the unknown key
 * @param known - the valid keys
 */
export function unknownKeyMessage(where: string, key: string, known: readonly string[]): string {
  const near = nearestKey(key, known)
  const hint = near === undefined ? `valid keys: ${known.join(', ')}` : `did you mean '${near}'?`
  return `${where}: unknown option '${key}'; ${hint}`
}

/**
 * The first own key of `options` that is not in `known`, or undefined. Cheap enough for a call
 * per request: options objects hold a few keys.
 *
 * @param options - the options object a caller passed (anything but an object has no keys)
 * @param known - the valid keys
 */
export function unknownKey(options: unknown, known: readonly string[]): string | undefined {
  if (typeof options !== 'object' || options === null) return undefined
  for (const key of Object.keys(options)) if (!known.includes(key)) return key
  return undefined
}

/**
 * Throws a `TypeError` for the first unknown key of `options`: the misuse of an API, raised where
 * the call is made.
 *
 * @param where - the call it was passed to, for the message
 * @param options - the options object
 * @param known - the valid keys
 * @throws TypeError naming the key and the nearest valid one
 */
export function assertKnownKeys(where: string, options: unknown, known: readonly string[]): void {
  const error = unknownKeyError(where, options, known)
  if (error !== undefined) throw error
}

/**
 * The `TypeError` for the first unknown key of `options`, or undefined: for the methods that
 * return a promise, which reject with it instead of throwing.
 *
 * @param where - the call it was passed to, for the message
 * @param options - the options object
 * @param known - the valid keys
 */
export function unknownKeyError(
  where: string,
  options: unknown,
  known: readonly string[],
): TypeError | undefined {
  const key = unknownKey(options, known)
  return key === undefined ? undefined : new TypeError(unknownKeyMessage(where, key, known))
}
