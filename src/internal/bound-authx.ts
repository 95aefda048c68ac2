/**
 * What every framework binding shares: the cookie helpers that write the core's Set-Cookie
 * values onto the framework's reply object. Each adapter extends this with its reply type and
 * says how one Set-Cookie header is appended.
 */
import { AuthX as CoreAuthX } from '../authx.ts'
import type { SetCookie } from '../request/cookies.ts'

/**
 * The core `AuthX` with cookie helpers over a framework's reply type `Reply` (a Fastify reply,
 * an Express response, a Hono context).
 */
export abstract class BoundAuthX<Reply extends object> extends CoreAuthX {
  /** Appends the cookies to the reply, keeping the Set-Cookie headers already there. */
  protected abstract writeCookies(reply: Reply, cookies: readonly SetCookie[]): void

  /**
   * Sets the access-token cookie (and its CSRF cookie).
   *
   * @param token - an access token of this instance
   * @param reply - the framework's reply
   * @param maxAge - seconds (default `cookieMaxAge`)
   */
  setAccessCookies(token: string, reply: Reply, maxAge?: number): void {
    this.writeCookies(reply, this.accessCookies(token, maxAge === undefined ? {} : { maxAge }))
  }

  /**
   * Sets the refresh-token cookie (and its CSRF cookie).
   *
   * @param token - a refresh token of this instance
   * @param reply - the framework's reply
   * @param maxAge - seconds (default `cookieMaxAge`)
   */
  setRefreshCookies(token: string, reply: Reply, maxAge?: number): void {
    this.writeCookies(reply, this.refreshCookies(token, maxAge === undefined ? {} : { maxAge }))
  }

  /** Deletes the access cookies. @param reply - the framework's reply */
  unsetAccessCookies(reply: Reply): void {
    this.writeCookies(reply, super.unsetCookies('access'))
  }

  /** Deletes the refresh cookies. @param reply - the framework's reply */
  unsetRefreshCookies(reply: Reply): void {
    this.writeCookies(reply, super.unsetCookies('refresh'))
  }

  /**
   * Deletes every AuthX cookie on a reply; with `"access"`, `"refresh"` or nothing, only returns
   * the deletions (the core behaviour).
   *
   * @param target - the framework's reply, or which cookies
   */
  override unsetCookies(target?: Reply | 'access' | 'refresh' | 'both'): SetCookie[] {
    if (typeof target !== 'object') return super.unsetCookies(target)
    const cookies = super.unsetCookies('both')
    this.writeCookies(target, cookies)
    return cookies
  }
}
