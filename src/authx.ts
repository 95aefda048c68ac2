/**
 * The framework-free `AuthX` class: the table of contents of the library. Every public method of
 * DESIGN section 3 is here, and each delegates to the module that owns its behaviour: minting and
 * verification in `core/`, the request pipeline in `core/pipeline.ts`, refresh and rotation,
 * sessions, rate limits, implicit refresh, WebSockets and OpenAPI in `features/`. Adapters
 * subclass it and add guards in their framework's shape.
 *
 * @packageDocumentation
 */
import { resolveConfig } from './config/index.ts'
import type { AuthXConfig, AuthXOptions } from './config/index.ts'
import { Engine } from './core/engine.ts'
import {
  COOKIE_OPTION_KEYS,
  CREATE_TOKEN_OPTION_KEYS,
  CREATE_TOKEN_PAIR_OPTION_KEYS,
  GET_TOKEN_OPTION_KEYS,
  GUARD_OPTION_KEYS,
  REFRESH_TOKEN_OPTION_KEYS,
  TOKEN_GUARD_OPTION_KEYS,
  VERIFY_OPTION_KEYS,
} from './core/options.ts'
import type {
  CookieOptions,
  CreateTokenOptions,
  CreateTokenPairOptions,
  GetTokenOptions,
  GuardOptions,
  SubjectGetter,
  TokenBlocklist,
  TokenGuardOptions,
  TokenPair,
  VerifyOptions,
} from './core/options.ts'
import { assertScopes, authenticate, authenticateSync, findToken, toView } from './core/pipeline.ts'
import {
  BadConfigurationError,
  SubjectNotFoundError,
  TokenExpiredError,
  renderError,
} from './errors.ts'
import type { AuthXError, ErrorResponse } from './errors.ts'
import { KeyRing } from './core/key-ring.ts'
import type { RingKeyInfo } from './core/key-ring.ts'
import { prepareImplicitRefresh } from './features/implicit-refresh.ts'
import { jwksReply, publicKeySet } from './features/jwks.ts'
import type { JWKSReply } from './features/jwks.ts'
import type { PendingRefresh } from './features/implicit-refresh.ts'
import { operationSecurity, securitySchemes } from './features/openapi.ts'
import type { SecurityRequirement, SecurityScheme } from './features/openapi.ts'
import { enforceRateLimit, resolveRateLimit } from './features/rate-limit.ts'
import type { RateLimitOptions, ResolvedRateLimit } from './features/rate-limit.ts'
import { refresh } from './features/rotation.ts'
import type { RefreshOptions } from './features/rotation.ts'
import {
  createSession,
  getSession,
  listSessions,
  revokeAllSessions,
  revokeSession,
} from './features/sessions.ts'
import type { CreateSessionOptions } from './features/sessions.ts'
import { WEBSOCKET_GUARD } from './features/websocket.ts'
import type { RequestToken, TokenExtractor } from './request/extract.ts'
import { deletionCookies } from './response/cookies.ts'
import type { SetCookie } from './response/cookies.ts'
import { MemoryStore } from './stores/memory.ts'
import type { SessionRecord, Store } from './stores/types.ts'
import type { VerifiedTokenCacheStats } from './token/cache.ts'
import type { PublishedJWKSet } from './token/jwk.ts'
import type { CustomClaims, TokenPayload } from './token/payload.ts'
import type { RequestLike, RequestView, TokenLocation, TokenType } from './types.ts'
import {
  assertKnownKeys,
  optionKeys,
  unknownKey,
  unknownKeyError,
  unknownKeyMessage,
} from './internal/option-keys.ts'
import { OPTION_NAMES } from './config/schema.ts'

export type {
  CookieOptions,
  CreateTokenOptions,
  CreateTokenPairOptions,
  GetTokenOptions,
  GuardBodyOptions,
  GuardOptions,
  GuardResult,
  SubjectGetter,
  TokenBlocklist,
  TokenGuardOptions,
  TokenPair,
  VerifyOptions,
} from './core/options.ts'
export type { TokenExtractor } from './request/extract.ts'
export type { PendingRefresh } from './features/implicit-refresh.ts'

