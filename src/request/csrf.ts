/**
 * Double-submit CSRF: the value comparison, in constant time whatever the lengths.
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto'
import type { AuthXConfig } from '../config/index.ts'
import { isWellFormed } from '../internal/well-formed.ts'
import type { RequestToken } from './extract.ts'

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

/**
 * The one rule for when a cookie token needs its CSRF double-submit value: `cookieCsrfProtect`
 * is on and the request-line method is a CSRF method ({@link isCsrfMethod}). Extraction reads the
 * header (or form field) by it, and the verdict travels with the token it found, so guards,
 * `verifyToken` and `refresh` decide alike on the same request.
 *
 * @param config - the instance's `cookieCsrfProtect` and `csrfMethods`
 * @param method - the request-line method, in any case
 */
export function csrfApplies(
  config: Pick<AuthXConfig, 'cookieCsrfProtect' | 'csrfMethods'>,
  method: string,
): boolean {
  return config.cookieCsrfProtect && isCsrfMethod(config.csrfMethods, method)
}

/**
 * Cookie tokens found on a request where {@link csrfApplies} said no. A token built by hand (or
 * copied) is not in it, so verifying one still compares its CSRF value: unknown means checked.
 */
const CSRF_EXEMPT = new WeakSet<RequestToken>()

/**
 * Records that a cookie token was found where CSRF does not apply.
 *
 * @param token - the token extraction is returning
 */
export function markCsrfExempt(token: RequestToken): RequestToken {
  CSRF_EXEMPT.add(token)
  return token
}

/**
 * Whether verification compares a token's CSRF value by default (no `verifyCsrf` given): a cookie
 * token, under `cookieCsrfProtect`, unless it was found where CSRF does not apply.
 *
 * @param config - the instance's `cookieCsrfProtect`
 * @param token - the token being verified
 */
export function csrfExpected(
  config: Pick<AuthXConfig, 'cookieCsrfProtect'>,
  token: string | RequestToken,
): boolean {
  return (
    typeof token !== 'string' &&
    token.location === 'cookies' &&
    config.cookieCsrfProtect &&
    !CSRF_EXEMPT.has(token)
  )
}
