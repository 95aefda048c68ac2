/**
 * Set-Cookie values for token and CSRF cookies. The core only builds them; each adapter writes
 * them to its reply. Deletions carry the same Path, Domain, Secure, SameSite and HttpOnly as the
 * cookie they delete (AuthX dropped them, so browsers could keep a `Secure` cookie alive).
 */
import { serialize } from 'cookie'
import type { TokenType } from '../types.ts'
import type { SerializeOptions } from 'cookie'
import type { AuthXConfig } from '../config/index.ts'

/** One cookie to set or delete. */
export interface SetCookie {
  /** Cookie name. */
  readonly name: string
  /** Cookie value (`""` for a deletion). */
  readonly value: string
  /** Its attributes. */
  readonly options: Readonly<SerializeOptions>
  /** The whole `Set-Cookie` header value. */
  readonly header: string
}

function makeCookie(name: string, value: string, options: SerializeOptions): SetCookie {
  return Object.freeze({
    name,
    value,
    options: Object.freeze(options),
    header: serialize(name, value, options),
  })
}

/** The attributes shared by every cookie of one kind. */
function attributes(config: AuthXConfig, path: string, httpOnly: boolean): SerializeOptions {
  const options: SerializeOptions = { path, secure: config.cookieSecure, httpOnly }
  if (config.cookieDomain !== null) options.domain = config.cookieDomain
  if (config.cookieSamesite !== null) options.sameSite = config.cookieSamesite
  return options
}

function names(config: AuthXConfig, type: TokenType) {
  return type === 'access'
    ? {
        token: config.accessCookieName,
        tokenPath: config.accessCookiePath,
        csrf: config.accessCsrfCookieName,
        csrfPath: config.accessCsrfCookiePath,
      }
    : {
        token: config.refreshCookieName,
        tokenPath: config.refreshCookiePath,
        csrf: config.refreshCsrfCookieName,
        csrfPath: config.refreshCsrfCookiePath,
      }
}

function withCsrf(config: AuthXConfig): boolean {
  return config.cookieCsrfProtect && config.csrfInCookies
}

/**
 * The cookies that carry a token (and its readable CSRF value).
 *
 * @param config - the instance's configuration
 * @param type - access or refresh
 * @param token - the token to store
 * @param csrf - the token's `csrf` claim
 * @param maxAge - seconds; `undefined` uses `cookieMaxAge`, null makes a session cookie
 */
export function tokenCookies(
  config: AuthXConfig,
  type: TokenType,
  token: string,
  csrf: string,
  maxAge: number | null | undefined,
): SetCookie[] {
  const n = names(config, type)
  const age = maxAge === undefined ? config.cookieMaxAge : maxAge
  const withAge = (options: SerializeOptions): SerializeOptions =>
    age === null ? options : { ...options, maxAge: age }
  const cookies = [
    makeCookie(n.token, token, withAge(attributes(config, n.tokenPath, config.cookieHttpOnly))),
  ]
  // The CSRF cookie is readable by the page's script on purpose: it copies it into the header.
  if (withCsrf(config))
    cookies.push(makeCookie(n.csrf, csrf, withAge(attributes(config, n.csrfPath, false))))
  return cookies
}

/**
 * Deletions of the token cookie (and CSRF cookie) of one kind.
 *
 * @param config - the instance's configuration
 * @param type - access or refresh
 */
export function deletionCookies(config: AuthXConfig, type: TokenType): SetCookie[] {
  const n = names(config, type)
  const gone = { maxAge: 0, expires: new Date(0) }
  const cookies = [
    makeCookie(n.token, '', { ...attributes(config, n.tokenPath, config.cookieHttpOnly), ...gone }),
  ]
  if (withCsrf(config))
    cookies.push(makeCookie(n.csrf, '', { ...attributes(config, n.csrfPath, false), ...gone }))
  return cookies
}