const REFRESH_OPTION_KEYS = optionKeys<RefreshOptions>()({ scopes: true })
const SESSION_OPTION_KEYS = optionKeys<CreateSessionOptions>()({
  ip: true,
  userAgent: true,
  data: true,
  expiresIn: true,
})
const RATE_LIMIT_OPTION_KEYS = optionKeys<RateLimitOptions>()({
  max: true,
  window: true,
  key: true,
})

/**
 * JWT authentication and authorization: AuthX for TypeScript.
 *
 * @typeParam Claims - the custom claims of this instance's tokens, typed once: they type the
 *   payloads of `verifyToken`, `authenticate`, the guards and `payload(request)` unless a call
 *   names others
 *
 * @example The seed's flow, framework-free
 * ```ts
 * const auth = new AuthX({ secretKey: process.env.JWT_SECRET_KEY })
 * const token = auth.createAccessToken('user1')
 * const payload = await auth.authenticate(request) // a Fetch Request
 * payload.sub // 'user1'
 * ```
 *
 * @example Custom claims typed once per instance
 * ```ts
 * type Claims = { role: 'admin' | 'user' }
 * const auth = new AuthX<Claims>({ secretKey })
 * const payload = await auth.verifyToken(token)
 * payload.role // 'admin' | 'user'
 * ```
 */
export class AuthX<Claims extends CustomClaims = CustomClaims> {
  /** The validated, frozen configuration. */
  readonly config: AuthXConfig
  readonly #engine: Engine
  #subjectGetter: SubjectGetter | undefined

  /**
   * @param options - see {@link AuthXOptions}; a key for the algorithm is required
   * @throws BadConfigurationError naming the option and the fix, or an unknown option key and
   *   the nearest valid one (`secret` names `secretKey`)
   */
  constructor(options: AuthXOptions) {
    // A misspelt option would otherwise leave its default in place without a word.
    const unknown = unknownKey(options, OPTION_NAMES)
    if (unknown !== undefined)
      throw new BadConfigurationError(
        unknownKeyMessage('new AuthX(options)', unknown, OPTION_NAMES),
      )
    this.config = resolveConfig(options)
    // An explicit store is shared state (Redis) and always consulted; the embedded default is
    // consulted only once it holds a revocation, so stateless apps pay nothing.
    const embedded =
      options.store === undefined ? new MemoryStore({ clock: this.config.clock }) : undefined
    this.#engine = new Engine(this.config, options.store ?? (embedded as MemoryStore), embedded)
  }

  /** Counters of the verified-token cache, or null when it is off. */
  get cacheStats(): VerifiedTokenCacheStats | null {
    return this.#engine.verifier.cacheStats
  }

  /** The store behind revocation, rotation, sessions and rate limits. */
  get store(): Store {
    return this.#engine.store
  }

