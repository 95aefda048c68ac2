/**
 * `authx-ts/hono`: the `AuthX` class bound to Hono 4. Guards are middleware that put the verified
 * payload in the typed context variable `authx` (and the subject in `authxSubject`); they answer
 * with the JSON error contract themselves, so routes are safe without `handleErrors`. It runs
 * wherever Hono runs (Node, Bun, Deno, Workers): no Node-only API is used.
 *
 * @example The seed's quickstart
 * ```ts
 * import { Hono } from 'hono'
 * import { AuthX } from 'authx-ts/hono'
 * const app = new Hono()
 * const auth = new AuthX({ secretKey: process.env.JWT_SECRET_KEY })
 * auth.handleErrors(app)
 * app.get('/protected', auth.accessTokenRequired, (c) => c.json({ message: 'hi' }))
 * app.get('/me', auth.accessTokenRequired, (c) => c.json({ user: c.get('authx').sub }))
 * ```
 *
 * @packageDocumentation
 */
import type { Context, ErrorHandler, Hono, MiddlewareHandler } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { TokenGuardOptions } from '../authx.ts'
import type { AuthXOptions } from '../config/index.ts'
import { isAuthXError } from '../errors.ts'
import { MAX_BODY_BYTES, readBodyCapped } from '../internal/body.ts'
import { isCsrfMethod } from '../request/csrf.ts'
import { isFormContentType, isJSONContentType, parseCookieHeader } from '../request/view.ts'
import type { CustomClaims, TokenPayload } from '../token/payload.ts'
import type { RequestView } from '../types.ts'
import { BoundAuthX } from './shared/bound.ts'
import type { OpenAPIPaths, ScopesGuardOptions } from './shared/bound.ts'
import { PASS } from './shared/kit.ts'
import type { AdapterKit } from './shared/kit.ts'
import { appendSetCookies } from './shared/response.ts'

// The core's public names, so one import serves an application (`AuthX` is this binding's own).
export * from './shared/core-names.ts'
export type { ScopesGuardOptions } from './shared/bound.ts'

/** The context variables an AuthX guard sets. */
export interface AuthXVariables<Extra extends CustomClaims = CustomClaims, Subject = unknown> {
  /** The verified payload (`c.get('authx')`). */
  authx: TokenPayload<Extra>
  /** The subject loaded by `currentSubject` (`c.get('authxSubject')`). */
  authxSubject: Subject
}

/**
 * The Hono `Env` of a guarded route: handlers chained after a guard see `c.get('authx')` typed.
 *
 * @example Typing a handler defined apart from its route
 * ```ts
 * const me = (c: Context<AuthXEnv<{ role: string }>>) => c.json({ role: c.get('authx').role })
 * ```
 */
export interface AuthXEnv<Extra extends CustomClaims = CustomClaims, Subject = unknown> {
  Variables: AuthXVariables<Extra, Subject>
}

/** A Hono guard: middleware that sets the `authx` context variable. */
export type HonoGuard<
  Extra extends CustomClaims = CustomClaims,
  Subject = unknown,
> = MiddlewareHandler<AuthXEnv<Extra, Subject>>

/** Any Hono context: guards and helpers do not depend on the app's own `Env`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyContext = Context<any, any, any>

/** The body a guard read before authenticating. */
interface ReadBody {
  json?: unknown
  form?: unknown
}

/**
 * The method of the request line. `hono/method-override` answers a form POST by dispatching a new
 * `Request` with the overriding method (`PATCH`, `GET`, anything) through `app.fetch`, passing the
 * same `env`: on @hono/node-server that `env.incoming` is the Node request, whose method is the
 * one the client sent. If the two disagree on being safe, the unsafe one is taken, so neither an
 * override nor an `app.fetch` of the app's own can turn a CSRF method into a safe one. Elsewhere
 * (Bun, Deno, Workers) the original method is not kept anywhere: the current one is all there is.
 */
function requestLineMethod(c: AnyContext): string {
  const current = c.req.method.toUpperCase()
  const env = c.env as { incoming?: { method?: unknown } } | undefined
  const incoming = env?.incoming?.method
  if (typeof incoming !== 'string') return current
  const original = incoming.toUpperCase()
  // `isCsrfMethod` with nothing added: whether a method is unsafe (not GET, HEAD or OPTIONS).
  return !isCsrfMethod([], original) && isCsrfMethod([], current) ? current : original
}

