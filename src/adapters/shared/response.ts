/**
 * Set-Cookie on a Fetch `Response`, shared by the bindings whose replies are Fetch responses (Hono's
 * implicit refresh, the Fetch integration's `applyCookies`).
 */
import type { SetCookie } from '../../response/cookies.ts'

/**
 * Appends the cookies to a response's headers, keeping those already there.
 *
 * @param headers - the response's headers
 * @param cookies - the cookies to set or delete
 * @returns false, having added none, when the headers are immutable (a response returned by
 *   `fetch()` or `Response.redirect()`): the caller copies the response and tries again
 */
export function appendSetCookies(headers: Headers, cookies: readonly SetCookie[]): boolean {
  try {
    for (const cookie of cookies) headers.append('Set-Cookie', cookie.header)
    return true
  } catch {
    // Immutability is a property of the whole Headers object: the first append threw.
    return false
  }
}
