/**
 * `authx-ts/express`: the `AuthX` class bound to Express 5. Guards are ordinary
 * `(req, res, next)` middleware that answer with the JSON error contract themselves, so routes
 * are safe without `handleErrors`, and they never let a promise rejection escape.
 *
 * The app needs no other middleware: cookies are read from the `Cookie` header when
 * cookie-parser is absent (and from `req.cookies` when it is there), and a guard that looks for a
 * token in a JSON body (or a CSRF value in a form) reads the body itself when `express.json()`
 * (or `express.urlencoded()`) did not, then leaves it on `req.body` for the handler.
 *
 * @example The seed's quickstart
 * ```ts
 * import express from 'express'
 * import { AuthX } from 'authx-ts/express'
 * const app = express()
 * const auth = new AuthX({ secretKey: process.env.JWT_SECRET_KEY })
 * app.get('/protected', auth.accessTokenRequired, (req, res) => {
 *   res.json({ message: 'hi' })
 * })
 * auth.handleErrors(app) // last, like every Express error handler
 * ```
 *
 * @packageDocumentation
 */
import { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type {
  Application,
  ErrorRequestHandler,
  NextFunction,
  Request as ExpressRequest,
  Response as ExpressResponse,
  Router,
} from 'express'
import type { AuthXOptions } from '../config/index.ts'
import { isAuthXError } from '../errors.ts'
import { normalizeRatePath } from '../features/rate-limit.ts'
import { isFormContentType, isJSONContentType, parseCookieHeader } from '../request/view.ts'
import type { CustomClaims, TokenPayload } from '../token/payload.ts'
import type { RequestView } from '../types.ts'
import { readUnparsedBody } from './node/body.ts'
import { holdHeadUntilDecided } from './node/head.ts'
import type { ReadNodeBody } from './node/body.ts'
import { authenticateUpgrade, rejectUpgrade, webSocketUpgrade } from './node/upgrade.ts'
import type { UpgradeListener, WebSocketServerLike } from './node/upgrade.ts'
import { nodeHeader } from './node/view.ts'
import { BoundAuthX } from './shared/bound.ts'
import type { OpenAPIPaths } from './shared/bound.ts'
import { PASS } from './shared/kit.ts'
import type { AdapterKit, BodyNeed } from './shared/kit.ts'

// The core's public names, so one import serves an application (`AuthX` is this binding's own).
export * from './shared/core-names.ts'
export type { ScopesGuardOptions } from './shared/bound.ts'
export type { UpgradeListener, WebSocketServerLike } from './node/upgrade.ts'

/**
 * An Express guard: plain middleware. It returns nothing (Express 4 ignores promises, Express 5
 * would route a rejected one as an error); every failure is handled inside.
 */
export type ExpressGuard = (req: ExpressRequest, res: ExpressResponse, next: NextFunction) => void

const PAYLOAD = Symbol('authx.payload')
const SUBJECT = Symbol('authx.subject')

interface AuthXRequest {
  [PAYLOAD]?: TokenPayload
  [SUBJECT]?: unknown
  /** body-parser's marker (Express 4) that the body was consumed. */
  _body?: boolean
}

/**
 * The method of the request line: `method-override` (and middleware like it) rewrites
 * `req.method` so the router dispatches a form POST as `PATCH` or `GET`, and keeps what the
 * client sent in `req.originalMethod`.
 */
function requestLineMethod(req: ExpressRequest): string {
  const original = (req as { originalMethod?: unknown }).originalMethod
  return (typeof original === 'string' ? original : req.method).toUpperCase()
}

/** The core's view of an Express request. Everything is read on first use. */
class ExpressRequestView implements RequestView {
  readonly method: string
  readonly #req: ExpressRequest
  #cookies: Record<string, unknown> | undefined
  #query: Record<string, unknown> | undefined

  constructor(req: ExpressRequest) {
    this.#req = req
    this.method = requestLineMethod(req)
  }

  get path(): string {
    // `req.path` is the pathname parseurl took from the request target (no fragment, the path
    // of an absolute form), which the router matches; under a mounted router it is relative to
    // the mount point, which `req.baseUrl` holds.
    const { baseUrl, path } = this.#req
    // A request that never went through a router (a view made by hand) has no `baseUrl`.
    if (typeof baseUrl !== 'string' || baseUrl === '') return path
    return path === '/' ? baseUrl : `${baseUrl}${path}`
  }

  get route(): string | undefined {
    // Set inside a route's handlers only; a router or `app.use` middleware has none. The mount
    // point is the request's spelling (Express matches it case-insensitively), so it is folded.
    const pattern = (this.#req as { route?: { path?: unknown } }).route?.path
    if (typeof pattern !== 'string') return undefined
    const mount = this.#req.baseUrl as string | undefined
    return mount === undefined || mount === '' ? pattern : `${normalizeRatePath(mount)}${pattern}`
  }

  get ip(): string | undefined {
    // req.ip applies the app's `trust proxy` setting.
    return this.#req.ip
  }

  header(name: string): string | undefined {
    return nodeHeader(this.#req.headers, name)
  }

  cookie(name: string): string | undefined {
    // cookie-parser's result when the app uses it; the raw header otherwise.
    const parsed = (this.#req as { cookies?: unknown }).cookies
    this.#cookies ??=
      typeof parsed === 'object' && parsed !== null
        ? (parsed as Record<string, unknown>)
        : parseCookieHeader(this.header('cookie'))
    // A typeof check, not a lookup alone: cookie-parser returns a plain object (so `constructor`
    // is inherited) and turns `j:` cookies into objects.
    const value = this.#cookies[name]
    return typeof value === 'string' ? value : undefined
  }

  query(name: string): string | string[] | undefined {
    // Express 5 re-parses the query string on every `req.query` read: read it once.
    this.#query ??= this.#req.query as Record<string, unknown> | undefined
    const query = this.#query
    if (query === undefined || query === null || !Object.hasOwn(query, name)) return undefined
    const value = query[name]
    if (typeof value === 'string') return value
    // The 'extended' (qs) parser can nest objects; only strings can be tokens.
    if (Array.isArray(value)) return value.map((item) => (typeof item === 'string' ? item : ''))
    return undefined
  }

  json(): unknown {
    return isJSONContentType(this.header('content-type')) ? this.#req.body : undefined
  }

  form(): unknown {
    return isFormContentType(this.header('content-type')) ? this.#req.body : undefined
  }
}

/**
 * Reads a JSON body (or a urlencoded form carrying the CSRF field) that no parser read, when the
 * guard needs it, and leaves it on `req.body` for the handler; undefined when there is nothing to
 * read, so the guard stays synchronous.
 */
function readBody(req: ExpressRequest, need: BodyNeed): Promise<void> | undefined {
  if (req.body !== undefined || (req as AuthXRequest)._body === true) return undefined
  return readUnparsedBody(req, need, requestLineMethod)?.then(keepBody.bind(undefined, req))
}

function keepBody(req: ExpressRequest, read: ReadNodeBody | undefined): void {
  if (read === undefined) return
  // Marks the body as consumed for body-parser (Express 4), which then leaves req.body alone.
  ;(req as AuthXRequest)._body = true
  if (read.value !== undefined) req.body = read.value
}

/** Puts a payload on an Express request, or on the raw request of an upgrade. */
function attachPayload(req: IncomingMessage, payload: TokenPayload): void {
  ;(req as AuthXRequest)[PAYLOAD] = payload
}

/** Express's types, for the kit. */
interface ExpressFramework {
  Request: ExpressRequest
  Reply: ExpressResponse
  Guard: ExpressGuard
  App: Application | Router
  Answer: void
  Body: void
}

/** Express's primitives. */
const kit: AdapterKit<ExpressFramework> = {
  requestName: 'req',
  // Express's `req` is Node's request with Express's members added; a view or a Fetch Request is not.
  isRequest: (value) => value instanceof IncomingMessage,
  view: (req) => new ExpressRequestView(req),
  readBody,
  attach: attachPayload,
  attachSubject(req, subject) {
    ;(req as AuthXRequest)[SUBJECT] = subject
  },
  payloadOf: (req) => (req as AuthXRequest)[PAYLOAD],
  subjectOf: (req) => (req as AuthXRequest)[SUBJECT],
  send(res, { status, headers, body }) {
    res.status(status).set(headers).json(body)
  },
  appendCookie(res, header) {
    // res.append keeps the Set-Cookie headers already on the response.
    res.append('Set-Cookie', header)
  },
  beforeHeaders(app, prepare) {
    // Express has no hook before the head is sent: the response's head is held instead.
    const refresh = (req: ExpressRequest, res: ExpressResponse, next: NextFunction): void => {
      prepare(req).then((decide) => {
        if (decide !== null) holdHeadUntilDecided(res, decide, kit.appendCookie)
        next()
      }, next)
    }
    Object.defineProperty(refresh, 'name', { value: 'authxImplicitRefresh' })
    app.use(refresh)
  },
  // Any error that is not an AuthX error goes to `next(err)`; `next()` is called outside that
  // handling, so an error further down the chain is never taken for an authentication failure.
  // On the synchronous path nothing is awaited: `next()` runs in the same tick.
  toGuard: (step) => (req, res, next) => {
    let verdict
    try {
      verdict = step(req, res)
    } catch (error) {
      next(error)
      return
    }
    if (verdict === PASS) next()
    else if (verdict instanceof Promise) {
      verdict
        .then((settled) => {
          if (settled === PASS) next()
        })
        // Also reached if rendering the error itself failed: never an unhandled rejection.
        .catch(next)
    }
  },
}

/**
 * `AuthX` for Express: the core class plus guards, error handling and cookie helpers.
 *
 * @example Guards, scopes and the payload
 * ```ts
 * app.get('/me', auth.accessTokenRequired, (req, res) => {
 *   res.json({ user: auth.payload(req).sub })
 * })
 * app.get('/admin', auth.scopesRequired(['admin:*']), (req, res) => { res.send('ok') })
 * ```
 */
export class AuthX<Claims extends CustomClaims = CustomClaims> extends BoundAuthX<
  ExpressFramework,
  Claims
> {
  /**
   * Error-handling middleware that renders AuthX errors thrown in handlers as the JSON contract
   * and passes every other error on with `next(err)`. Register it after the routes:
   * `app.use(auth.errorHandler)` (what {@link AuthX.handleErrors} does).
   */
  readonly errorHandler: ErrorRequestHandler

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
  readonly jwksHandler = (req: ExpressRequest, res: ExpressResponse): void => {
    const answer = this.jwksReply(req.get('if-none-match'))
    res.status(answer.status).set(answer.headers)
    // end(), not send(): send() would compute an ETag of its own and judge freshness itself.
    if (answer.body === null) res.end()
    else res.end(answer.body)
  }

  /**
   * @param options - see `AuthXOptions`
   * @throws BadConfigurationError naming the option and the fix
   */
  constructor(options: AuthXOptions) {
    super(options, kit)
    const errorHandler: ErrorRequestHandler = (error: unknown, _req, res, next) => {
      // Once headers are out, only Express's own handler can still close the connection.
      if (!isAuthXError(error) || res.headersSent) {
        next(error)
        return
      }
      kit.send(res, this.renderError(error))
    }
    Object.defineProperty(errorHandler, 'name', { value: 'authxErrorHandler' })
    this.errorHandler = errorHandler
  }

  /**
   * Authenticates a WebSocket upgrade request from a Node server's `'upgrade'` event (which
   * Express never sees): the query parameter `queryStringName` first, then the header, access
   * tokens only, revocation applied. The payload is also attached to the request, so
   * `auth.payload(req)` works in the `'connection'` listener.
   *
   * @param req - the raw Node request of the `'upgrade'` event
   * @returns the verified payload
   * @throws AuthXError subclasses (401, or 503 when a store is down): answer with
   *   {@link AuthX.rejectUpgrade}
   */
  authenticateUpgrade<Extra extends CustomClaims = Claims>(
    req: IncomingMessage,
  ): Promise<TokenPayload<Extra>> {
    return authenticateUpgrade<Extra>(this, req, attachPayload)
  }

  /**
   * Refuses an upgrade on the raw socket: an HTTP/1.1 response with the error contract's status,
   * headers (`WWW-Authenticate`...) and JSON body, then the socket is closed. Any error that is
   * not AuthX's becomes a bare 500, without its details. It never throws, even on a socket the
   * client already reset.
   *
   * @param socket - the socket of the `'upgrade'` event
   * @param error - what {@link AuthX.authenticateUpgrade} threw
   */
  rejectUpgrade(socket: Duplex, error: unknown): void {
    rejectUpgrade(this, socket, error)
  }

  /**
   * An `'upgrade'` listener for a `ws` server in `noServer` mode: it authenticates every upgrade
   * with {@link AuthX.authenticateUpgrade}, completes the handshake and emits `'connection'`
   * (`auth.payload(req)` is set there), or refuses it with {@link AuthX.rejectUpgrade}. For
   * several WebSocket servers on one HTTP server, route on `req.url` yourself and call the two
   * methods instead.
   *
   * @param wss - `new WebSocketServer({ noServer: true })`
   * @returns the listener for `server.on('upgrade', ...)`
   *
   * @example
   * ```ts
   * const wss = new WebSocketServer({ noServer: true })
   * wss.on('connection', (ws, req) => ws.send(`hello ${auth.payload(req).sub}`))
   * const server = app.listen(8000)
   * server.on('upgrade', auth.webSocketUpgrade(wss))
   * ```
   */
  webSocketUpgrade<Client>(wss: WebSocketServerLike<Client>): UpgradeListener {
    return webSocketUpgrade(
      wss,
      (req) => this.authenticateUpgrade(req),
      (socket, error) => this.rejectUpgrade(socket, error),
    )
  }

  /**
   * The verified payload of a guarded request.
   *
   * @param req - the Express request, or an upgrade request passed to `authenticateUpgrade`
   * @throws TypeError when the route has no AuthX guard
   */
  override payload<Extra extends CustomClaims = Claims>(
    req: ExpressRequest | IncomingMessage,
  ): TokenPayload<Extra> {
    return super.payload<Extra>(req as ExpressRequest)
  }

  /**
   * The core's `RequestView` of an Express request. It sees the body as `req.body` holds it; the
   * core methods (`getTokenFromRequest(req)`, `authenticate(req)`...) take `req` itself and read a
   * JSON body no parser read when their locations need it.
   *
   * @param req - the Express request
   */
  override view(req: ExpressRequest): RequestView {
    return kit.view(req)
  }

  /**
   * The OpenAPI `paths` of the app's routes (the route layers of `app.router`, or of a router),
   * each guarded operation with the `security` of its AuthX guard. Express has no document
   * generator of its own: call it after the routes and put the result in a document with
   * `auth.openapiComponents()` as `components.securitySchemes`. Routes of mounted sub-routers
   * are not walked: call it on each router.
   *
   * @param app - the Express application or router
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
  openapi(app: Application | Router): OpenAPIPaths {
    const operations: { path: string; method: string; handlers: unknown[] }[] = []
    for (const layer of routerStack(app) ?? []) {
      const route = (layer as { route?: { path?: unknown; stack?: unknown } }).route
      if (typeof route?.path !== 'string' || !Array.isArray(route.stack)) continue
      for (const handler of route.stack as { method?: string; handle: unknown }[]) {
        operations.push({
          path: route.path,
          method: handler.method ?? 'get',
          handlers: [handler.handle],
        })
      }
    }
    return this.openapiPaths(operations)
  }

  /**
   * Renders AuthX errors thrown in handlers as the JSON contract; other errors go on to the next
   * error handler untouched. Like every Express error handler it must come after the routes, so
   * call it last (or `app.use(auth.errorHandler)` where you want it).
   *
   * @param app - the Express application or router
   * @throws TypeError when called before any route or middleware was registered (it would catch
   *   nothing there)
   */
  handleErrors(app: Application | Router): void {
    const stack = routerStack(app)
    if (stack !== undefined && stack.length === 0) {
      throw new TypeError(
        'auth.handleErrors(app) must be called after the routes: Express error handlers only ' +
          'catch errors of the middleware registered before them',
      )
    }
    app.use(this.errorHandler)
  }
}

/** The layer stack of an app (Express 5 `app.router`, Express 4 `app._router`) or a router. */
function routerStack(app: Application | Router): readonly unknown[] | undefined {
  const candidate = app as unknown as {
    stack?: unknown
    _router?: { stack?: unknown }
    router?: { stack?: unknown }
  }
  const own = candidate.stack
  if (Array.isArray(own)) return own as unknown[]
  const legacy = candidate._router?.stack
  if (Array.isArray(legacy)) return legacy as unknown[]
  // Express 4's `app.router` getter throws; Express 5 creates the router on first read.
  try {
    const stack = candidate.router?.stack
    return Array.isArray(stack) ? (stack as unknown[]) : undefined
  } catch {
    return undefined
  }
}