/** The core's view of a Hono request. Headers, cookies and query are read on first use. */
class HonoRequestView implements RequestView {
  readonly method: string
  readonly #c: AnyContext
  readonly #body: ReadBody
  #cookies: Record<string, string | undefined> | undefined

  constructor(c: AnyContext, body: ReadBody = {}) {
    this.#c = c
    this.method = requestLineMethod(c)
    this.#body = body
  }

  get path(): string {
    // Hono's own parse of the URL: no query or fragment, escapes decoded as its router decodes.
    return this.#c.req.path
  }

  get route(): string | undefined {
    // The pattern of the handler running now. A wildcard (`app.use('*', ...)`, `/api/*`) is the
    // pattern of a middleware that covers many routes: not one route, so there is none.
    // `c.req.routePath`, not `routePath(c)` of `hono/route`, which not every Hono 4 has.
    const pattern = this.#c.req.routePath
    return pattern === '' || pattern.includes('*') ? undefined : pattern
  }

  get ip(): string | undefined {
    // @hono/node-server exposes the Node request as `env.incoming`; other runtimes differ.
    const env = this.#c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined
    return env?.incoming?.socket?.remoteAddress
  }

  header(name: string): string | undefined {
    return this.#c.req.raw.headers.get(name) ?? undefined
  }

  cookie(name: string): string | undefined {
    this.#cookies ??= parseCookieHeader(this.header('cookie'))
    return this.#cookies[name]
  }

  query(name: string): string | string[] | undefined {
    const values = this.#c.req.queries(name)
    if (values === undefined || values.length === 0) return undefined
    return values.length === 1 ? values[0] : values
  }

  json(): unknown {
    return this.#body.json
  }

  form(): unknown {
    return this.#body.form
  }
}

/**
 * The request body was larger than {@link MAX_BODY_BYTES}. A guard answers 413 itself; thrown from
 * a core method called in a handler (`auth.getTokenFromRequest(c, ...)`), it answers 413 through
 * Hono's error handling, which honours `getResponse()` as it does for an `HTTPException`.
 */
class BodyTooLarge extends Error {
  getResponse(): Response {
    return new Response('Payload Too Large', { status: 413 })
  }
}

/** The view of a request whose body the guard did not read. */
const NO_BODY: ReadBody = Object.freeze({})

/** Hono's types, for the kit; the guards type `c.get('authx')` with the instance's claims. */
interface HonoFramework<Claims extends CustomClaims = CustomClaims> {
  Request: AnyContext
  Reply: AnyContext
  Guard: HonoGuard<Claims>
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  App: Hono<any, any, any>
  Answer: Response
  Body: ReadBody
}

/** Hono's primitives. */
// One kit serves every instance: `Claims` only types what the guards hand to handlers.
const kit: AdapterKit<HonoFramework> = {
  requestName: 'c',
  // A Hono context holds the request as `c.req`; a view or a Fetch Request has no `req`.
  isRequest: (value) => typeof (value as { req?: unknown }).req === 'object',
  view: (c, body) => new HonoRequestView(c, body ?? NO_BODY),
  readBody(c, need) {
    const contentType = c.req.raw.headers.get('content-type') ?? undefined
    const json = need.json && isJSONContentType(contentType)
    const form =
      need.form &&
      isCsrfMethod(need.csrfMethods, requestLineMethod(c)) &&
      isFormContentType(contentType)
    return json || form ? readBody(c, json) : undefined
  },
  attach: (c, payload) => c.set('authx', payload),
  attachSubject: (c, subject) => c.set('authxSubject', subject),
  payloadOf: (c) => (c as Context<AuthXEnv>).get('authx'),
  subjectOf: (c) => (c as Context<AuthXEnv>).get('authxSubject'),
  send: (c, { status, headers, body }) => c.json(body, status as ContentfulStatusCode, headers),
  appendCookie: (c, header) => c.header('Set-Cookie', header, { append: true }),
  beforeHeaders(app, prepare) {
    const refresh: MiddlewareHandler = async (c, next) => {
      const decide = await prepare(c)
      await next()
      if (decide === null) return
      // After next(), c.res is final: the handler's response or the error handler's, with the
      // cookies it sets or deletes itself.
      const cookies = await decide(c.res.status, c.res.headers.getSetCookie())
      if (cookies.length === 0) return
      if (!appendSetCookies(c.res.headers, cookies)) {
        // A response with immutable headers (straight from fetch()): copy it, then add.
        c.res = new Response(c.res.body, c.res)
        appendSetCookies(c.res.headers, cookies)
      }
    }
    Object.defineProperty(refresh, 'name', { value: 'authxImplicitRefresh' })
    app.use(refresh)
  },
  // Hono middleware returns a promise anyway: the guard awaits the step only when it is one.
  toGuard: (step) => async (c, next) => {
    let verdict = step(c, c)
    if (verdict instanceof Promise) {
      try {
        verdict = await verdict
      } catch (error) {
        if (error instanceof BodyTooLarge) return c.text('Payload Too Large', 413)
        throw error
      }
    }
    if (verdict !== PASS) return verdict
    await next()
  },
}

