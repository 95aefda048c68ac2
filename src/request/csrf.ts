/**
 * Double-submit CSRF: the value comparison, in constant time whatever the lengths.
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto'
import { isWellFormed } from '../internal/well-formed.ts'

/**
 * Compares two CSRF values in constant time. Both are hashed first so that unequal lengths
 * neither throw (`timingSafeEqual` does on them) nor leak through an early return.
 *
 * @param presented - the value from the request header or form
 * @param expected - the `csrf` claim of the verified token
 */
export function csrfMatches(presented: string, expected: string): boolean {
  // Hashed as UTF-8, a lone surrogate would equal U+FFFD: such a value matches nothing.
  if (expected.length === 0 || !isWellFormed(presented) || !isWellFormed(expected)) return false
  const a = createHash('sha256').update(presented).digest()
  const b = createHash('sha256').update(expected).digest()
  return timingSafeEqual(a, b)
}

/** A fresh CSRF value for the `csrf` claim. */
export function createCsrfValue(): string {
  return randomUUID()
}

/**
 * Methods that never carry a CSRF value: the safe methods of RFC 9110 section 9.2.1. Every other
 * method, including ones no allowlist foresaw (`PURGE`, `PROPFIND`...), is treated as unsafe.
 */
const CSRF_EXEMPT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * Whether a cookie-carried token needs the CSRF double-submit value on this method: every method
 * but GET, HEAD and OPTIONS, plus any the instance's `csrfMethods` adds (it can only add: a
 * method left out of it is still checked). Callers pass the request-line method, never one a
 * method-override middleware rewrote, so a form POST cannot be relabelled as safe.
 *
 * @param csrfMethods - the instance's `csrfMethods` (upper case)
 * @param method - the request-line method, in any case
 */
export function isCsrfMethod(csrfMethods: readonly string[], method: string): boolean {
  const upper = method.toUpperCase()
  return !CSRF_EXEMPT_METHODS.has(upper) || csrfMethods.includes(upper)
}
