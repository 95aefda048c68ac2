/**
 * What every framework binding shares, written once over the framework's kit (`kit.ts`): the
 * ready-made guards, `tokenRequired`, `scopesRequired`, `rateLimited`, `guardFrom`, the payload
 * and subject accessors, implicit refresh, OpenAPI lookups and the cookie helpers.
 */
import { AuthX as CoreAuthX } from '../../authx.ts'
import type {
  GetTokenOptions,
  GuardBodyOptions,
  GuardOptions,
  GuardResult,
  PendingRefresh,
  TokenGuardOptions,
} from '../../authx.ts'
import { GUARD_OPTION_KEYS, TOKEN_GUARD_OPTION_KEYS } from '../../core/options.ts'
import { assertKnownKeys } from '../../internal/option-keys.ts'
import type { AuthXOptions } from '../../config/index.ts'
import type { SecurityRequirement } from '../../features/openapi.ts'
import type { RateLimitOptions, ResolvedRateLimit } from '../../features/rate-limit.ts'
import type { RequestToken } from '../../request/extract.ts'
import type { SetCookie } from '../../response/cookies.ts'
import type { CustomClaims, TokenPayload } from '../../token/payload.ts'
import type { RequestLike, RequestView, TokenLocation, TokenType } from '../../types.ts'
import { bodyNeed, defineGuard } from './guard.ts'
import type { AdapterKit, Framework } from './kit.ts'

/**
 * The OpenAPI `paths` object a binding's `openapi(app)` returns where the framework has no
 * document generator: every operation of the app, with the `security` of its AuthX guard.
 */
export type OpenAPIPaths = Record<string, Record<string, { security?: SecurityRequirement[] }>>

/** Options of `scopesRequired`: the guard options but the scopes themselves, and `all`. */
export interface ScopesGuardOptions extends Omit<GuardOptions, 'type' | 'scopes' | 'allScopes'> {
  /** Every scope (AND, true) or any one of them (OR, false). @defaultValue true */
  all?: boolean | undefined
}

const SCOPES_GUARD_OPTION_KEYS: readonly string[] = [
  ...GUARD_OPTION_KEYS.filter((key) => key !== 'type' && key !== 'scopes' && key !== 'allScopes'),
  'all',
]

/**
 * Refuses a `maxAge` that is not a number of seconds: `{ maxAge: 60 }` (the core's options form)
 * passed as the third argument would otherwise reach the cookie serializer.
 */
function assertMaxAge(where: string, maxAge: unknown): void {
  if (maxAge !== undefined && typeof maxAge !== 'number') {
    throw new TypeError(
      `${where}(token, reply, maxAge): maxAge is a number of seconds, got ${typeof maxAge}`,
    )
  }
}

/**
 * The core `AuthX` bound to one framework through its kit: the guards are the framework's
 * middleware shape `F['Guard']`, the cookie helpers write on its reply `F['Reply']`.
 *
 * @typeParam Claims - the custom claims of the instance's tokens (see the core `AuthX`)
 */
export abstract class BoundAuthX<
  F extends Framework,
  Claims extends CustomClaims = CustomClaims,