/**
 * `AuthX` for Hono: the core class plus guards, error handling and cookie helpers.
 *
 * @example Guards, scopes and the payload
 * ```ts
 * app.get('/me', auth.accessTokenRequired, (c) => c.json({ user: auth.payload(c).sub }))
 * app.get('/admin', auth.scopesRequired(['admin:*']), (c) => c.text('ok'))
 * ```
 */
export class AuthX<Claims extends CustomClaims = CustomClaims> extends BoundAuthX<
  HonoFramework<Claims>,
  Claims
> {
  /**
   * Guards a WebSocket route (`upgradeWebSocket` of `hono/ws`, @hono/node-ws, Bun, Deno): the
   * token comes from the query parameter, then the header, as browsers cannot set headers on a
   * WebSocket; a failure answers 401 before the upgrade.
   */
  readonly webSocketRequired: HonoGuard<Claims>
  /**
   * An `app.onError` handler: AuthX errors become the JSON contract; any other error gets Hono's
   * default treatment (an `HTTPException`'s own response, else a logged 500). Call it from your
   * own `onError` to keep both.
   *
   * @example Inside an application's own error handler
   * ```ts
   * app.onError((err, c) => (isAuthXError(err) ? auth.onError(err, c) : myErrorPage(err, c)))
   * ```
   */
  readonly onError: ErrorHandler

  /**
   * Serves the instance's public JWK Set (`auth.jwks()`): mount it at `/.well-known/jwks.json`.
   * Answers `application/jwk-set+json` with `Cache-Control: public, max-age` (`jwksCacheMaxAge`)
   * and a strong `ETag`, and 304 to a matching `If-None-Match`.
   *
   * @example
   * ```ts
   * app.get('/.well-known/jwks.json', auth.jwksHandler)
   * ```
   */
  readonly jwksHandler = (c: Context): Response => this.jwksResponse(c.req.raw)

  /**
   * @param options - see `AuthXOptions`
   * @throws BadConfigurationError naming the option and the fix
   */
  constructor(options: AuthXOptions) {
    super(options, kit as unknown as AdapterKit<HonoFramework<Claims>>)
    this.webSocketRequired = this.webSocketGuard()
    this.onError = (error, c) => {
      if (isAuthXError(error)) return kit.send(c, this.renderError(error))
      return honoDefaultError(error, c)
    }
  }

  /**
   * A guard with explicit options; the type argument types the `authx` context variable.
   *
   * @param options - type, verifyType, verifyFresh, verifyCsrf, locations
   *
   * @example A refresh token from a cookie only, with typed custom claims
   * ```ts
   * app.post('/refresh', auth.tokenRequired<{ role: string }>({ type: 'refresh', locations: ['cookies'] }),
   *   (c) => c.json({ role: c.get('authx').role }))
   * ```
   */
  override tokenRequired<Extra extends CustomClaims = Claims>(
    options: TokenGuardOptions = {},
  ): HonoGuard<Extra> {
    return super.tokenRequired(options) as unknown as HonoGuard<Extra>
  }

  /**
   * A guard that requires an access token granting the scopes; the type argument types the
   * `authx` context variable.
   *
   * @param scopes - required scopes (AuthX wildcards: `admin:*`)
   * @param options - `all: false` for any-of; other guard options
   * @throws TypeError when `scopes` is not an array of strings
   */
  override scopesRequired<Extra extends CustomClaims = Claims>(
    scopes: readonly string[],
    options: ScopesGuardOptions = {},
  ): HonoGuard<Extra> {
    return super.scopesRequired(scopes, options) as unknown as HonoGuard<Extra>
  }

  /**
   * The core's `RequestView` of a Hono request. It has no body; the core methods
   * (`getTokenFromRequest(c)`, `authenticate(c)`...) take the context itself and read a JSON body
   * when their locations need it, leaving it in Hono's cache for the handler.
   *
   * @param c - the Hono context
   */
  override view(c: AnyContext): RequestView {
    return kit.view(c)
  }

  /**
   * The OpenAPI `paths` of the app's routes (`app.routes`), each guarded operation with the
   * `security` of its AuthX guard. Hono has no document generator of its own: call it after the
   * routes and put the result in a document with `auth.openapiComponents()` as
   * `components.securitySchemes`. Middleware mounted with `app.use` (method ALL) is not an
   * operation.
   *
   * @param app - the Hono app
   * @returns the document's `paths`
   *
   * @example
   * ```ts
   * const doc = {
   *   openapi: '3.1.0',
   *   info: { title: 'API', version: '1' },
   *   components: { securitySchemes: auth.openapiComponents() },
   *   paths: auth.openapi(app),
   * }
   * ```
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  openapi(app: Hono<any, any, any>): OpenAPIPaths {
    return this.openapiPaths(
      app.routes
        .filter((route) => route.method !== 'ALL')
        .map((route) => ({ path: route.path, method: route.method, handlers: [route.handler] })),
    )
  }

  /**
   * Renders AuthX errors thrown in handlers as the JSON contract through `app.onError`; other
   * errors go to the error handler the app had before (Hono's default if none). An `onError`
   * registered after this call replaces it: call {@link AuthX.onError} from that handler instead.
   *
   * @param app - the Hono app
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  handleErrors(app: Hono<any, any, any>): void {
    // Hono keeps the current handler in a field its types mark private; it is there at runtime.
    const previous = (app as unknown as { errorHandler?: ErrorHandler }).errorHandler
    app.onError((error, c) => {
      if (isAuthXError(error)) return kit.send(c, this.renderError(error))
      return previous === undefined ? honoDefaultError(error, c) : previous(error, c)
    })
  }
}

/**
 * Reads the body once for the guard and leaves it in Hono's body cache, so `c.req.json()`,
 * `c.req.parseBody()` and friends in the handler see it without reading the stream again.
 */
async function readBody(c: AnyContext, json: boolean): Promise<ReadBody> {
  const { req } = c
  // Hono types the cache as `Partial<Body>` but stores the promises of the Body methods in it.
  const cache = req.bodyCache as unknown as { arrayBuffer?: Promise<ArrayBuffer> }
  // Something already read it through Hono (the cache is filled) or past it (the stream is used).
  const cached = Object.keys(req.bodyCache).length > 0
  if (!cached && req.raw.bodyUsed) return {}
  if (!cached) {
    const bytes = await readBodyCapped(req.raw, MAX_BODY_BYTES)
    if (bytes === undefined) throw new BodyTooLarge()
    cache.arrayBuffer = Promise.resolve(bytes.buffer)
  }
  if (json) {
    try {
      return { json: JSON.parse(await req.text()) as unknown }
    } catch {
      // An unparsable body simply holds no token; the handler's own c.req.json() still throws.
      return {}
    }
  }
  try {
    return { form: await req.parseBody() }
  } catch {
    return {}
  }
}

/** Hono's own default error handler, for errors that are not AuthX's. */
function honoDefaultError(error: Error, c: AnyContext): Response | Promise<Response> {
  if ('getResponse' in error && typeof error.getResponse === 'function') {
    const res = (error.getResponse as () => Response)()
    return c.newResponse(res.body, res)
  }
  console.error(error)
  return c.text('Internal Server Error', 500)
}
