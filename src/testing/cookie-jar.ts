/**
 * Cookie jars for tests: the cookies `setAccessCookies` / `setRefreshCookies` would have set,
 * with the same names, paths and attributes, in the shapes test clients take (an object of
 * names and values, a `Cookie` header, Playwright's `addCookies` entries), plus the CSRF header
 * the page's script would send.
 *
 * @packageDocumentation
 */
import type { AuthXConfig } from '../config/index.ts'
import { tokenCookies } from '../response/cookies.ts'
import type { SetCookie } from '../response/cookies.ts'
import type { TokenType } from '../types.ts'

/** A cookie in the shape of Playwright's `browserContext.addCookies`. */
export interface PlaywrightCookie {
  name: string
  value: string
  domain: string
  path: string
  /** Seconds since the epoch; -1 for a session cookie. */
  expires: number
  httpOnly: boolean
  secure: boolean
  sameSite?: 'Strict' | 'Lax' | 'None'
}

/** The cookies of a login, ready for a test client. */
export interface TestCookieJar {
  /** Cookie names and values: Fastify's `app.inject({ cookies })`. */
  readonly cookies: Readonly<Record<string, string>>
  /** The `Cookie` header value (`a=1; b=2`): supertest, Hono's `app.request`, `fetch`. */
  readonly cookieHeader: string
  /** The CSRF values of the tokens in the jar (each token's own `csrf` claim). */
  readonly csrf: { readonly access?: string; readonly refresh?: string }
  /**
   * The headers of a request that changes something: `cookie` and the CSRF header of the token
   * the route reads, filled as a page's script would fill it.
   *
   * @param type - the token the route reads
   * @defaultValue type - `"access"`
   * @throws TypeError when the jar holds no token of that type
   */
  headers(type?: TokenType): Record<string, string>
  /**
   * The cookies as Playwright's `browserContext.addCookies` takes them.
   *
   * @param url - the application's base URL; its host becomes the cookies' domain unless
   *   `cookieDomain` is configured
   */
  playwright(url: string | URL): PlaywrightCookie[]
}

const SAME_SITE = { strict: 'Strict', lax: 'Lax', none: 'None' } as const

function toPlaywright(cookie: SetCookie, host: string, now: number): PlaywrightCookie {
  const { options } = cookie
  const sameSite = options.sameSite
  const entry: PlaywrightCookie = {
    name: cookie.name,
    value: cookie.value,
    domain: options.domain ?? host,
    path: options.path ?? '/',
    expires: options.maxAge === undefined ? -1 : now + options.maxAge,
    httpOnly: options.httpOnly === true,
    secure: options.secure === true,
  }
  if (typeof sameSite === 'string' && sameSite in SAME_SITE) entry.sameSite = SAME_SITE[sameSite]
  return entry
}

/** One token and its CSRF value, as the jar receives them. */
export interface JarToken {
  readonly token: string
  readonly csrf: string
}

/**
 * Builds the jar for the given tokens.
 *
 * @param config - the instance's configuration (names, paths, attributes)
 * @param tokens - the access and/or refresh token with its CSRF value
 */
export function buildCookieJar(
  config: AuthXConfig,
  tokens: { readonly access?: JarToken | undefined; readonly refresh?: JarToken | undefined },
): TestCookieJar {
  const set: SetCookie[] = []
  for (const type of ['access', 'refresh'] as const) {
    const entry = tokens[type]
    if (entry !== undefined)
      set.push(...tokenCookies(config, type, entry.token, entry.csrf, undefined))
  }
  const cookies = Object.fromEntries(set.map((cookie) => [cookie.name, cookie.value]))
  const cookieHeader = set.map((cookie) => `${cookie.name}=${cookie.value}`).join('; ')
  const csrf = {
    ...(tokens.access === undefined ? {} : { access: tokens.access.csrf }),
    ...(tokens.refresh === undefined ? {} : { refresh: tokens.refresh.csrf }),
  }
  return Object.freeze({
    cookies: Object.freeze(cookies),
    cookieHeader,
    csrf: Object.freeze(csrf),
    headers(type: TokenType = 'access'): Record<string, string> {
      const value = csrf[type]
      if (value === undefined) throw new TypeError(`this jar holds no ${type} token`)
      const name = type === 'access' ? config.accessCsrfHeaderName : config.refreshCsrfHeaderName
      return { cookie: cookieHeader, [name]: value }
    },
    playwright(url: string | URL): PlaywrightCookie[] {
      const host = new URL(url).hostname
      // The browser counts Max-Age on its own wall clock, whatever clock the instance runs on.
      const now = Math.floor(Date.now() / 1000)
      return set.map((cookie) => toPlaywright(cookie, host, now))
    },
  })
}