> extends CoreAuthX<Claims> {
  /** What each ready-made guard checks, so OpenAPI metadata can describe the routes using it. */
  protected readonly guardOptions = new WeakMap<object, TokenGuardOptions>()
  /** The framework's primitives. */
  protected readonly kit: AdapterKit<F>

  /** Requires a valid access token. */
  readonly accessTokenRequired: F['Guard']
  /** Requires a valid refresh token. */
  readonly refreshTokenRequired: F['Guard']
  /** Requires a fresh access token. */
  readonly freshTokenRequired: F['Guard']
  /** Requires an access token and loads its subject with the getter (401 if none). */
  readonly currentSubject: F['Guard']
  /**
   * Optional authentication (AuthX's `optional=True`): a valid access token attaches its payload,
   * no token lets the request through with none (`auth.optionalPayload(request)` is null), a
   * token that is present but fails is refused as on `accessTokenRequired`.
   */
  readonly tokenOptional: F['Guard']

  /**
   * @param options - see `AuthXOptions`
   * @param kit - the framework's primitives
   * @throws BadConfigurationError naming the option and the fix
   */
  constructor(options: AuthXOptions, kit: AdapterKit<F>) {
    super(options)
    this.kit = kit
    this.accessTokenRequired = this.readyGuard({ type: 'access' }, false)
    this.refreshTokenRequired = this.readyGuard({ type: 'refresh' }, false)
    this.freshTokenRequired = this.readyGuard({ type: 'access', verifyFresh: true }, false)
    this.currentSubject = this.readyGuard({ type: 'access' }, true)
    this.tokenOptional = this.readyGuard({ type: 'access', optional: true }, false)
  }

  /**
   * Builds a guard from any authentication function: the building block of the ready guards and
   * of extensions such as `AuthManager`. The function's payload (and subject) is attached to the
   * request; its AuthX errors are answered with the JSON contract, other errors go to the
   * framework's error handling. A function resolving to `undefined` (a rate limit, a check) lets
   * the request through and attaches nothing.
   *
   * @param run - authenticates the request view; returns the payload, or payload and subject
   * @param options - the locations `run` searches, so the guard knows whether to read the body
   */
  guardFrom(
    run: (view: RequestView) => Promise<GuardResult | undefined>,
    options: GuardBodyOptions = {},
  ): F['Guard'] {
    return this.#guard(run, undefined, options.locations)
  }

  #guard(
    run: (view: RequestView) => Promise<GuardResult | undefined>,
    tryNow: ((view: RequestView) => TokenPayload | null | undefined) | undefined,
    locations: GuardBodyOptions['locations'],
  ): F['Guard'] {
    return defineGuard(this.kit, (error) => this.renderError(error), {
      run,
      tryNow,
      need: bodyNeed(this.config, locations),
    })
  }

  /** A ready-made guard: the pipeline with `options`, remembered for OpenAPI. */
  protected readyGuard(options: TokenGuardOptions, loadSubject: boolean): F['Guard'] {
    const guard = this.#guard(
      async (view) => {
        const payload = await this.authenticateGuarded(view, options)
        // An optional token that is absent: through, with nothing attached.
        if (payload === null) return undefined
        return loadSubject ? { payload, subject: await this.getSubject(payload) } : payload
      },
      // Most routes are stateless and need no subject: they are answered without a promise.
      loadSubject ? undefined : (view) => this.authenticateSync(view, options),
      options.locations,
    )
    this.guardOptions.set(guard, options)
    return guard
  }

  /**
   * The WebSocket guard: the token comes from the query parameter, then the header, as browsers
   * cannot set headers on a WebSocket; a failure answers 401 before the upgrade.
   */
  protected webSocketGuard(): F['Guard'] {
    const guard = this.guardFrom((view) => this.authenticateWebSocket(view), { locations: [] })
    // What authenticateWebSocket reads, so the route's document shows the query and header.
    this.guardOptions.set(guard, { type: 'access', locations: ['query', 'headers'] })
    return guard
  }

  /**
   * A guard with explicit options.
   *
   * @param options - type, verifyType, verifyFresh, verifyCsrf, locations, scopes, allScopes,
   *   extractor, optional
   * @throws TypeError for an option key no guard has (naming the nearest valid one)
   *
   * @example A refresh token from a cookie only (Express and Hono; on Fastify, as a `preHandler`)
   * ```ts
   * app.post('/refresh', auth.tokenRequired({ type: 'refresh', locations: ['cookies'] }), handler)
   * ```
   *
   * @example Optional authentication with a token from a header of your own
   * ```ts
   * const guard = auth.tokenRequired({ optional: true, extractor: (r) => r.header('x-token') })
   * ```
   */
  tokenRequired(options: TokenGuardOptions = {}): F['Guard'] {
    assertKnownKeys('tokenRequired', options, TOKEN_GUARD_OPTION_KEYS)
    return this.readyGuard({ ...options }, false)
  }

  /**
   * A guard that requires an access token granting the scopes.
   *
   * @param scopes - required scopes (AuthX wildcards: `admin:*`)
   * @param options - `all: false` for any-of; other guard options
   * @throws TypeError when `scopes` is not an array of strings, or for an option key the guard
   *   does not have (`allScopes` names `all`): when the guard is made, so a typo fails at
   *   start-up, not per request
   */
  scopesRequired(scopes: readonly string[], options: ScopesGuardOptions = {}): F['Guard'] {
    if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string')) {
      throw new TypeError('scopesRequired expects an array of strings')
    }
    assertKnownKeys('scopesRequired', options, SCOPES_GUARD_OPTION_KEYS)
    const { all, ...rest } = options
    return this.readyGuard(
      { ...rest, type: 'access', scopes: [...scopes], allScopes: all ?? true },
      false,
    )
  }

  /**
   * A guard that counts requests per key and answers 429 `RateLimitExceededError`, with the real
   * `Retry-After`, past `max` per `window`. The default key is the route and the client address
   * as the framework knows them. The route is the pattern its router matched (so every spelling
   * it routes to `/login`, `/login#x` or `http://host/login` included, is one bucket, and
   * `/users/:id` is one bucket for every id), or the folded path where there is no pattern (a
   * wildcard middleware). The address is `request.ip` on Fastify, `req.ip` on Express (under the
   * app's `trust proxy` setting), the socket address on @hono/node-server; elsewhere pass a `key`
   * (from a trusted header of your platform, for example). Put it before the other guards of a
   * route.
   *
   * @param options - `max`, `window`, optional `key(view)`
   * @throws TypeError at construction for invalid options
   *
   * @example Five login attempts a minute per client (Express and Hono; on Fastify, as a
   * `preHandler`)
   * ```ts
   * app.post('/login', auth.rateLimited({ max: 5, window: '1m' }), login)
   * ```
   */
  rateLimited(options: RateLimitOptions): F['Guard'] {
    const limit = this.rateLimit(options)
    return this.guardFrom(
      async (view) => {
        await this.enforceRateLimit(view, limit)
        return undefined
      },
      // A rate limit never reads a token, so no guard reads the body for it.
      { locations: [] },
    )
  }

  /**
   * The verified payload of a guarded request.
   *
   * @param request - the framework's request (Fastify `request`, Express `req`, Hono `c`)
   * @throws TypeError when the route has no AuthX guard
   */
  payload<Extra extends CustomClaims = Claims>(request: F['Request']): TokenPayload<Extra> {
    const payload = this.kit.payloadOf(request)
    if (payload === undefined) {
      const name = this.kit.requestName
      throw new TypeError(
        `auth.payload(${name}) needs a route guarded by AuthX; where the token is optional ` +
          `(tokenOptional), use auth.optionalPayload(${name})`,
      )
    }
    return payload as TokenPayload<Extra>
  }

  /**
   * The verified payload of a request behind an optional guard (`tokenOptional`,
   * `tokenRequired({ optional: true })`): null when the request came without a token.
   *
   * @param request - the framework's request
   */
  optionalPayload<Extra extends CustomClaims = Claims>(
    request: F['Request'],
  ): TokenPayload<Extra> | null {
    return (this.kit.payloadOf(request) as TokenPayload<Extra> | undefined) ?? null
  }

  /**
   * The subject loaded by the `currentSubject` guard.
   *
   * @param request - the framework's request
   */
  subject<Subject = unknown>(request: F['Request']): Subject {
    return this.kit.subjectOf(request) as Subject
  }

  /**
   * The core's `RequestView` of a framework request. The core methods take the framework's
   * request themselves; this is for code that wants the view.
   *
   * @param request - the framework's request
   */
  view(request: F['Request']): RequestView {
    return this.kit.view(request)
  }

  /**
   * The view of the framework's own request, with the body read first when `locations` may need
   * it and no parser read it (as a guard would); any other request as it is.
   */
  async #toRequestLike(
    request: RequestLike | F['Request'],
    locations: readonly TokenLocation[] | undefined,
  ): Promise<RequestLike> {
    if (!this.kit.isRequest(request)) return request as RequestLike
    const need = bodyNeed(this.config, locations)
    const body = need === undefined ? undefined : this.kit.readBody?.(request, need)
    return this.kit.view(request, body === undefined ? undefined : await body)
  }

  /**
   * Finds a token in a request without verifying it.
   *
   * @param request - the framework's request, a Fetch `Request` or a `RequestView`
   * @param options - type, locations, and whether a missing token is an error
   * @returns the token, or null when optional and nothing was found
   */
  override async getTokenFromRequest(
    request: RequestLike | F['Request'],
    options: GetTokenOptions = {},
  ): Promise<RequestToken | null> {
    return super.getTokenFromRequest(await this.#toRequestLike(request, options.locations), options)
  }

  /**
   * The access token of a request, or MissingTokenError.
   *
   * @param request - the framework's request, a Fetch `Request` or a `RequestView`
   * @param locations - override of `tokenLocation`
   */
  override getAccessTokenFromRequest(
    request: RequestLike | F['Request'],
    locations?: readonly TokenLocation[],
  ): Promise<RequestToken> {
    // The core calls getTokenFromRequest, which takes the framework's request.
    return super.getAccessTokenFromRequest(request as RequestLike, locations)
  }

  /**
   * The refresh token of a request, or MissingTokenError: the seed's `/refresh` route.
   *
   * @param request - the framework's request, a Fetch `Request` or a `RequestView`
   * @param locations - override of `tokenLocation`
   *
   * @example The refresh route, the framework's request passed as it is
   * ```ts
   * const pair = await auth.refresh(await auth.getRefreshTokenFromRequest(request))
   * ```
   */
  override getRefreshTokenFromRequest(
    request: RequestLike | F['Request'],
    locations?: readonly TokenLocation[],
  ): Promise<RequestToken> {
    return super.getRefreshTokenFromRequest(request as RequestLike, locations)
  }

  /**
   * The whole pipeline on a request: extract, verify, revocation, scopes.
   *
   * @param request - the framework's request, a Fetch `Request` or a `RequestView`
   * @param options - what the route requires
   * @returns the verified payload
   * @throws AuthXError subclasses
   */
  override authenticate<Extra extends CustomClaims = Claims>(
    request: RequestLike | F['Request'],
    options: GuardOptions = {},
  ): Promise<TokenPayload<Extra>> {
    if (!this.kit.isRequest(request))
      return super.authenticate<Extra>(request as RequestLike, options)
    return this.#toRequestLike(request, options.locations).then((view) =>
      super.authenticate<Extra>(view, options),
    )
  }

  /**
   * Optional authentication on a request: the payload, null when it has no token.
   *
   * @param request - the framework's request, a Fetch `Request` or a `RequestView`
   * @param options - what a token must satisfy when there is one
   * @throws AuthXError subclasses for a token that is present but fails
   */
  override authenticateOptional<Extra extends CustomClaims = Claims>(
    request: RequestLike | F['Request'],
    options: GuardOptions = {},
  ): Promise<TokenPayload<Extra> | null> {
    if (!this.kit.isRequest(request))
      return super.authenticateOptional<Extra>(request as RequestLike, options)
    return this.#toRequestLike(request, options.locations).then((view) =>
      super.authenticateOptional<Extra>(view, options),
    )
  }

  /**
   * Authenticates a WebSocket upgrade request (query parameter, then header; access tokens).
   *
   * @param request - the framework's request, a Fetch `Request` or a `RequestView`
   * @throws AuthXError subclasses (401) before any upgrade happens
   */
  override authenticateWebSocket<Extra extends CustomClaims = Claims>(
    request: RequestLike | F['Request'],
  ): Promise<TokenPayload<Extra>> {
    // The core calls authenticate, which takes the framework's request.
    return super.authenticateWebSocket<Extra>(request as RequestLike)
  }

  /**
   * Counts one request against a limit.
   *
   * @param request - the framework's request, a Fetch `Request` or a `RequestView`
   * @param limit - from `auth.rateLimit(...)`
   * @throws RateLimitExceededError (429)
   */
  override enforceRateLimit(
    request: RequestLike | F['Request'],
    limit: ResolvedRateLimit,
  ): Promise<void> {
    const like = this.kit.isRequest(request) ? this.kit.view(request) : (request as RequestLike)
    return super.enforceRateLimit(like, limit)
  }

  /**
   * Implicit refresh, first half (see `implicitRefresh(app)`, which calls it for you).
   *
   * @param request - the framework's request, a Fetch `Request` or a `RequestView`
   */
  override prepareImplicitRefresh(
    request: RequestLike | F['Request'],
  ): Promise<PendingRefresh | null> {
    const like = this.kit.isRequest(request) ? this.kit.view(request) : (request as RequestLike)
    return super.prepareImplicitRefresh(like)
  }

  /**
   * Renders AuthX errors thrown in handlers as the JSON contract; other errors go to the error
   * handling the app had before, untouched.
   *
   * @param app - the framework's application
   */
  abstract handleErrors(app: F['App']): void

  /**
   * Turns on implicit refresh for cookie sessions: a request whose access cookie is valid but
   * close to expiry gets a new access cookie on a successful response (status below 400). Never
   * on an error, nor on a response that sets or deletes an auth cookie itself (a login, a logout),
   * nor when the handler revoked the token (or its session) meanwhile. It covers the routes
   * registered after the call.
   *
   * @param app - the framework's application (call before declaring the routes it should cover)
   *
   * @example
   * ```ts
   * const auth = new AuthX({ secretKey, tokenLocation: ['cookies'], implicitRefreshDeltatime: 300 })
   * auth.implicitRefresh(app)
   * app.get('/page', auth.accessTokenRequired, page)
   * ```
   */
  implicitRefresh(app: F['App']): void {
    this.kit.beforeHeaders(app, async (request) => {
      const pending = await this.prepareImplicitRefresh(this.kit.view(request))
      if (pending === null) return null
      // A failure to decide (a blocklist callback that throws) drops the cookie, not the reply
      // the handler already made: the same callback fails the next request's guard.
      return (status, setCookies) => pending.confirm(status, setCookies).catch(() => [])
    })
  }

  /**
   * The OpenAPI `security` list of an operation protected by one of this instance's ready-made
   * guards, with `auth.openapiComponents()` as `components.securitySchemes`.
   *
   * @param guard - any middleware: a guard made by this instance, or another
   * @returns the requirements, or undefined for anything that is not such a guard (so it can be
   *   mapped over every handler of a route)
   *
   * @example
   * ```ts
   * const doc = {
   *   openapi: '3.1.0',
   *   components: { securitySchemes: auth.openapiComponents() },
   *   paths: { '/me': { get: { security: auth.openapiSecurityOf(auth.accessTokenRequired) } } },
   * }
   * ```
   */
  openapiSecurityOf(guard: unknown): SecurityRequirement[] | undefined {
    const options =
      typeof guard === 'function' || (typeof guard === 'object' && guard !== null)
        ? this.guardOptions.get(guard)
        : undefined
    return options === undefined ? undefined : this.guardSecurity(options)
  }

  /**
   * The OpenAPI `security` of a ready-made guard's options. An optional guard also lists the
   * empty requirement `{}`: the operation can be called without credentials.
   *
   * @param options - what the guard checks
   */
  protected guardSecurity(options: TokenGuardOptions): SecurityRequirement[] {
    const security = this.openapiSecurity(options)
    return options.optional === true ? [...security, {}] : security
  }

  /**
   * The OpenAPI `paths` of a route table: one operation per path and method, whose `security` is
   * that of the first of its handlers made by this instance's ready-made guards.
   *
   * @param routes - each route's path (`:name` parameters), method and handlers, in order
   */
  protected openapiPaths(
    routes: Iterable<{ path: string; method: string; handlers: readonly unknown[] }>,
  ): OpenAPIPaths {
    const paths: OpenAPIPaths = {}
    for (const { path, method, handlers } of routes) {
      // OpenAPI writes a path parameter `{id}`; routers write `:id` (Hono may add a `{regex}`).
      const key = path.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, '{$1}')
      const operations = (paths[key] ??= {})
      const operation = (operations[method.toLowerCase()] ??= {})
      for (const handler of handlers) {
        const security = this.openapiSecurityOf(handler)
        if (security !== undefined) operation.security ??= security
      }
    }
    return paths
  }

  /** Appends the cookies to the reply, keeping the Set-Cookie headers already there. */
  #write(reply: F['Reply'], cookies: readonly SetCookie[]): void {
    for (const cookie of cookies) this.kit.appendCookie(reply, cookie.header)
  }

  /**
   * Sets the access-token cookie (and its CSRF cookie).
   *
   * @param token - an access token of this instance
   * @param reply - the framework's reply
   * @param maxAge - seconds (default `cookieMaxAge`)
   */
  setAccessCookies(token: string, reply: F['Reply'], maxAge?: number): void {
    assertMaxAge('setAccessCookies', maxAge)
    this.#write(reply, this.accessCookies(token, maxAge === undefined ? {} : { maxAge }))
  }

  /**
   * Sets the refresh-token cookie (and its CSRF cookie).
   *
   * @param token - a refresh token of this instance
   * @param reply - the framework's reply
   * @param maxAge - seconds (default `cookieMaxAge`)
   */
  setRefreshCookies(token: string, reply: F['Reply'], maxAge?: number): void {
    assertMaxAge('setRefreshCookies', maxAge)
    this.#write(reply, this.refreshCookies(token, maxAge === undefined ? {} : { maxAge }))
  }

  /** Deletes the access cookies. @param reply - the framework's reply */
  unsetAccessCookies(reply: F['Reply']): void {
    this.#write(reply, super.unsetCookies('access'))
  }

  /** Deletes the refresh cookies. @param reply - the framework's reply */
  unsetRefreshCookies(reply: F['Reply']): void {
    this.#write(reply, super.unsetCookies('refresh'))
  }

  /**
   * Deletes the AuthX cookies on a reply: with no second argument every one of them (access and
   * refresh tokens and both CSRF cookies), as a logout needs. The reply is required: a
   * Set-Cookie header can only be written on it, so a call without one throws instead of
   * clearing nothing (the framework-free core's `unsetCookies()` returns the values instead).
   *
   * @param reply - the framework's reply (Fastify `reply`, Express `res`, Hono `c`)
   * @param which - `"access"`, `"refresh"` or `"both"`
   * @defaultValue which - `"both"`
   * @returns the deletions written
   * @throws TypeError when no reply is given
   *
   * @example A logout route
   * ```ts
   * app.post('/logout', async (request, reply) => {
   *   auth.unsetCookies(reply)
   *   return { detail: 'Logged out' }
   * })
   * ```
   */
  override unsetCookies(
    reply?: F['Reply'] | TokenType | 'both',
    which: TokenType | 'both' = 'both',
  ): SetCookie[] {
    if (typeof reply !== 'object' || reply === null) {
      throw new TypeError(
        "auth.unsetCookies(reply) needs the framework's reply (Fastify reply, Express res, " +
          "Hono c) to write the deletions on; auth.unsetCookies(reply, 'access') deletes only " +
          'the access cookies',
      )
    }
    const cookies = super.unsetCookies(which)
    this.#write(reply, cookies)
    return cookies
  }
}
