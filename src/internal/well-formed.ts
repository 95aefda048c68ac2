/**
 * Well-formed UTF-16: no lone surrogate. Identifiers that become claims, store keys or compared
 * values must be well-formed, because encoding to UTF-8 turns every lone surrogate into U+FFFD, so
 * two different strings (`'a\ud800'`, `'a\ufffd'`) would meet as one.
 */

/** The ES2024 string methods (Node 20), typed here since the build targets ES2023. */
const { isWellFormed: nativeIsWellFormed, toWellFormed: nativeToWellFormed } =
  String.prototype as unknown as {
    readonly isWellFormed: (this: string) => boolean
    readonly toWellFormed: (this: string) => string
  }

/**
 * Whether a string has no lone surrogate, i.e. survives a round trip through UTF-8 unchanged.
 *
 * @param value - a string
 */
export function isWellFormed(value: string): boolean {
  return nativeIsWellFormed.call(value)
}

/**
 * The string with every lone surrogate replaced by U+FFFD, as UTF-8 encoding would do anyway.
 *
 * @param value - a string
 */
export function toWellFormed(value: string): string {
  return nativeToWellFormed.call(value)
}
