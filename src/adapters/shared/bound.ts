/**
 * What every framework binding shares, written once over the framework's kit (`kit.ts`): the
 * ready-made guards, `tokenRequired`, `scopesRequired`, `rateLimited`, `guardFrom`, the payload
 * and subject accessors, implicit refresh, OpenAPI lookups and the cookie helpers.
 */
import { AuthX as CoreAuthX } from '../../authx.ts'
import type { GuardBodyOptions, GuardOptions, GuardResult } from '../../authx.ts'
import type { AuthXOptions } from '../../config/index.ts'
import type { SecurityRequirement } from '../../features/openapi.ts'
import type { RateLimitOptions } from '../../features/rate-limit.ts'
import type { SetCookie } from '../../response/cookies.ts'
import type { CustomClaims, TokenPayload } from '../../token/payload.ts'
import type { RequestView } from '../../types.ts'
import { bodyNeed, defineGuard } from './guard.ts'
import type { AdapterKit, Framework } from './kit.ts'

/**
 * The OpenAPI `paths` object a binding's `openapi(app)` returns where the framework has no
 * document generator: every operation of the app, with the `security` of its AuthX guard.
 */
export type OpenAPIPaths = Record<string, Record<string, { security?: SecurityRequirement[] }>>

/**
 * The core `AuthX` bound to one framework through its kit: the guards are the framework's
 * middleware shape `F['Guard']`, the cookie helpers write on its reply `F['Reply']`.
 */
export abstract class BoundAuthX<F extends Framework> extends CoreAuthX {
  /** What each ready-made guard checks, so OpenAPI metadata can describe the routes using it. */
  protected readonly guardOptions = new WeakMap<object, GuardOptions>()
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
    tryNow: ((view: RequestView) => TokenPayload | undefined) | undefined,
    locations: GuardBodyOptions['locations'],
  ): F['Guard'] {
    return defineGuard(this.kit, (error) => this.renderError(error), {
      run,
      tryNow,
      need: bodyNeed(this.config, locations),
    })
  }

  /** A ready-made guard: the pipeline with `options`, remembered for OpenAPI. */
  protected readyGuard(options: GuardOptions, loadSubject: boolean): F['Guard'] {
    const guard = this.#guard(
      async (view) => {
        const payload = await this.authenticate(view, options)
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
   * @param options - type, verifyType, verifyFresh, verifyCsrf, locations
   *
   * @example A refresh token from a cookie only (Express and Hono; on Fastify, as a `preHandler`)
   * ```ts
   * app.post('/refresh', auth.tokenRequired({ type: 'refresh', locations: ['cookies'] }), handler)
   * ```
   */
  tokenRequired(options: GuardOptions = {}): F['Guard'] {
    return this.readyGuard({ ...options }, false)
  }

  /**
   * A guard that requires an access token granting the scopes.
   *
   * @param scopes - required scopes (AuthX wildcards: `admin:*`)
   * @param options - `all: false` for any-of; other guard options
   * @throws TypeError when `scopes` is not an array of strings (when the guard is made, so a typo
   *   fails at start-up, not per request)
   */
  scopesRequired(
    scopes: readonly string[],
    options: GuardOptions & { all?: boolean } = {},
  ): F['Guard'] {
    if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string')) {
      throw new TypeError('scopesRequired expects an array of strings')
    }
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
  payload<Extra extends CustomClaims = CustomClaims>(request: F['Request']): TokenPayload<Extra> {
    const payload = this.kit.payloadOf(request)
    if (payload === undefined) {
      throw new TypeError(`auth.payload(${this.kit.requestName}) needs a route guarded by AuthX`)
    }
    return payload as TokenPayload<Extra>
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
   * The core's `RequestView` of a framework request, for `getTokenFromRequest`, `authenticate`...
   *
   * @param request - the framework's request
   */
  view(request: F['Request']): RequestView {
    return this.kit.view(request)
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
    return options === undefined ? undefined : this.openapiSecurity(options)
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
   * Deletes every AuthX cookie on a reply; with `"access"`, `"refresh"` or nothing, only returns
   * the deletions (the core behaviour).
   *
   * @param target - the framework's reply, or which cookies
   */
  override unsetCookies(target?: F['Reply'] | 'access' | 'refresh' | 'both'): SetCookie[] {
    if (typeof target !== 'object') return super.unsetCookies(target)
    const cookies = super.unsetCookies('both')
    this.#write(target, cookies)
    return cookies
  }
}