  // ---------------------------------------------------------------- creation (core/mint.ts)

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
    assertKnownKeys('createAccessToken', options, CREATE_TOKEN_OPTION_KEYS)
    return this.#engine.mint.token('access', uid, options)
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
    assertKnownKeys('createRefreshToken', options, REFRESH_TOKEN_OPTION_KEYS)
    return this.#engine.mint.token('refresh', uid, options)
  }

  /**
   * Creates an access and a refresh token together. Under rotation both join a new family and
   * carry its deadline, so revoking the family (on reuse) rejects the access tokens too.
   *
   * @param uid - the subject
   * @param options - shared data, audience and headers; separate scopes and lifetimes
   * @returns `{ access_token, refresh_token, token_type: 'bearer' }`
   */
  createTokenPair(uid: string | number, options: CreateTokenPairOptions = {}): TokenPair {
    assertKnownKeys('createTokenPair', options, CREATE_TOKEN_PAIR_OPTION_KEYS)
    return this.#engine.mint.pair(uid, options)
  }

  // ------------------------------------------------------------ verification (core/verifier.ts)

  /**
   * Verifies a token synchronously: signature, claims, login type, type, freshness and CSRF. It
   * does not consult revocation (that needs the store); {@link AuthX.verifyToken} does.
   *
   * @param token - a compact JWS or a token found in a request
   * @param options - what to check
   * @throws AuthXError subclasses for every failure
   */
  verifyTokenSync<Extra extends CustomClaims = Claims>(
    token: string | RequestToken,
    options: VerifyOptions = {},
  ): TokenPayload<Extra> {
    assertKnownKeys('verifyTokenSync', options, VERIFY_OPTION_KEYS)
    return this.#engine.verifier.verifySync<Extra>(token, options)
  }

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
  verifyToken<Extra extends CustomClaims = Claims>(
    token: string | RequestToken,
    options: VerifyOptions = {},
  ): Promise<TokenPayload<Extra>> {
    const misuse = unknownKeyError('verifyToken', options, VERIFY_OPTION_KEYS)
    if (misuse !== undefined) return Promise.reject(misuse)
    return this.#engine.verify<Extra>(token, options)
  }

  // ------------------------------------------------------------ the request (core/pipeline.ts)

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
    assertKnownKeys('getTokenFromRequest', options, GET_TOKEN_OPTION_KEYS)
    const view = await toView(this.config, request, options.locations)
    const extractor = options.extractor ?? this.#engine.tokenExtractor
    return findToken(this.config, view, { ...options, extractor })
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
    const options = { type: 'access', optional: false, locations } as const
    return (await this.getTokenFromRequest(request, options)) as RequestToken
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
    const options = { type: 'refresh', optional: false, locations } as const
    return (await this.getTokenFromRequest(request, options)) as RequestToken
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
  authenticate<Extra extends CustomClaims = Claims>(
    request: RequestLike,
    options: GuardOptions = {},
  ): Promise<TokenPayload<Extra>> {
    const misuse = unknownKeyError('authenticate', options, GUARD_OPTION_KEYS)
    if (misuse !== undefined) return Promise.reject(misuse)
    // Not optional: the pipeline answers a payload or throws.
    return authenticate<Extra>(this.#engine, request, options) as Promise<TokenPayload<Extra>>
  }

  /**
   * Optional authentication, as AuthX's `optional=True`: the payload when the request carries a
   * valid token, null when it carries none, and the same errors as {@link AuthX.authenticate}
   * when it carries one that fails (expired, forged, revoked, wrong type...). A cookie sent
   * without its CSRF value on a CSRF method counts as no token.
   *
   * @param request - a Fetch `Request` or a `RequestView`
   * @param options - what a token must satisfy when there is one
   * @returns the verified payload, or null when the request has no token
   * @throws AuthXError subclasses for a token that is present but fails
   *
   * @example A page that greets signed-in users
   * ```ts
   * const payload = await auth.authenticateOptional(request)
   * return Response.json({ hello: payload?.sub ?? 'guest' })
   * ```
   */
  authenticateOptional<Extra extends CustomClaims = Claims>(
    request: RequestLike,
    options: GuardOptions = {},
  ): Promise<TokenPayload<Extra> | null> {
    const misuse = unknownKeyError('authenticateOptional', options, GUARD_OPTION_KEYS)
    if (misuse !== undefined) return Promise.reject(misuse)
    return authenticate<Extra>(this.#engine, request, { ...options, optional: true })
  }

  /**
   * {@link AuthX.authenticate} without a promise, for the guards' fast path: the same checks in
   * the same order, when none of them needs the store or the blocklist.
   *
   * @param view - the request
   * @param options - what the route requires
   * @returns the verified payload; null when `optional` and the request has no token; undefined
   *   when revocation must be consulted (then the caller uses `authenticate`)
   * @throws AuthXError subclasses, exactly as `authenticate` rejects
   */
  protected authenticateSync(
    view: RequestView,
    options: TokenGuardOptions,
  ): TokenPayload | null | undefined {
    return authenticateSync(this.#engine, view, options)
  }

  /**
   * The pipeline for the guards, with options they validated when they were made: the payload,
   * or null when `optional` and the request has no token.
   *
   * @param view - the request
   * @param options - what the route requires
   */
  protected authenticateGuarded(
    view: RequestView,
    options: TokenGuardOptions,
  ): Promise<TokenPayload | null> {
    return authenticate(this.#engine, view, options)
  }

  /**
   * Throws InsufficientScopeError (403) unless the payload grants the scopes.
   *
   * @param payload - a verified payload
   * @param required - scopes the route needs
   * @param all - AND (true) or OR (false)
   */
  checkScopes(payload: TokenPayload, required: readonly string[], all = true): void {
    assertScopes(payload, required, all)
  }

  // ------------------------------------------------------------- callbacks

  /**
   * Registers a revocation callback, consulted after the signature check on every guarded
   * request (so it can decide by `payload.jti`).
   *
   * @param callback - returns true (or resolves to true) for a revoked token
   */
  setTokenBlocklist(callback: TokenBlocklist<Claims>): void {
    if (typeof callback !== 'function') throw new TypeError('setTokenBlocklist expects a function')
    this.#engine.revocation.blocklist = callback as TokenBlocklist
  }

  /**
   * Registers a custom token extractor for every lookup of this instance (guards,
   * `authenticate`, `getTokenFromRequest`): it runs before the configured locations, and a
   * request where it finds nothing is searched as usual. A guard's own `extractor` option takes
   * its place on that route. Read only what a cross-site form cannot send (a header, not a
   * cookie): a token it returns is never CSRF-checked.
   *
   * @param extractor - returns the token, or null/undefined when there is none; null removes it
   * @throws TypeError when `extractor` is not a function or null
   *
   * @example A token in a header of your own scheme
   * ```ts
   * auth.setTokenExtractor((request) => request.header('x-api-token'))
   * ```
   */
  setTokenExtractor(extractor: TokenExtractor | null): void {
    if (extractor !== null && typeof extractor !== 'function')
      throw new TypeError('setTokenExtractor expects a function or null')
    this.#engine.tokenExtractor = extractor ?? undefined
  }

  /**
   * Registers the subject loader used by `currentSubject` guards.
   *
   * @param getter - loads the user for `sub`; null/undefined gives 401 SubjectNotFoundError
   */
  setSubjectGetter<Subject>(getter: SubjectGetter<Subject, Claims>): void {
    if (typeof getter !== 'function') throw new TypeError('setSubjectGetter expects a function')
    this.#subjectGetter = getter as SubjectGetter
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

  // ------------------------------------------------------------- revocation (core/revocation.ts)

  /**
   * Revokes one token by its `jti`, until the token's own `exp`. Revoking a refresh token also
   * ends its rotation family, so a logout ends the login even if a thief rotated first.
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
    await this.#engine.revocation.revoke(payload)
  }

  /**
   * Revokes every token of a subject issued until now (a "log out everywhere").
   *
   * @param sub - the subject
   */
  async revokeAllForSubject(sub: string): Promise<void> {
    await this.#engine.revocation.revokeSubject(sub)
  }

  // ---------------------------------------------------------- refresh & sessions (features/)

  /**
   * Exchanges a refresh token for a new pair. The new tokens keep the source's login type
   * (checked equal), subject, custom claims, scopes, audience, session and family deadline, and
   * are not fresh. With `refreshRotation`, the refresh token is consumed atomically: a second use
   * (a replay, or a stolen copy) revokes its whole family. Without rotation, the same refresh
   * token is returned.
   *
   * @param token - the refresh token (string or as found in the request)
   * @param options - `scopes` to narrow the new tokens (never to widen them)
   * @returns the new pair; send it with `Cache-Control: no-store`
   * @throws RevokedTokenError on reuse or a revoked family; InsufficientScopeError when asking for
   * scopes the refresh token does not grant; LoginTypeMismatchError for another login type
   *
   * @example A refresh route
   * ```ts
   * const found = await auth.getRefreshTokenFromRequest(request)
   * return Response.json(await auth.refresh(found), { headers: { 'cache-control': 'no-store' } })
   * ```
   */
  refresh(token: string | RequestToken, options: RefreshOptions = {}): Promise<TokenPair> {
    const misuse = unknownKeyError('refresh', options, REFRESH_OPTION_KEYS)
    if (misuse !== undefined) return Promise.reject(misuse)
    return refresh(this.#engine, token, options)
  }

  /**
   * Starts a login session; pass its `id` as `sessionId` when creating the login's tokens so
   * that revoking the session rejects them.
   *
   * @param sub - the subject
   * @param options - client address, user agent, data, lifetime
   */
  createSession(sub: string, options: CreateSessionOptions = {}): Promise<SessionRecord> {
    const misuse = unknownKeyError('createSession', options, SESSION_OPTION_KEYS)
    if (misuse !== undefined) return Promise.reject(misuse)
    return createSession(this.#engine, sub, options)
  }

  /** A session by id, or null. @param id - the session id */
  getSession(id: string): Promise<SessionRecord | null> {
    return getSession(this.#engine, id)
  }

  /** The live sessions of a subject. @param sub - the subject */
  listSessions(sub: string): Promise<SessionRecord[]> {
    return listSessions(this.#engine, sub)
  }

  /**
   * Ends a session: it is deleted and every token carrying its `sid` is rejected from now on.
   *
   * @param id - the session id
   * @returns whether the session existed
   */
  revokeSession(id: string): Promise<boolean> {
    return revokeSession(this.#engine, id)
  }

  /**
   * Ends every session of a subject.
   *
   * @param sub - the subject
   * @returns how many sessions ended
   */
  revokeAllSessions(sub: string): Promise<number> {
    return revokeAllSessions(this.#engine, sub)
  }

  // ----------------------------------------------------------------- limits (features/rate-limit.ts)

  /**
   * Validates rate-limit options once; the adapters' `rateLimited()` guards call this at
   * construction and {@link AuthX.enforceRateLimit} per request.
   *
   * @param options - `max` requests per `window`, optional `key`
   */
  rateLimit(options: RateLimitOptions): ResolvedRateLimit {
    assertKnownKeys('rateLimit', options, RATE_LIMIT_OPTION_KEYS)
    return resolveRateLimit(options)
  }

  /**
   * Counts one request against a limit.
   *
   * @param request - a Fetch `Request` or a `RequestView`
   * @param limit - from {@link AuthX.rateLimit}
   * @throws RateLimitExceededError (429) with the real seconds until the next slot
   */
  enforceRateLimit(request: RequestLike, limit: ResolvedRateLimit): Promise<void> {
    return enforceRateLimit(this.#engine, request, limit)
  }

  // ------------------------------------------------- implicit refresh, ws, docs (features/)

  /**
   * Implicit refresh for cookie sessions, first half: before the handler runs, decide whether the
   * request's access cookie is valid, not revoked, of this instance's login type, and has less
   * than `implicitRefreshDeltatime` left; if so, mint its replacement. The adapter sends the
   * cookies only if `PendingRefresh.confirm` still allows it once the handler has answered.
   *
   * @param request - a Fetch `Request` or a `RequestView`
   * @returns the pending refresh, or null when nothing should be refreshed
   */
  prepareImplicitRefresh(request: RequestLike): Promise<PendingRefresh | null> {
    return prepareImplicitRefresh(this.#engine, request)
  }

  /**
   * Authenticates a WebSocket upgrade request as AuthX does: the query parameter
   * (`queryStringName`) first, then the header (scheme stripped), whatever `tokenLocation` says;
   * access tokens only; revocation applies. Reject the upgrade with the error's status on failure.
   *
   * @param request - a Fetch `Request` or a `RequestView` of the upgrade request
   * @throws AuthXError subclasses (401) before any upgrade happens
   */
  authenticateWebSocket<Extra extends CustomClaims = Claims>(
    request: RequestLike,
  ): Promise<TokenPayload<Extra>> {
    return this.authenticate<Extra>(request, WEBSOCKET_GUARD)
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
    // A guard's whole options may be passed as they are; only type and locations matter here.
    assertKnownKeys('openapiSecurity', options, TOKEN_GUARD_OPTION_KEYS)
    return operationSecurity(this.config, options.type ?? 'access', options.locations)
  }

  // ------------------------------------------------------------------ keys (features/jwks.ts)

  /**
   * Resolves once the keys are at hand: at once for configured keys; after the first fetch for
   * `jwksUri` and `issuers`; once the key ring is loaded (or created) for `keyRing`, which must
   * happen before the instance creates tokens. Verification never needs it (the first request
   * fetches and the guards wait), but a server that awaits it at start-up learns of a bad URL, a
   * provider that is down or a wrong encryption key before its first request does.
   *
   * @throws KeySetUnavailableError when a remote key set cannot be loaded; BadConfigurationError
   *   when the key ring cannot be opened with the configured encryption keys
   */
  async ready(): Promise<void> {
    await this.#engine.keys.load?.()
  }

  /**
   * Rotates the key ring now (`keyRing`): the next key, already published, starts signing, and a
   * new next key is made. Every instance on the store follows within its refresh interval (a
   * minute at most). For a suspected leak, `{ revokePrevious: true }` also drops every older key
   * at once: every token they signed stops verifying, which logs out every user whose session
   * rests on them, refresh tokens included.
   *
   * @param options - `revokePrevious`: retire the old keys immediately
   * @throws BadConfigurationError when the instance has no key ring
   */
  async rotateKeys(options: { revokePrevious?: boolean } = {}): Promise<void> {
    const ring = this.#engine.keys
    if (!(ring instanceof KeyRing)) {
      throw new BadConfigurationError('rotateKeys(): this instance has no keyRing to rotate')
    }
    await ring.rotate(options.revokePrevious === true)
  }

  /**
   * The keys of the key ring and where each stands now (`next`, `current`, `retiring`), or null
   * without a ring: for dashboards, logs and tests.
   */
  keyRingStatus(): RingKeyInfo[] | null {
    const ring = this.#engine.keys
    return ring instanceof KeyRing ? ring.describe() : null
  }

  /**
   * The instance's public keys as a JWK Set (`kid`, `alg`, `use: "sig"`; never a private member,
   * never a secret), current key first, for the services that verify its tokens.
   *
   * @throws BadConfigurationError when the instance has no public key (HMAC only, or remote keys)
   *
   * @example
   * ```ts
   * const auth = new AuthX({ algorithm: 'EdDSA', privateKey, keyId: '2026-12' })
   * auth.jwks() // { keys: [{ kty: 'OKP', crv: 'Ed25519', x: '…', kid: '2026-12', alg: 'EdDSA', use: 'sig' }] }
   * ```
   */
  jwks(): PublishedJWKSet {
    return publicKeySet(this.#engine)
  }

  /**
   * What a JWKS endpoint answers: 200 with the set (`application/jwk-set+json`, `Cache-Control`
   * from `jwksCacheMaxAge`, a strong `ETag`), or 304 when `If-None-Match` names the current tag.
   * The bindings' `jwksHandler` send this; use it to serve the set from anything else.
   *
   * @param ifNoneMatch - the request's `If-None-Match` header
   */
  jwksReply(ifNoneMatch?: string | null): JWKSReply {
    return jwksReply(this.#engine, ifNoneMatch)
  }

  /**
   * {@link AuthX.jwksReply} as a Fetch `Response`, to mount at `/.well-known/jwks.json`.
   *
   * @param request - the request, for its `If-None-Match`
   *
   * @example A Next.js route handler (`app/.well-known/jwks.json/route.ts`)
   * ```ts
   * export const GET = (request: Request) => auth.jwksResponse(request)
   * ```
   */
  jwksResponse(request?: Request): Response {
    const reply = jwksReply(this.#engine, request?.headers.get('if-none-match'))
    return new Response(reply.body, { status: reply.status, headers: reply.headers })
  }

  // ---------------------------------------------------------------- cookies (response/cookies.ts)

  /**
   * The Set-Cookie values that store an access token (and its CSRF cookie).
   *
   * @param token - an access token created by this instance
   * @param options - `maxAge` in seconds (default `cookieMaxAge`)
   * @throws BadConfigurationError when `tokenLocation` lacks `cookies`: such an instance never
   *   reads the cookie, and its tokens carry no CSRF value for the CSRF cookie
   */
  accessCookies(token: string, options: CookieOptions = {}): SetCookie[] {
    this.#assertCookies('accessCookies', options)
    return this.#engine.cookies('access', token, options.maxAge)
  }

  /**
   * The Set-Cookie values that store a refresh token (and its CSRF cookie).
   *
   * @param token - a refresh token created by this instance
   * @param options - `maxAge` in seconds (default `cookieMaxAge`)
   * @throws BadConfigurationError when `tokenLocation` lacks `cookies`
   */
  refreshCookies(token: string, options: CookieOptions = {}): SetCookie[] {
    this.#assertCookies('refreshCookies', options)
    return this.#engine.cookies('refresh', token, options.maxAge)
  }

  /** Fails fast where cookies cannot work, instead of writing a cookie no guard reads. */
  #assertCookies(where: string, options: CookieOptions): void {
    assertKnownKeys(where, options, COOKIE_OPTION_KEYS)
    if (!this.config.tokenLocation.includes('cookies')) {
      throw new BadConfigurationError(
        `${where}: tokenLocation is [${this.config.tokenLocation.join(', ')}], without 'cookies': ` +
          `this instance never reads a token cookie, and its tokens carry no CSRF value. ` +
          `Add 'cookies' to tokenLocation (for example ['headers', 'cookies']) to use cookies.`,
      )
    }
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
