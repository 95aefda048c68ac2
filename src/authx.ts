/**
 * The framework-free `AuthX` class: token creation, verification, and the request pipeline
 * (extract, verify, revocation, type, freshness, CSRF, scopes, subject). Adapters subclass it and
 * add guards in their framework's shape; no auth logic lives anywhere else.
 */
import { randomUUID } from 'node:crypto'
import type { RequestLike, RequestView, TokenLocation, TokenType } from './types.ts'
import { resolveConfig } from './config/index.ts'
import type { AuthXConfig, AuthXOptions } from './config/index.ts'
import {
  AccessTokenRequiredError,
  AuthXError,
  BadConfigurationError,
  CSRFError,
  FreshTokenRequiredError,
  InsufficientScopeError,
  JWTDecodeError,
  LoginTypeMismatchError,
  MissingTokenError,
  RateLimitExceededError,
  RefreshTokenRequiredError,
  RevokedTokenError,
  StoreUnavailableError,
  SubjectNotFoundError,
  TokenExpiredError,
  renderError,
} from './errors.ts'
import type { ErrorResponse } from './errors.ts'
import type { Duration } from './internal/duration.ts'
import { parseDuration } from './internal/duration.ts'
import { toWellFormed } from './internal/well-formed.ts'
import { deletionCookies, tokenCookies } from './response/cookies.ts'
import type { SetCookie } from './response/cookies.ts'
import { createCsrfValue, csrfMatches, isCsrfMethod } from './request/csrf.ts'
import { extractToken, requireToken } from './request/extract.ts'
import type { RequestToken } from './request/extract.ts'
import { viewFromRequest } from './request/view.ts'
import { hasRequiredScopes } from './scopes.ts'
import { VerifiedTokenCache } from './token/cache.ts'
import { isImplicitRefreshEligible, isRefreshableStatus } from './features/implicit-refresh.ts'
import { operationSecurity, securitySchemes } from './features/openapi.ts'
import type { SecurityRequirement, SecurityScheme } from './features/openapi.ts'
import { resolveRateLimit } from './features/rate-limit.ts'
import type { RateLimitOptions, ResolvedRateLimit } from './features/rate-limit.ts'
import { FAMILY_DEADLINE_CLAIM, assertRefreshUse } from './features/rotation.ts'
import { newSession } from './features/sessions.ts'
import type { CreateSessionOptions } from './features/sessions.ts'
import { assertId } from './stores/keys.ts'
import { MemoryStore } from './stores/memory.ts'
import type { SessionRecord, Store } from './stores/types.ts'
import { validateClaims } from './token/claims.ts'
import type { ClaimRules } from './token/claims.ts'
import { JWSVerifier, encodeSegment, signCompact } from './token/jws.ts'
import type { JSONObject } from './token/jws.ts'
import { RESERVED_CLAIMS, TokenPayloadImpl } from './token/payload.ts'
import type { CustomClaims, TokenPayload } from './token/payload.ts'

/** Options of {@link AuthX.createAccessToken} and {@link AuthX.createRefreshToken}. */
export interface CreateTokenOptions {
  /** Access tokens only: mark the token fresh (straight from a credential login). */
  fresh?: boolean | undefined
  /** Lifetime: seconds from now, `"15m"`-style, an absolute `Date`, or null for no `exp`. */
  expiresIn?: Duration | Date | null | undefined
  /** Custom claims; reserved names (`sub`, `exp`, `type`...) throw a `TypeError`. */
  data?: CustomClaims | undefined
  /** `aud` claim. @defaultValue `encodeAudience` */
  audience?: string | string[] | undefined
  /** `scopes` claim. Omitted when undefined; `[]` is kept. */
  scopes?: readonly string[] | undefined
  /** Extra JOSE header members (`kid`...); `alg` and `crit` cannot be set. */
  headers?: Record<string, unknown> | undefined
  /** Ties the token to a session (`sid` claim); revoking the session rejects it. */
  sessionId?: string | undefined
  /** Refresh-token family (`fam` claim) for rotation with reuse detection. */
  familyId?: string | undefined
}

/** Options of {@link AuthX.createTokenPair}. */
export interface CreateTokenPairOptions {
  /** Mark the access token fresh (straight from a credential login). */
  fresh?: boolean | undefined
  /** Access-token lifetime. @defaultValue `accessTokenExpires` */
  accessExpiresIn?: Duration | Date | null | undefined
  /** Refresh-token lifetime. @defaultValue `refreshTokenExpires` */
  refreshExpiresIn?: Duration | Date | null | undefined
  /** Custom claims of both tokens. */
  data?: CustomClaims | undefined
  /** `aud` of both tokens. @defaultValue `encodeAudience` */
  audience?: string | string[] | undefined
  /** `scopes` of the access token. */
  accessScopes?: readonly string[] | undefined
  /** `scopes` of the refresh token (the most a refresh can grant later). */
  refreshScopes?: readonly string[] | undefined
  /** Extra JOSE header members of both tokens. */
  headers?: Record<string, unknown> | undefined
  /** Session both tokens belong to (`sid`). */
  sessionId?: string | undefined
  /** Refresh family both tokens join (`fam`); a new one under rotation when not given. */
  familyId?: string | undefined
}

/** The JSON a login or refresh route returns. */
export interface TokenPair {
  /** The new access token. */
  access_token: string
  /** The refresh token (a new one under rotation). */
  refresh_token: string
  /** Always `bearer`, as OAuth 2.0 token responses say. */
  token_type: 'bearer'
}

/** Options of {@link AuthX.verifyToken}. */
export interface VerifyOptions {
  /** Expected type. @defaultValue the request token's type, else `"access"` */
  type?: TokenType | undefined
  /** Check the `type` claim. @defaultValue true */
  verifyType?: boolean | undefined
  /** Require `fresh: true`. @defaultValue false */
  verifyFresh?: boolean | undefined
  /** Compare the CSRF value with the `csrf` claim (cookie tokens, or when `csrf` is given). @defaultValue true */
  verifyCsrf?: boolean | undefined
  /** The CSRF value to compare (defaults to the one found with a cookie token). */
  csrf?: string | undefined
  /** Accepted audience(s), overriding `decodeAudience`. */
  audience?: string | string[] | undefined
  /** Accepted issuer, overriding `decodeIssuer`. */
  issuer?: string | undefined
}

