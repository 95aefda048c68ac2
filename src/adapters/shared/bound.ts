/**
 * What every framework binding shares: the cookie helpers that write the core's Set-Cookie
 * values onto the framework's reply object. Each adapter extends this with its reply type and
 * says how one Set-Cookie header is appended.
 */
import { AuthX as CoreAuthX } from '../../authx.ts'
import type { RequestView } from '../../types.ts'
import type { GuardBodyOptions, GuardOptions, GuardResult } from '../../authx.ts'
import type { SecurityRequirement } from '../../features/openapi.ts'
import type { RateLimitOptions } from '../../features/rate-limit.ts'
import type { SetCookie } from '../../response/cookies.ts'
import type { TokenPayload } from '../../token/payload.ts'

/**
 * The core `AuthX` with the ready-made guards' plumbing and cookie helpers over a framework's
 * reply type `Reply` (a Fastify reply, an Express response, a Hono context) and guard type
 * `Guard`.
 */
export abstract class BoundAuthX<Reply extends object, Guard extends object> extends CoreAuthX {
  /** What each ready-made guard checks, so OpenAPI metadata can describe the routes using it. */
  protected readonly guardOptions = new WeakMap<object, GuardOptions>()

  /** Appends the cookies to the reply, keeping the Set-Cookie headers already there. */
  protected abstract writeCookies(reply: Reply, cookies: readonly SetCookie[]): void

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
  ): Guard {
    return this.buildGuard(run, options, undefined)
  }

  /**
   * The framework's guard around `run`.
   *
   * @param run - the authentication, as given to `guardFrom`
   * @param options - the locations `run` searches
   * @param tryNow - the same authentication without a promise, or undefined when there is none;
   *   it returns undefined when it cannot finish synchronously, and the guard then awaits `run`
   */
  protected abstract buildGuard(
    run: (view: RequestView) => Promise<GuardResult | undefined>,
    options: GuardBodyOptions,
    tryNow: ((view: RequestView) => TokenPayload | undefined) | undefined,
  ): Guard

  /** A ready-made guard: the pipeline with `options`, remembered for OpenAPI. */
  protected readyGuard(options: GuardOptions, loadSubject: boolean): Guard {
    const guard = this.buildGuard(
      async (view) => {
        const payload = await this.authenticate(view, options)
        return loadSubject ? { payload, subject: await this.getSubject(payload) } : payload
      },
      { locations: options.locations },
      // Most routes are stateless and need no subject: they are answered without a promise.
      loadSubject ? undefined : (view) => this.authenticateSync(view, options),
    )
    this.guardOptions.set(guard, options)
    return guard
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
  rateLimited(options: RateLimitOptions): Guard {
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
   * The guard options of `scopesRequired`, validated when the guard is made (a typo fails at
   * start-up, not per request).
   *
   * @throws TypeError when `scopes` is not an array of strings
   */
  protected scopeGuardOptions(
    scopes: readonly string[],
    options: GuardOptions & { all?: boolean },
  ): GuardOptions {
    if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string')) {
      throw new TypeError('scopesRequired expects an array of strings')
    }
    const { all, ...rest } = options
    return { ...rest, type: 'access', scopes: [...scopes], allScopes: all ?? true }
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
