/**
 * Double-submit CSRF: the value comparison, in constant time whatever the lengths.
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto'

/**
 * Compares two CSRF values in constant time. Both are hashed first so that unequal lengths
 * neither throw (`timingSafeEqual` does on them) nor leak through an early return.
 *
 * @param presented - the value from the request header or form
 * @param expected - the `csrf` claim of the verified token
 */
export function csrfMatches(presented: string, expected: string): boolean {
  if (expected.length === 0) return false
  const a = createHash('sha256').update(presented).digest()
  const b = createHash('sha256').update(expected).digest()
  return timingSafeEqual(a, b)
}

/** A fresh CSRF value for the `csrf` claim. */
export function createCsrfValue(): string {
  return randomUUID()
}