/** What a guard checks. */
export interface GuardOptions {
  /** @defaultValue `"access"` */
  type?: TokenType | undefined
  /** @defaultValue true */
  verifyType?: boolean | undefined
  /** @defaultValue false */
  verifyFresh?: boolean | undefined
  /** @defaultValue true on `csrfMethods` when `cookieCsrfProtect`, else false */
  verifyCsrf?: boolean | undefined
  /** Locations for this route, in order. @defaultValue `tokenLocation` */
  locations?: readonly TokenLocation[] | undefined
  /** Required scopes. */
  scopes?: readonly string[] | undefined
  /** All scopes (AND) or any one (OR). @defaultValue true */
  allScopes?: boolean | undefined
}

/** What a guard's authentication function resolves to: the payload, or payload and subject. */
export type GuardResult = TokenPayload | { payload: TokenPayload; subject: unknown }

/** What a guard's body reader may need to read before authentication. */
export interface GuardBodyOptions {
  /** Locations the guard searches. @defaultValue `tokenLocation` */
  locations?: readonly TokenLocation[] | undefined
}

/** Options of {@link AuthX.getTokenFromRequest}. */
export interface GetTokenOptions {
  /** @defaultValue `"access"` */
  type?: TokenType | undefined
  /** Return null instead of throwing when no token is found. @defaultValue true */
  optional?: boolean | undefined
  /** @defaultValue `tokenLocation` */
  locations?: readonly TokenLocation[] | undefined
}

/**
 * A replacement access cookie decided before the handler ran (implicit refresh). The adapter asks
 * {@link PendingRefresh.confirm} once the response is known and appends only what it returns.
 */
export interface PendingRefresh {
  /** The Set-Cookie values of the new access token and its CSRF cookie. */
  readonly cookies: readonly SetCookie[]
  /**
   * Decides after the handler whether the cookies go out. They do not on an error status, when
   * the response sets or deletes an auth cookie itself (a login or a logout), or when the source
   * token (or its session, family or subject) was revoked during the request.
   *
   * @param status - the response status
   * @param setCookies - the Set-Cookie header values the response already carries
   * @returns the cookies to append; empty when the refresh is dropped
   */
  confirm(status: number, setCookies: readonly string[]): Promise<readonly SetCookie[]>
}

/** Decides whether a verified token is revoked. May be async. */
export type TokenBlocklist = (token: string, payload: TokenPayload) => boolean | Promise<boolean>

/** Loads the subject (user) of a verified token; null/undefined means "no such subject". */
export type SubjectGetter<Subject = unknown> = (
  sub: string,
  payload: TokenPayload,
) => Subject | null | undefined | Promise<Subject | null | undefined>

function isFetchRequest(value: RequestLike): value is Request {
  // A view always has header(); a Fetch Request never does. Cheaper on the hot path than reading
  // the global `Request` (a lazy getter in Node) for an instanceof check.
  return typeof (value as Partial<RequestView>).header !== 'function'
}

function absoluteExpiry(now: number, value: Duration | Date | null, option: string): number | null {
  if (value === null) return null
  if (value instanceof Date) return Math.floor(value.getTime() / 1000)
  const seconds = parseDuration(value)
  if (seconds === undefined)
    throw new TypeError(`${option}: expected seconds, a string like "15m", a Date or null`)
  return now + Math.round(seconds)
}

/** The family deadline a token carries (`fam_exp`), if it has one. */
function familyDeadlineOf(payload: TokenPayload): number | undefined {
  const deadline = payload.claims[FAMILY_DEADLINE_CLAIM]
  return typeof deadline === 'number' ? deadline : undefined
}

/**
 * The login type a payload claims, as a string, or null when it has none (a non-string claim is
 * reported as its JSON text, so it can never equal a configured login type).
 *
 * @param payload - a verified payload
 */
export function loginTypeOf(payload: TokenPayload): string | null {
  const value: unknown = payload.login_type
  if (value === undefined || value === null) return null
  return typeof value === 'string' ? value : JSON.stringify(value)
}

/** The cookie name of a Set-Cookie header value (what precedes the first `=`). */
function setCookieName(header: string): string {
  const eq = header.indexOf('=')
  return (eq === -1 ? header : header.slice(0, eq)).trim()
}

/**
 * JWT authentication and authorization: AuthX for TypeScript.
 *
 * @example The seed's flow, framework-free
 * ```ts
 * const auth = new AuthX({ secretKey: process.env.JWT_SECRET_KEY })
 * const token = auth.createAccessToken('user1')
 * const payload = await auth.authenticate(request) // a Fetch Request
 * payload.sub // 'user1'
 * ```
 */
export class AuthX {
  /** The validated, frozen configuration. */
  readonly config: AuthXConfig
  readonly #verifier: JWSVerifier
  readonly #cache: VerifiedTokenCache | undefined
  readonly #defaultHeader: string | undefined
  readonly #store: Store
  /** The store must be asked on every verification (an explicit store, or rotation is on). */
  readonly #storeAlwaysConsulted: boolean
  /** The embedded default store, consulted once it holds any revocation. */
  readonly #embeddedStore: MemoryStore | undefined
  #blocklist: TokenBlocklist | undefined
  #subjectGetter: SubjectGetter | undefined

