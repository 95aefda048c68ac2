/**
 * The test kit: tokens of any type, scope, freshness, lifetime or age for one AuthX instance,
 * minted with that instance's own configuration (its key, algorithm, issuer, audience, login type,
 * identity claim, CSRF and rotation settings), without a login route; and the headers, bodies and
 * cookie jars that carry them in a test request.
 *
 * @packageDocumentation
 */
import type { AuthXConfig } from '../config/index.ts'
import { TokenMinter } from '../core/mint.ts'
import type { CreateTokenOptions } from '../core/options.ts'
import type { Duration } from '../internal/duration.ts'
import type { CustomClaims } from '../token/payload.ts'
import type { TokenType } from '../types.ts'
import { isTestClock } from './clock.ts'
import { buildCookieJar } from './cookie-jar.ts'
import type { JarToken, TestCookieJar } from './cookie-jar.ts'

/**
 * What the kit uses of an AuthX instance (any binding's `AuthX` has it): its configuration, and
 * its own token creation, so the kit's tokens take the path the application's tokens take (the
 * signing key it uses now, the audit events of every issued token).
 */
export interface HasAuthXConfig {
  readonly config: AuthXConfig
  createAccessToken?(uid: string | number, options: CreateTokenOptions): string
  createRefreshToken?(uid: string | number, options: CreateTokenOptions): string
}

/** The token a test asks for. Everything is optional; the defaults are the instance's own. */
export interface TestTokenOptions {
  /** @defaultValue `"access"` */
  type?: TokenType | undefined
  /** The subject. @defaultValue `"test-user"` */
  sub?: string | number | undefined
  /** Access tokens only: straight from a credential login. @defaultValue false */
  fresh?: boolean | undefined
  /** The `scopes` claim. */
  scopes?: readonly string[] | undefined
  /** Custom claims (reserved names throw a `TypeError`, as in `createAccessToken`). */
  data?: CustomClaims | undefined
  /** The `aud` claim. @defaultValue `encodeAudience` */
  audience?: string | string[] | undefined
  /**
   * Lifetime from the issue time: seconds, `"15m"`, an absolute `Date`, or null for none. A
   * negative number gives a token that has already expired.
   *
   * @defaultValue the instance's `accessTokenExpires` / `refreshTokenExpires`
   */
  expiresIn?: Duration | Date | null | undefined
  /** Shorthand for a token that expired a minute before the issue time's clock. */
  expired?: boolean | undefined
  /**
   * When the token is issued (its `iat`, and `nbf` when `encodeNbf`): seconds since the epoch or
   * a `Date`. A time ahead of the instance's clock gives a token that is not valid yet. On an
   * instance that runs on a `createTestClock()` clock, the instance mints it (the clock is
   * moved for that one synchronous call); otherwise the configuration does, read at that
   * instant and signed with the configured signing key.
   *
   * @defaultValue the instance's clock
   */
  issuedAt?: number | Date | undefined
  /** Extra JOSE header members (`kid`...). */
  headers?: Record<string, unknown> | undefined
  /** The `sid` claim: the token belongs to this session. */
  sessionId?: string | undefined
  /** The `fam` claim: the refresh family the token belongs to. */
  familyId?: string | undefined
}

/** A token as the kit's request helpers take it: a compact JWS, or the options to mint one. */
export type TestTokenInput = string | TestTokenOptions

/** The kit for one instance. See {@link createTestKit}. */
export interface TestKit {
  /** The configuration tokens are minted and carried with. */
  readonly config: AuthXConfig
  /**
   * Mints a token.
   *
   * @param options - type, subject, scopes, freshness, lifetime, issue time...
   * @throws TypeError for reserved claims in `data` or a bad `issuedAt`
   */
  token(options?: TestTokenOptions): string
  /** Mints an access token. @param sub - the subject @param options - as {@link TestKit.token} */
  accessToken(sub?: string | number, options?: Omit<TestTokenOptions, 'type' | 'sub'>): string
  /** Mints a refresh token. @param sub - the subject @param options - as {@link TestKit.token} */
  refreshToken(sub?: string | number, options?: Omit<TestTokenOptions, 'type' | 'sub'>): string
  /**
   * The header that carries a token (`Authorization: Bearer ...`, or the configured `headerName`
   * and `headerType`): Fastify's `inject({ headers })`, supertest's `.set(...)`, Hono's
   * `app.request(path, { headers })`, `new Request(url, { headers })`.
   *
   * @param token - a token, or the options to mint one
   * @defaultValue token - an access token for `"test-user"`
   */
  headers(token?: TestTokenInput): Record<string, string>
  /**
   * A JSON body that carries a token under the configured key (`jsonKey` / `refreshJsonKey`).
   *
   * @param token - a token, or the options to mint one
   * @param type - which key to use @defaultValue the minted token's type, else `"access"`
   */
  json(token?: TestTokenInput, type?: TokenType): Record<string, string>
  /**
   * A query string (without `?`) that carries a token under `queryStringName`.
   *
   * @param token - a token, or the options to mint one
   */
  query(token?: TestTokenInput): string
  /**
   * The cookies a cookie login would have set, and the matching CSRF header.
   *
   * @param tokens - the access and/or refresh token (or options to mint each)
   * @defaultValue tokens - an access and a refresh token for `"test-user"`
   */
  cookies(tokens?: { access?: TestTokenInput; refresh?: TestTokenInput }): TestCookieJar
}