  /**
   * @param options - see {@link AuthXOptions}; a key for the algorithm is required
   * @throws BadConfigurationError naming the option and the fix
   */
  constructor(options: AuthXOptions) {
    this.config = resolveConfig(options)
    const { signingKey, verifyKeys, decodeAlgorithms, maxTokenLength } = this.config
    this.#verifier = new JWSVerifier(verifyKeys, decodeAlgorithms, maxTokenLength)
    const cache = this.config.verifiedTokenCache
    this.#cache = cache === null ? undefined : new VerifiedTokenCache(cache)
    this.#defaultHeader =
      signingKey === undefined
        ? undefined
        : encodeSegment({
            alg: signingKey.alg,
            typ: 'JWT',
            ...(signingKey.kid === undefined ? {} : { kid: signingKey.kid }),
          })
    // An explicit store is shared state (Redis): always consult it. The embedded MemoryStore is
    // consulted only once it holds a revocation, whoever wrote it (AuthX's methods or a direct
    // `auth.store.revoke(...)`), so stateless apps pay nothing.
    this.#embeddedStore =
      options.store === undefined ? new MemoryStore({ clock: this.config.clock }) : undefined
    this.#store = options.store ?? (this.#embeddedStore as MemoryStore)
    this.#storeAlwaysConsulted = options.store !== undefined || this.config.refreshRotation !== null
  }

  /** Counters of the verified-token cache, or null when it is off. */
  get cacheStats(): ReturnType<VerifiedTokenCache['stats']> | null {
    return this.#cache?.stats() ?? null
  }

  /** The store behind revocation, rotation, sessions and rate limits. */
  get store(): Store {
    return this.#store
  }

  // ---------------------------------------------------------------- creation

  /**
   * Creates an access token for `uid`.
   *
   * @param uid - the subject (stringified into the identity claim)
   * @param options - freshness, lifetime, custom data, audience, scopes, extra headers
   * @throws TypeError when `data` uses a reserved claim or `headers` sets `alg`/`crit`
   * @throws BadConfigurationError when the instance has no signing key
   *
   * @example A fresh token with a role
   * ```ts
   * const token = auth.createAccessToken(user.id, { fresh: true, data: { role: 'admin' }, scopes: ['read'] })
   * ```
   */
  createAccessToken(uid: string | number, options: CreateTokenOptions = {}): string {
    return this.#createToken('access', uid, options)
  }

  /**
   * Creates a refresh token for `uid` (never fresh; lifetime `refreshTokenExpires`).
   *
   * @param uid - the subject
   * @param options - lifetime, custom data, audience, scopes, extra headers
   */
  createRefreshToken(
    uid: string | number,
    options: Omit<CreateTokenOptions, 'fresh'> = {},
  ): string {
    return this.#createToken('refresh', uid, options)
  }

  /**
   * Creates an access and a refresh token together.
   *
   * @param uid - the subject
   * @param options - shared data, audience and headers; separate scopes and lifetimes
   * @returns `{ access_token, refresh_token, token_type: 'bearer' }`
   */
  createTokenPair(uid: string | number, options: CreateTokenPairOptions = {}): TokenPair {
    // Under rotation the access token joins its refresh token's family, so revoking the family
    // (on reuse) rejects the access tokens it produced too.
    const rotation = this.config.refreshRotation
    const familyId = options.familyId ?? (rotation === null ? undefined : randomUUID())
    // Both tokens carry the family's deadline, so no token of the login outlives it.
    const deadline =
      rotation === null ? undefined : Math.floor(this.config.clock()) + rotation.familyLifetime
    const shared = {
      data: options.data,
      audience: options.audience,
      headers: options.headers,
      sessionId: options.sessionId,
      familyId,
    }
    return {
      access_token: this.#createToken(
        'access',
        uid,
        {
          ...shared,
          fresh: options.fresh,
          expiresIn: options.accessExpiresIn,
          scopes: options.accessScopes,
        },
        deadline,
      ),
      refresh_token: this.#createToken(
        'refresh',
        uid,
        { ...shared, expiresIn: options.refreshExpiresIn, scopes: options.refreshScopes },
        deadline,
      ),
      token_type: 'bearer',
    }
  }

  #createToken(
    type: TokenType,
    uid: string | number,
    options: CreateTokenOptions,
    familyDeadline?: number,
  ): string {
    const { config } = this
    const key = config.signingKey
    if (key === undefined) {
      throw new BadConfigurationError(
        'privateKey: this instance only verifies; set privateKey to create tokens',
      )
    }
    if (typeof uid !== 'string' && typeof uid !== 'number')
      throw new TypeError('uid must be a string or a number')
    const subject = String(uid)
    assertId('AuthX.createToken', 'uid', subject)
    if (options.sessionId !== undefined)
      assertId('AuthX.createToken', 'sessionId', options.sessionId)
    if (options.familyId !== undefined) assertId('AuthX.createToken', 'familyId', options.familyId)
    const now = Math.floor(config.clock())
    const claims: JSONObject = { [config.identityClaim]: subject, jti: randomUUID(), type }
    if (type === 'access') claims.fresh = options.fresh === true
    claims.csrf =
      config.cookieCsrfProtect && config.tokenLocation.includes('cookies') ? createCsrfValue() : ''
    claims.iat = now
    if (config.encodeNbf) claims.nbf = now
    const lifetime = type === 'access' ? config.accessTokenExpires : config.refreshTokenExpires
    const exp =
      options.expiresIn === undefined
        ? lifetime === null
          ? null
          : now + Math.round(lifetime)
        : absoluteExpiry(now, options.expiresIn, 'expiresIn')
    if (exp !== null) claims.exp = exp
    if (config.encodeIssuer !== null) claims.iss = config.encodeIssuer
    const audience = options.audience ?? config.encodeAudience
    if (audience !== null) claims.aud = typeof audience === 'string' ? audience : [...audience]
    if (options.scopes !== undefined) claims.scopes = [...options.scopes]
    if (config.loginType !== null) claims.login_type = config.loginType
    if (options.sessionId !== undefined) claims.sid = options.sessionId
    if (options.familyId !== undefined) claims.fam = options.familyId
    const rotation = config.refreshRotation
    // Under rotation every refresh token belongs to a family with an absolute deadline; a new
    // login starts a new family, a refresh continues the old one without extending it. Access
    // tokens of a family carry the same deadline, so implicit refresh cannot extend it either.
    const deadline =
      familyDeadline ??
      (type === 'refresh' && rotation !== null ? now + rotation.familyLifetime : undefined)
    if (type === 'refresh' && rotation !== null) claims.fam ??= randomUUID()
    if (deadline !== undefined && claims.fam !== undefined) {
      claims[FAMILY_DEADLINE_CLAIM] = deadline
      if (claims.exp === undefined || (claims.exp as number) > deadline) claims.exp = deadline
    }
    if (options.data !== undefined) {
      for (const name of Object.keys(options.data)) {
        if (RESERVED_CLAIMS.has(name) || name === config.identityClaim) {
          throw new TypeError(
            `data.${name} is a reserved claim; set it through its own option or rename it`,
          )
        }
        // defineProperty, not assignment: a `__proto__` key must stay a plain claim.
        Object.defineProperty(claims, name, {
          value: options.data[name],
          enumerable: true,
          writable: true,
          configurable: true,
        })
      }
    }
    return signCompact(key, this.#headerSegment(options.headers), claims)
  }

  #headerSegment(extra: Record<string, unknown> | undefined): string {
    const key = this.config.signingKey
    if (extra === undefined) return this.#defaultHeader as string
    for (const name of ['alg', 'crit', 'b64', 'zip']) {
      if (Object.hasOwn(extra, name)) throw new TypeError(`headers.${name} cannot be set`)
    }
    return encodeSegment({
      alg: key?.alg,
      typ: 'JWT',
      ...(key?.kid === undefined ? {} : { kid: key.kid }),
      ...extra,
    })
  }

  // ------------------------------------------------------------ verification

  /**
   * Verifies a token synchronously: signature, claims, type, freshness and CSRF. It does not
   * consult revocation (that needs the store); {@link AuthX.verifyToken} does.
   *
   * @param token - a compact JWS or a token found in a request
   * @param options - what to check
   * @throws AuthXError subclasses for every failure
   */
  verifyTokenSync<Extra extends CustomClaims = CustomClaims>(
    token: string | RequestToken,
    options: VerifyOptions = {},
  ): TokenPayload<Extra> {
    const raw = typeof token === 'string' ? token : token.token
    const rules = this.#claimRules(options)
    // A cache hit skips only the signature check and the decode; claims are validated every time.
    let claims = this.#cache?.get(raw, rules.now) as JSONObject | undefined
    if (claims === undefined) {
      claims = this.#verifier.verify(raw).payload
      validateClaims(claims, rules)
      this.#cache?.set(raw, claims, claims.exp as number | undefined)
    } else validateClaims(claims, rules)
    const payload = new TokenPayloadImpl<Extra>(
      claims,
      this.config.identityClaim,
      this.config.clock,
    ) as TokenPayload<Extra>
    // Instances that share a key must not accept each other's tokens: a `user` token is not an
    // `admin` token because both verify.
    const loginType = this.config.loginType
    if (loginType !== null && payload.login_type !== loginType)
      throw new LoginTypeMismatchError(loginType, loginTypeOf(payload))
    const expected = options.type ?? (typeof token === 'string' ? 'access' : token.type)
    if ((options.verifyType ?? true) && payload.type !== expected) {
      throw expected === 'access' ? new AccessTokenRequiredError() : new RefreshTokenRequiredError()
    }
    if (options.verifyFresh === true && !payload.fresh) throw new FreshTokenRequiredError()
    const presented = options.csrf ?? (typeof token === 'string' ? undefined : token.csrf)
    const cookieToken = typeof token !== 'string' && token.location === 'cookies'
    if ((options.verifyCsrf ?? true) && (cookieToken || options.csrf !== undefined)) {
      if (presented === undefined || !csrfMatches(presented, payload.csrf ?? ''))
        throw new CSRFError()
    }
    return payload
  }

  #claimRules(options: VerifyOptions): ClaimRules {
    const { config } = this
    const audience =
      options.audience === undefined
        ? config.decodeAudience
        : typeof options.audience === 'string'
          ? [options.audience]
          : options.audience
    return {
      now: config.clock(),
      leeway: config.decodeLeeway,
      audience,
      issuer: options.issuer ?? config.decodeIssuer,
      identityClaim: config.identityClaim,
      allowsNoExpiry: this.#allowsNoExpiry,
    }
  }

  /** Made once, not per verification: the config it reads is frozen. */
  readonly #allowsNoExpiry = (type: unknown): boolean =>
    (type === 'refresh' ? this.config.refreshTokenExpires : this.config.accessTokenExpires) === null

  /**
   * Verifies a token and checks that it is not revoked.
   *
   * @param token - a compact JWS or a token found in a request
   * @param options - what to check
   * @throws AuthXError subclasses; StoreUnavailableError (503) when the store cannot answer
   *
   * @example The seed's refresh route
   * ```ts
   * const refresh = await auth.getRefreshTokenFromRequest(request)
   * const payload = await auth.verifyToken(refresh, { verifyType: true })
   * ```
   */
  async verifyToken<Extra extends CustomClaims = CustomClaims>(
    token: string | RequestToken,
    options: VerifyOptions = {},
  ): Promise<TokenPayload<Extra>> {
    const payload = this.verifyTokenSync<Extra>(token, options)
    // Skipping the await when nothing can be revoked saves a promise and a tick per call.
    if (this.#revocationConsulted)
      await this.#checkRevocation(typeof token === 'string' ? token : token.token, payload)
    return payload
  }

  /** Whether verification must ask the store or the blocklist (and so cannot finish synchronously). */
  get #revocationConsulted(): boolean {
    return (
      this.#storeAlwaysConsulted ||
      this.#embeddedStore?.holdsRevocations === true ||
      this.#blocklist !== undefined
    )
  }

  async #checkRevocation(token: string, payload: TokenPayload): Promise<void> {
    if (this.#storeAlwaysConsulted || this.#embeddedStore?.holdsRevocations === true) {
      let revoked: boolean
      try {
        revoked = await this.#store.isRevoked({
          jti: payload.jti,
          sub: payload.sub,
          iat: payload.iat,
          sid: payload.sid,
          fam: payload.fam,
        })
      } catch (cause) {
        throw new StoreUnavailableError({ cause })
      }
      if (revoked) {
        // A spent or revoked refresh token presented anywhere means a copy is in the wrong hands:
        // end its whole family, so the branch a thief rotated into dies too.
        if (payload.type === 'refresh') await this.#endFamily(payload)
        throw new RevokedTokenError()
      }
    }
    if (this.#blocklist !== undefined) {
      let revoked: boolean
      try {
        revoked = await this.#blocklist(token, payload)
      } catch (cause) {
        // A blocklist that cannot answer must not let the token through (fail closed).
        throw new StoreUnavailableError({ cause, reason: 'token blocklist callback failed' })
      }
      if (revoked) throw new RevokedTokenError()
    }
  }

  // ------------------------------------------------------------ the request

  /**
   * Finds a token in a request without verifying it.
   *
   * @param request - a Fetch `Request` or a `RequestView`
   * @param options - type, locations, and whether a missing token is an error
   * @returns the token, or null when optional and nothing was found
   */
  async getTokenFromRequest(
    request: RequestLike,
    options: GetTokenOptions = {},
  ): Promise<RequestToken | null> {
    const view = await this.#view(request, options.locations)
    const extract = { type: options.type ?? 'access', locations: options.locations }
    if (options.optional === false) return requireToken(view, this.config, extract)
    try {
      return extractToken(view, this.config, extract)
    } catch (error) {
      if (error instanceof MissingTokenError) return null
      throw error
    }
  }

  /**
   * The access token of a request, or MissingTokenError.
   *
   * @param request - a Fetch `Request` or a `RequestView`
   * @param locations - override of `tokenLocation`
   */
  async getAccessTokenFromRequest(
    request: RequestLike,
    locations?: readonly TokenLocation[],
  ): Promise<RequestToken> {
    return (await this.getTokenFromRequest(request, {
      type: 'access',
      optional: false,
      locations,
    })) as RequestToken
  }

  /**
   * The refresh token of a request, or MissingTokenError.
   *
   * @param request - a Fetch `Request` or a `RequestView`
   * @param locations - override of `tokenLocation`
   */
  async getRefreshTokenFromRequest(
    request: RequestLike,
    locations?: readonly TokenLocation[],
  ): Promise<RequestToken> {
    return (await this.getTokenFromRequest(request, {
      type: 'refresh',
      optional: false,
      locations,
    })) as RequestToken
  }

  async #view(
    request: RequestLike,
    locations: readonly TokenLocation[] | undefined,
  ): Promise<RequestView> {
    if (!isFetchRequest(request)) return request
    const where = locations ?? this.config.tokenLocation
    return viewFromRequest(request, {
      json: where.includes('json'),
      form: this.config.csrfCheckForm,
    })
  }

  /**
   * The whole pipeline: extract, verify (signature, claims, type, freshness, CSRF), revocation,
   * scopes. What every guard runs.
   *
   * @param request - a Fetch `Request` or a `RequestView`
   * @param options - what the route requires
   * @returns the verified payload
   * @throws AuthXError subclasses, rendered by the adapters as the JSON contract
   */
  async authenticate<Extra extends CustomClaims = CustomClaims>(
    request: RequestLike,
    options: GuardOptions = {},
  ): Promise<TokenPayload<Extra>> {
    const view = await this.#view(request, options.locations)
    const { token, payload } = this.#verifyRequest<Extra>(view, options)
    if (this.#revocationConsulted) await this.#checkRevocation(token, payload)
    if (options.scopes !== undefined)
      this.checkScopes(payload, options.scopes, options.allScopes ?? true)
    return payload
  }

  /**
   * {@link AuthX.authenticate} without a promise, for the guards' fast path: the same checks in
   * the same order, when none of them needs the store or the blocklist.
   *
   * @param view - the request
   * @param options - what the route requires
   * @returns the verified payload, or undefined when revocation must be consulted (then the
   *   caller uses `authenticate`)
   * @throws AuthXError subclasses, exactly as `authenticate` rejects
   */
  protected authenticateSync(view: RequestView, options: GuardOptions): TokenPayload | undefined {
    if (this.#revocationConsulted) return undefined
    const { payload } = this.#verifyRequest(view, options)
    if (options.scopes !== undefined)
      this.checkScopes(payload, options.scopes, options.allScopes ?? true)
    return payload
  }

  /** Extraction and verification of a request's token: what both pipelines share. */
  #verifyRequest<Extra extends CustomClaims = CustomClaims>(
    view: RequestView,
    options: GuardOptions,
  ): { token: string; payload: TokenPayload<Extra> } {
    const { config } = this
    const found = requireToken(view, config, {
      type: options.type ?? 'access',
      locations: options.locations,
    })
    const verifyCsrf =
      options.verifyCsrf ??
      (config.cookieCsrfProtect && isCsrfMethod(config.csrfMethods, view.method))
    const payload = this.verifyTokenSync<Extra>(found, {
      verifyType: options.verifyType,
      verifyFresh: options.verifyFresh,
      verifyCsrf,
    })
    return { token: found.token, payload }
  }

  /**
   * Throws InsufficientScopeError (403) unless the payload grants the scopes.
   *
   * @param payload - a verified payload
   * @param required - scopes the route needs
   * @param all - AND (true) or OR (false)
   */
  checkScopes(payload: TokenPayload, required: readonly string[], all = true): void {
    if (!hasRequiredScopes(required, payload.scopes, all)) {
      throw new InsufficientScopeError(required, payload.scopes ?? [])
    }
  }

  // ------------------------------------------------------------- callbacks

  /**
   * Registers a revocation callback, consulted after the signature check on every guarded
   * request (so it can decide by `payload.jti`).
   *
   * @param callback - returns true (or resolves to true) for a revoked token
   */
  setTokenBlocklist(callback: TokenBlocklist): void {
    if (typeof callback !== 'function') throw new TypeError('setTokenBlocklist expects a function')
    this.#blocklist = callback
  }

  /**
   * Registers the subject loader used by `currentSubject` guards.
   *
   * @param getter - loads the user for `sub`; null/undefined gives 401 SubjectNotFoundError
   */
  setSubjectGetter<Subject>(getter: SubjectGetter<Subject>): void {
    if (typeof getter !== 'function') throw new TypeError('setSubjectGetter expects a function')
    this.#subjectGetter = getter
  }

  /**
   * Loads the subject of a verified payload.
   *
   * @param payload - a verified payload
   * @throws SubjectNotFoundError when the getter finds nothing
   * @throws BadConfigurationError when no getter is registered
   */
  async getSubject<Subject = unknown>(payload: TokenPayload): Promise<Subject> {
    if (this.#subjectGetter === undefined) {
      throw new BadConfigurationError(
        'setSubjectGetter: register a subject getter before using currentSubject',
      )
    }
    const subject = await this.#subjectGetter(payload.sub, payload)
    if (subject === null || subject === undefined) throw new SubjectNotFoundError()
    return subject as Subject
  }

  // ------------------------------------------------------------- revocation

  /**
   * Revokes one token by its `jti`, until the token's own `exp`.
   *
   * @param token - a compact JWS or a verified payload
   * @throws TypeError when the token has no `jti`
   */
  async revokeToken(token: string | TokenPayload): Promise<void> {
    let payload: TokenPayload
    if (typeof token === 'string') {
      try {
        payload = this.verifyTokenSync(token, { verifyType: false, verifyCsrf: false })
      } catch (error) {
        if (error instanceof TokenExpiredError) return // already unusable
        throw error
      }
    } else payload = token
    if (payload.jti === undefined)
      throw new TypeError('the token has no jti and cannot be revoked by id')
    await this.#storeCall(() =>
      this.#store.revoke('jti', payload.jti as string, payload.exp ?? this.#longestExpiry()),
    )
    // Logging out with a refresh token ends its login: if a thief rotated first, the client's
    // token is already spent, and only ending the family stops the thief's branch.
    if (payload.type === 'refresh') await this.#endFamily(payload)
  }

  /**
   * The refresh family of a payload: its `fam`, or under rotation its own jti for a token minted
   * before rotation was switched on (such a token starts a family of its own when refreshed).
   */
  #familyOf(payload: TokenPayload): string | undefined {
    if (payload.fam !== undefined || this.config.refreshRotation === null) return payload.fam
    return payload.jti === undefined ? undefined : `jti:${payload.jti}`
  }

  /** Revokes the refresh family of a payload (no-op without one) until no token of it can live. */
  async #endFamily(payload: TokenPayload): Promise<void> {
    const family = this.#familyOf(payload)
    if (family === undefined) return
    const deadline = familyDeadlineOf(payload) ?? payload.exp ?? this.#longestExpiry()
    const end = this.#familyRevocationEnd(deadline)
    await this.#storeCall(() => this.#store.revoke('fam', family, end))
  }

  /**
   * Revokes every token of a subject issued until now (a "log out everywhere").
   *
   * @param sub - the subject
   */
  async revokeAllForSubject(sub: string): Promise<void> {
    assertId('AuthX.revokeAllForSubject', 'sub', sub)
    const now = this.config.clock()
    await this.#storeCall(() => this.#store.revokeSubject(sub, now, this.#longestExpiry()))
  }

  /**
   * How long a revoked family must stay revoked: past its deadline, since an access token minted
   * just before the deadline outlives it by up to the access lifetime.
   */
  #familyRevocationEnd(deadline: number): number {
    const { accessTokenExpires, clock, decodeLeeway } = this.config
    return Math.max(deadline, clock() + (accessTokenExpires ?? 10 * 365 * 86_400)) + decodeLeeway
  }

  /** When the longest-lived token issued now would expire: how long revocations must last. */
  #longestExpiry(): number {
    const { accessTokenExpires, refreshTokenExpires, clock } = this.config
    const lifetimes = [accessTokenExpires, refreshTokenExpires]
    // A null lifetime means tokens that never expire: remember their revocation for ten years.
    const longest = lifetimes.includes(null)
      ? 10 * 365 * 86_400
      : Math.max(...(lifetimes as number[]))
    return clock() + longest + this.config.decodeLeeway
  }

  /** Runs a store operation, turning its failure into StoreUnavailableError (503). */
  async #storeCall<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation()
    } catch (cause) {
      if (cause instanceof AuthXError) throw cause
      throw new StoreUnavailableError({ cause })
    }
  }

  // ---------------------------------------------------------- refresh & sessions

  /**
   * Exchanges a refresh token for a new pair. The new tokens keep the subject, custom claims,
   * scopes, audience and session of the old one, and are not fresh. With `refreshRotation`, the
   * refresh token is consumed atomically: a second use (a replay, or a stolen copy) revokes its
   * whole family. Without rotation, the same refresh token is returned.
   *
   * @param token - the refresh token (string or as found in the request)
   * @param options - `scopes` to narrow the new tokens (never to widen them)
   * @returns the new pair; send it with `Cache-Control: no-store`
   * @throws RevokedTokenError on reuse or a revoked family; InsufficientScopeError when asking for
   * scopes the refresh token does not grant
   *
   * @example A refresh route
   * ```ts
   * const found = await auth.getRefreshTokenFromRequest(request)
   * return Response.json(await auth.refresh(found), { headers: { 'cache-control': 'no-store' } })
   * ```
   */
  async refresh(
    token: string | RequestToken,
    options: { scopes?: readonly string[] } = {},
  ): Promise<TokenPair> {
    const payload = await this.verifyToken(token, { type: 'refresh' })
    this.#assertDerivable(payload)
    if (options.scopes !== undefined && !hasRequiredScopes(options.scopes, payload.scopes)) {
      throw new InsufficientScopeError(options.scopes, payload.scopes ?? [])
    }
    const carried = { ...this.#carriedClaims(payload), scopes: options.scopes ?? payload.scopes }
    let refreshToken = typeof token === 'string' ? token : token.token
    const familyId = this.#familyOf(payload)
    let deadline = familyDeadlineOf(payload)
    if (this.config.refreshRotation !== null) {
      // Rotation spends tokens by jti: one without it cannot be spent, so it cannot be refreshed.
      if (payload.jti === undefined)
        throw new JWTDecodeError({ reason: 'refresh token has no jti' })
      deadline ??= payload.exp ?? this.#longestExpiry()
      const family = familyId as string
      const end = this.#familyRevocationEnd(deadline)
      const jti = payload.jti
      assertRefreshUse(await this.#storeCall(() => this.#store.useRefreshToken(family, jti, end)))
      // Spent from now on: presented anywhere else (a refresh guard, a logout), it is refused as
      // revoked and ends the family.
      await this.#storeCall(() => this.#store.revoke('jti', jti, end))
      refreshToken = this.#createToken('refresh', payload.sub, { ...carried, familyId }, deadline)
    }
    if (payload.sid !== undefined && this.config.sessionUpdateLastActive)
      await this.#touchSession(payload.sid)
    const access = this.#createToken(
      'access',
      payload.sub,
      { ...carried, fresh: false, familyId },
      deadline,
    )
    return { access_token: access, refresh_token: refreshToken, token_type: 'bearer' }
  }

  /**
   * Refuses to derive a token from `payload` when the result could be wider than the source: it
   * must be of this instance's login type exactly (a missing claim differs from a configured
   * type, and a typed token from an untyped instance), or re-stamping would launder it.
   */
  #assertDerivable(payload: TokenPayload): void {
    const actual = loginTypeOf(payload)
    const expected = this.config.loginType
    if (actual !== expected) throw new LoginTypeMismatchError(expected ?? 'none', actual)
  }

  /**
   * The claims a derived token inherits from its source: everything that limits it (audience,
   * scopes, session) and the custom claims. Login type and family deadline are applied by the
   * caller (the instance's own type, checked equal; the deadline passed to `#createToken`).
   */
  #carriedClaims(payload: TokenPayload): CreateTokenOptions {
    return {
      data: payload.extra,
      scopes: payload.scopes,
      audience: payload.aud,
      sessionId: payload.sid,
    }
  }

  /**
   * Starts a login session; pass its `id` as `sessionId` when creating the login's tokens so
   * that revoking the session rejects them.
   *
   * @param sub - the subject
   * @param options - client address, user agent, data, lifetime
   */
  async createSession(sub: string, options: CreateSessionOptions = {}): Promise<SessionRecord> {
    assertId('AuthX.createSession', 'sub', sub)
    const now = this.config.clock()
    const lifetime = options.expiresIn ?? this.config.refreshTokenExpires ?? 20 * 86_400
    const session = newSession(sub, now, lifetime, options)
    await this.#storeCall(() => this.#store.saveSession(session))
    return session
  }

  /** A session by id, or null. @param id - the session id */
  async getSession(id: string): Promise<SessionRecord | null> {
    assertId('AuthX.getSession', 'id', id)
    return this.#storeCall(() => this.#store.getSession(id))
  }

  /** The live sessions of a subject. @param sub - the subject */
  async listSessions(sub: string): Promise<SessionRecord[]> {
    assertId('AuthX.listSessions', 'sub', sub)
    return this.#storeCall(() => this.#store.listSessions(sub))
  }

  /**
   * Ends a session: it is deleted and every token carrying its `sid` is rejected from now on.
   *
   * @param id - the session id
   * @returns whether the session existed
   */
  async revokeSession(id: string): Promise<boolean> {
    assertId('AuthX.revokeSession', 'id', id)
    const session = await this.getSession(id)
    await this.#storeCall(() =>
      this.#store.revoke('sid', id, Math.max(session?.expiresAt ?? 0, this.#longestExpiry())),
    )
    return this.#storeCall(() => this.#store.deleteSession(id))
  }

  /**
   * Ends every session of a subject.
   *
   * @param sub - the subject
   * @returns how many sessions ended
   */
  async revokeAllSessions(sub: string): Promise<number> {
    assertId('AuthX.revokeAllSessions', 'sub', sub)
    const sessions = await this.listSessions(sub)
    for (const session of sessions) {
      await this.#storeCall(() =>
        this.#store.revoke('sid', session.id, Math.max(session.expiresAt, this.#longestExpiry())),
      )
    }
    return this.#storeCall(() => this.#store.deleteSessions(sub))
  }

  async #touchSession(id: string): Promise<void> {
    const session = await this.getSession(id)
    if (session !== null)
      await this.#storeCall(() =>
        this.#store.saveSession({ ...session, lastActive: this.config.clock() }),
      )
  }

  // ----------------------------------------------------------------- limits

  /**
   * Validates rate-limit options once; the adapters' `rateLimited()` guards call this at
   * construction and {@link AuthX.enforceRateLimit} per request.
   *
   * @param options - `max` requests per `window`, optional `key`
   */
  rateLimit(options: RateLimitOptions): ResolvedRateLimit {
    return resolveRateLimit(options)
  }

  /**
   * Counts one request against a limit.
   *
   * @param request - a Fetch `Request` or a `RequestView`
   * @param limit - from {@link AuthX.rateLimit}
   * @throws RateLimitExceededError (429) with the real seconds until the next slot
   */
  async enforceRateLimit(request: RequestLike, limit: ResolvedRateLimit): Promise<void> {
    const view = isFetchRequest(request)
      ? await viewFromRequest(request, { json: false, form: false })
      : request
    // A key built from request data may hold a lone surrogate: folding it to U+FFFD can only
    // merge buckets (a stricter limit), where refusing it would turn bad input into a 503.
    const key = `ratelimit:${toWellFormed(await limit.key(view))}`
    const hit = await this.#storeCall(() =>
      this.#store.hit(key, limit.windowSeconds, this.config.clock()),
    )
    if (hit.count > limit.max) throw new RateLimitExceededError(hit.resetIn)
  }

  // ------------------------------------------------- implicit refresh, ws, docs

  /**
   * Implicit refresh for cookie sessions, first half: before the handler runs, decide whether the
   * request's access cookie is valid, not revoked, of this instance's login type, and has less than
   * `implicitRefreshDeltatime` left; if so, mint its replacement (same subject, custom claims,
   * scopes, audience, session and family deadline; not fresh). The adapter sends the cookies only
   * if {@link PendingRefresh.confirm} still allows it once the handler has answered.
   *
   * @param request - a Fetch `Request` or a `RequestView`
   * @returns the pending refresh, or null when nothing should be refreshed
   */
  async prepareImplicitRefresh(request: RequestLike): Promise<PendingRefresh | null> {
    const view = isFetchRequest(request)
      ? await viewFromRequest(request, { json: false, form: false })
      : request
    if (!isImplicitRefreshEligible(this.config, view.method, view.path)) return null
    let found: RequestToken | null
    let payload: TokenPayload
    try {
      found = extractToken(view, this.config, { type: 'access', locations: ['cookies'] })
      if (found === null) return null
      // The same CSRF rule as the guards: a cross-site request gets no new cookie either.
      const { cookieCsrfProtect, csrfMethods } = this.config
      const verifyCsrf = cookieCsrfProtect && isCsrfMethod(csrfMethods, view.method)
      payload = await this.verifyToken(found, { verifyCsrf })
      this.#assertDerivable(payload)
    } catch (error) {
      // Any auth failure just means "nothing to refresh"; the route's own guard decides access.
      if (error instanceof AuthXError) return null
      throw error
    }
    const left = payload.timeUntilExpiry()
    if (left === null || left >= this.config.implicitRefreshDeltatime) return null
    const deadline = familyDeadlineOf(payload)
    if (deadline !== undefined && deadline <= this.config.clock()) return null
    const token = this.#createToken(
      'access',
      payload.sub,
      { ...this.#carriedClaims(payload), fresh: false, familyId: payload.fam },
      deadline,
    )
    const cookies = this.accessCookies(token)
    const source = found.token
    const authCookies = this.#authCookieNames
    return {
      cookies,
      confirm: async (status, setCookies) => {
        if (!isRefreshableStatus(status)) return []
        // A response that sets or deletes an auth cookie itself (a login, a logout) has the last
        // word: appending our replacement after it would undo a logout.
        if (setCookies.some((header) => authCookies.has(setCookieName(header)))) return []
        // The handler may have revoked the very token (or its session) this refresh came from.
        if (this.#revocationConsulted) {
          try {
            await this.#checkRevocation(source, payload)
          } catch (error) {
            if (error instanceof AuthXError) return []
            throw error
          }
        }
        return cookies
      },
    }
  }

  /** The names of every cookie this instance writes (tokens and CSRF values). */
  get #authCookieNames(): ReadonlySet<string> {
    const c = this.config
    return new Set([
      c.accessCookieName,
      c.refreshCookieName,
      c.accessCsrfCookieName,
      c.refreshCsrfCookieName,
    ])
  }

  /**
   * Authenticates a WebSocket upgrade request as AuthX does: the query parameter
   * (`queryStringName`) first, then the header (scheme stripped), whatever `tokenLocation` says;
   * access tokens only; revocation applies. Reject the upgrade with the error's status on failure.
   *
   * @param request - a Fetch `Request` or a `RequestView` of the upgrade request
   * @throws AuthXError subclasses (401) before any upgrade happens
   */
  async authenticateWebSocket<Extra extends CustomClaims = CustomClaims>(
    request: RequestLike,
  ): Promise<TokenPayload<Extra>> {
    return this.authenticate<Extra>(request, {
      type: 'access',
      locations: ['query', 'headers'],
      verifyCsrf: false,
    })
  }

  /** The OpenAPI `components.securitySchemes` for the locations this instance reads. */
  openapiComponents(): Record<string, SecurityScheme> {
    return securitySchemes(this.config)
  }

  /**
   * The OpenAPI `security` list for an operation guarded with `options`.
   *
   * @param options - the guard's type and locations
   */
  openapiSecurity(options: Pick<GuardOptions, 'type' | 'locations'> = {}): SecurityRequirement[] {
    return operationSecurity(this.config, options.type ?? 'access', options.locations)
  }

  // ---------------------------------------------------------------- cookies

  /**
   * The Set-Cookie values that store an access token (and its CSRF cookie).
   *
   * @param token - an access token created by this instance
   * @param options - `maxAge` in seconds (default `cookieMaxAge`)
   */
  accessCookies(token: string, options: { maxAge?: number | null } = {}): SetCookie[] {
    return this.#tokenCookies('access', token, options.maxAge)
  }

  /**
   * The Set-Cookie values that store a refresh token (and its CSRF cookie).
   *
   * @param token - a refresh token created by this instance
   * @param options - `maxAge` in seconds (default `cookieMaxAge`)
   */
  refreshCookies(token: string, options: { maxAge?: number | null } = {}): SetCookie[] {
    return this.#tokenCookies('refresh', token, options.maxAge)
  }

  #tokenCookies(type: TokenType, token: string, maxAge: number | null | undefined): SetCookie[] {
    const { config } = this
    // The CSRF cookie carries the token's own claim, so the token is verified to read it.
    const csrf =
      config.cookieCsrfProtect && config.csrfInCookies
        ? (this.verifyTokenSync(token, { type, verifyCsrf: false }).csrf ?? '')
        : ''
    return tokenCookies(config, type, token, csrf, maxAge)
  }

  /**
   * Deletions of the token (and CSRF) cookies.
   *
   * @param which - `"access"`, `"refresh"` or `"both"`
   * @defaultValue which - `"both"`
   */
  unsetCookies(which: TokenType | 'both' = 'both'): SetCookie[] {
    if (which === 'both')
      return [...deletionCookies(this.config, 'access'), ...deletionCookies(this.config, 'refresh')]
    return deletionCookies(this.config, which)
  }

  // ----------------------------------------------------------------- errors

  /**
   * Renders an error into the contract's status, headers and JSON body.
   *
   * @param error - an AuthXError
   */
  renderError(error: AuthXError): ErrorResponse {
    return renderError(error, this.config.errorMessageKey, this.config.messages)
  }

  /**
   * Renders an error as a Fetch `Response` (Next.js route handlers, Bun, Deno, Workers).
   *
   * @param error - an AuthXError
   */
  errorResponse(error: AuthXError): Response {
    const { status, headers, body } = this.renderError(error)
    return new Response(JSON.stringify(body), { status, headers })
  }
}