function isHasConfig(source: HasAuthXConfig | AuthXConfig): source is HasAuthXConfig {
  return typeof (source as Partial<HasAuthXConfig>).config === 'object'
}

function issueTime(value: number | Date): number {
  const seconds = value instanceof Date ? value.getTime() / 1000 : value
  if (typeof seconds !== 'number' || !Number.isFinite(seconds))
    throw new TypeError('issuedAt: expected seconds since the epoch or a valid Date')
  return seconds
}

/** The claims of a token the kit was given, read without verification: it is the test's own. */
function unverifiedClaims(token: string): Record<string, unknown> {
  const segment = token.split('.')[1]
  try {
    const claims: unknown = JSON.parse(Buffer.from(segment ?? '', 'base64url').toString('utf8'))
    return claims !== null && typeof claims === 'object' ? (claims as Record<string, unknown>) : {}
  } catch {
    return {}
  }
}

/**
 * Creates the test kit of an AuthX instance.
 *
 * @param source - an `AuthX` instance (of any binding), or its `config`
 * @throws TypeError when `source` is neither
 *
 * @example Fastify: a scoped token, and a cookie login with its CSRF header
 * ```ts
 * import { createTestKit } from 'authx-ts/testing'
 * const kit = createTestKit(auth)
 * await app.inject({ url: '/admin', headers: kit.headers({ scopes: ['admin'] }) })
 * const jar = kit.cookies()
 * await app.inject({ method: 'POST', url: '/notes', cookies: jar.cookies, headers: jar.headers() })
 * ```
 */
export function createTestKit(source: HasAuthXConfig | AuthXConfig): TestKit {
  if (typeof source !== 'object' || source === null)
    throw new TypeError('createTestKit: expected an AuthX instance or its config')
  const instance = isHasConfig(source) ? source : undefined
  const config = instance === undefined ? (source as AuthXConfig) : instance.config
  if (typeof config.clock !== 'function' || !Array.isArray(config.tokenLocation))
    throw new TypeError('createTestKit: expected an AuthX instance or its config')
  const minter = new TokenMinter(config)

  const token = (options: TestTokenOptions = {}): string => {
    const type = options.type ?? 'access'
    const given: CreateTokenOptions = {
      fresh: type === 'access' ? options.fresh : undefined,
      expiresIn: options.expired === true ? -60 : options.expiresIn,
      data: options.data,
      audience: options.audience,
      scopes: options.scopes,
      headers: options.headers,
      sessionId: options.sessionId,
      familyId: options.familyId,
    }
    // Only the options the test set: the instance's own methods refuse keys they do not take.
    const create = Object.fromEntries(
      Object.entries(given).filter(([, value]) => value !== undefined),
    ) as CreateTokenOptions
    const sub = options.sub ?? 'test-user'
    const own = (): string | undefined => {
      if (type === 'access' && instance?.createAccessToken !== undefined)
        return instance.createAccessToken(sub, create)
      if (type === 'refresh' && instance?.createRefreshToken !== undefined)
        return instance.createRefreshToken(sub, create)
      return undefined
    }
    const at = options.issuedAt
    if (at === undefined) return own() ?? minter.token(type, sub, create)
    const fixed = issueTime(at)
    // On a test clock, the instance itself mints at that time: the clock is moved for the
    // synchronous call only (nothing else can run meanwhile) and put back.
    const clock = config.clock
    if (instance !== undefined && isTestClock(clock)) {
      const now = clock()
      clock.set(fixed)
      try {
        const token = own()
        if (token !== undefined) return token
      } finally {
        clock.set(now)
      }
    }
    // Otherwise the same configuration, read at that instant, signed with its configured key.
    return new TokenMinter({ ...config, clock: () => fixed }).token(type, sub, create)
  }
  const resolve = (input: TestTokenInput | undefined, type: TokenType = 'access'): string =>
    typeof input === 'string' ? input : token({ type, ...input })
  const jarToken = (input: TestTokenInput | undefined, type: TokenType): JarToken => {
    const compact = resolve(input, type)
    const csrf = unverifiedClaims(compact).csrf
    return { token: compact, csrf: typeof csrf === 'string' ? csrf : '' }
  }

  return Object.freeze({
    config,
    token,
    accessToken: (sub = 'test-user', options = {}) => token({ ...options, type: 'access', sub }),
    refreshToken: (sub = 'test-user', options = {}) => token({ ...options, type: 'refresh', sub }),
    headers(input?: TestTokenInput): Record<string, string> {
      const compact = resolve(input)
      const value = config.headerType === '' ? compact : `${config.headerType} ${compact}`
      return { [config.headerName]: value }
    },
    json(input?: TestTokenInput, type?: TokenType): Record<string, string> {
      const kind = type ?? (typeof input === 'object' ? input.type : undefined) ?? 'access'
      const key = kind === 'refresh' ? config.refreshJsonKey : config.jsonKey
      return { [key]: resolve(input, kind) }
    },
    query(input?: TestTokenInput): string {
      return new URLSearchParams({ [config.queryStringName]: resolve(input) }).toString()
    },
    cookies(tokens: { access?: TestTokenInput; refresh?: TestTokenInput } = {}): TestCookieJar {
      const none = tokens.access === undefined && tokens.refresh === undefined
      return buildCookieJar(config, {
        access: none || tokens.access !== undefined ? jarToken(tokens.access, 'access') : undefined,
        refresh:
          none || tokens.refresh !== undefined ? jarToken(tokens.refresh, 'refresh') : undefined,
      })
    },
  })
}
