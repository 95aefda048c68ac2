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
import { parse as parseQueryString } from 'node:querystring'
import type { RequestLike, RequestView, TokenLocation } from '../types.ts'
import { IncomingMessage, STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import type {
  Application,
  ErrorRequestHandler,
  NextFunction,
  Request as ExpressRequest,
  Response as ExpressResponse,
  Router,
} from 'express'
import { MAX_BODY_BYTES } from '../internal/body.ts'
import { BoundAuthX } from './shared/bound.ts'
import type {
  GetTokenOptions,
  GuardBodyOptions,
  GuardOptions,
  GuardResult,
  PendingRefresh,
} from '../authx.ts'
import type { AuthXOptions } from '../config/index.ts'
import { normalizeRatePath } from '../features/rate-limit.ts'
import { isAuthXError } from '../errors.ts'
import type { AuthXError } from '../errors.ts'
import type { SetCookie } from '../response/cookies.ts'
import { isCsrfMethod } from '../request/csrf.ts'
import {
  isFormContentType,
  isJSONContentType,
  parseCookieHeader,
  requestTargetPath,
} from '../request/view.ts'
import type { RequestToken } from '../request/extract.ts'
import { TokenPayloadImpl } from '../token/payload.ts'
import type { CustomClaims, TokenPayload } from '../token/payload.ts'

export * from '../index.ts'

/**
 * An Express guard: plain middleware. It returns nothing (Express 4 ignores promises, Express 5
 * would route a rejected one as an error); every failure is handled inside.
 */
export type ExpressGuard = (req: ExpressRequest, res: ExpressResponse, next: NextFunction) => void

/**
 * The part of a `ws` `WebSocketServer` (created with `noServer: true`) that
 * {@link AuthX.webSocketUpgrade} uses; typed structurally so the adapter does not depend on `ws`.
 */
export interface WebSocketServerLike<Client = unknown> {
  /** Completes the handshake on the raw socket. */
  handleUpgrade(
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    callback: (client: Client, request: IncomingMessage) => void,
  ): void
  /** `wss.emit('connection', ws, req)`, which `ws` leaves to the caller in `noServer` mode. */
  emit(event: 'connection', client: Client, request: IncomingMessage): boolean
}

/** A Node server `'upgrade'` listener. */
export type UpgradeListener = (request: IncomingMessage, socket: Duplex, head: Buffer) => void

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
    const value = this.#req.headers[name]
    return Array.isArray(value) ? value.join(', ') : value
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
 * The core's view of a raw Node request, such as the one of a server `'upgrade'` event, which
 * Express never sees: no `req.path`, `req.query` or body there, so they come from `req.url`.
 */
class NodeRequestView implements RequestView {
  readonly method: string
  readonly path: string
  readonly #req: IncomingMessage
  readonly #search: string
  #query: URLSearchParams | undefined
  #cookies: Record<string, string | undefined> | undefined

  constructor(req: IncomingMessage) {
    this.#req = req
    this.method = (req.method ?? 'GET').toUpperCase()
    const url = req.url ?? '/'
    // The raw request target: a fragment or an absolute form is not part of the path.
    this.path = requestTargetPath(url)
    const q = url.indexOf('?')
    const hash = url.indexOf('#')
    this.#search =
      q === -1 || (hash !== -1 && hash < q) ? '' : url.slice(q + 1, hash === -1 ? undefined : hash)
  }

  get ip(): string | undefined {
    return this.#req.socket.remoteAddress
  }

  header(name: string): string | undefined {
    const value = this.#req.headers[name]
    return Array.isArray(value) ? value.join(', ') : value
  }

  cookie(name: string): string | undefined {
    this.#cookies ??= parseCookieHeader(this.header('cookie'))
    return this.#cookies[name]
  }

  query(name: string): string | string[] | undefined {
    this.#query ??= new URLSearchParams(this.#search)
    const values = this.#query.getAll(name)
    // A repeated parameter stays an array, which the core refuses as ambiguous.
    if (values.length === 0) return undefined
    return values.length === 1 ? values[0] : values
  }

  json(): unknown {
    // An upgrade request has no body to read.
    return undefined
  }

  form(): unknown {
    return undefined
  }
}

/** Header values go out verbatim on the raw socket: never let one split the response. */
function headerValue(value: string): string {
  return value.replace(/[\r\n]+/g, ' ')
}

/** An Error shaped like body-parser's, so Express's final handler answers 413. */
function tooLarge(): Error {
  return Object.assign(new Error('request entity too large'), {
    status: 413,
    statusCode: 413,
    expose: true,
    type: 'entity.too.large',
  })
}

/** Whether a `Content-Type` names a urlencoded form (multipart needs the app's own parser). */
function isURLEncoded(contentType: string | undefined): boolean {
  return (contentType ?? '').trim().toLowerCase().startsWith('application/x-www-form-urlencoded')
}

/** Whether the request announces a body (type-is's `hasBody`). */
function hasBody(req: ExpressRequest): boolean {
  return (
    req.headers['transfer-encoding'] !== undefined || req.headers['content-length'] !== undefined
  )
}

/**
 * Reads the raw body, at most `limit` bytes; larger bodies reject with a 413 error and the rest
 * of the stream is left paused (Express's final handler drains it).
 */
function readBody(req: ExpressRequest, limit: number): Promise<Buffer | undefined> {
  const declared = Number(req.headers['content-length'])
  if (declared > limit) return Promise.reject(tooLarge())
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const cleanup = (): void => {
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('error', onError)
      req.off('close', onClose)
    }
    const onData = (chunk: Buffer): void => {
      size += chunk.length
      if (size <= limit) {
        chunks.push(chunk)
        return
      }
      cleanup()
      req.pause()
      reject(tooLarge())
    }
    const onEnd = (): void => {
      cleanup()
      resolve(Buffer.concat(chunks))
    }
    const onError = (error: Error): void => {
      cleanup()
      reject(error)
    }
    // A client that disconnects mid-body: no body, and nobody left to answer.
    const onClose = (): void => {
      cleanup()
      resolve(undefined)
    }
    req.on('data', onData)
    req.once('end', onEnd)
    req.once('error', onError)
    req.once('close', onClose)
  })
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
export class AuthX extends BoundAuthX<ExpressResponse, ExpressGuard> {
  protected writeCookies(reply: ExpressResponse, cookies: readonly SetCookie[]): void {
    sendCookies(reply, cookies)
  }

  /** Requires a valid access token. */
  readonly accessTokenRequired: ExpressGuard
  /** Requires a valid refresh token. */
  readonly refreshTokenRequired: ExpressGuard
  /** Requires a fresh access token. */
  readonly freshTokenRequired: ExpressGuard
  /** Requires an access token and loads its subject with the getter (401 if none). */
  readonly currentSubject: ExpressGuard
  /**
   * Error-handling middleware that renders AuthX errors thrown in handlers as the JSON contract
   * and passes every other error on with `next(err)`. Register it after the routes:
   * `app.use(auth.errorHandler)` (what {@link AuthX.handleErrors} does).
   */
  readonly errorHandler: ErrorRequestHandler

  /**
   * @param options - see `AuthXOptions`
   * @throws BadConfigurationError naming the option and the fix
   */
  constructor(options: AuthXOptions) {
    super(options)
    this.accessTokenRequired = this.tokenRequired({ type: 'access' })
    this.refreshTokenRequired = this.tokenRequired({ type: 'refresh' })
    this.freshTokenRequired = this.tokenRequired({ type: 'access', verifyFresh: true })
    this.currentSubject = this.readyGuard({ type: 'access' }, true)
    const errorHandler: ErrorRequestHandler = (error: unknown, _req, res, next) => {
      // Once headers are out, only Express's own handler can still close the connection.
      if (!isAuthXError(error) || res.headersSent) {
        next(error)
        return
      }
      this.#send(res, error)
    }
    Object.defineProperty(errorHandler, 'name', { value: 'authxErrorHandler' })
    this.errorHandler = errorHandler
  }

  /**
   * A guard with explicit options.
   *
   * @param options - type, verifyType, verifyFresh, verifyCsrf, locations
   *
   * @example A refresh token from a cookie only
   * ```ts
   * app.post('/refresh', auth.tokenRequired({ type: 'refresh', locations: ['cookies'] }), handler)
   * ```
   */
  tokenRequired(options: GuardOptions = {}): ExpressGuard {
    return this.readyGuard({ ...options }, false)
  }

  /**
   * A guard that requires an access token granting the scopes.
   *
   * @param scopes - required scopes (AuthX wildcards: `admin:*`)
   * @param options - `all: false` for any-of; other guard options
   * @throws TypeError when `scopes` is not an array of strings
   */
  scopesRequired(
    scopes: readonly string[],
    options: GuardOptions & { all?: boolean } = {},
  ): ExpressGuard {
    return this.readyGuard(this.scopeGuardOptions(scopes, options), false)
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
  async authenticateUpgrade<Extra extends CustomClaims = CustomClaims>(
    req: IncomingMessage,
  ): Promise<TokenPayload<Extra>> {
    const payload = await this.authenticateWebSocket<Extra>(new NodeRequestView(req))
    ;(req as AuthXRequest)[PAYLOAD] = payload
    return payload
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
    // A reset client must not crash the process with an unhandled 'error' event.
    socket.on('error', () => socket.destroy())
    if (socket.destroyed) return
    if (!socket.writable) {
      socket.destroy()
      return
    }
    const { status, headers, body } = isAuthXError(error)
      ? this.renderError(error)
      : {
          status: 500,
          headers: {
            'content-type': 'application/json; charset=utf-8',
            'cache-control': 'no-store',
          },
          body: { [this.config.errorMessageKey]: 'Internal Server Error' },
        }
    const text = JSON.stringify(body)
    const head = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`]
    for (const [name, value] of Object.entries(headers)) head.push(`${name}: ${headerValue(value)}`)
    head.push(`content-length: ${Buffer.byteLength(text)}`, 'connection: close')
    // Destroyed once the response is flushed, as `ws` does when it aborts a handshake.
    socket.once('finish', () => socket.destroy())
    socket.end(`${head.join('\r\n')}\r\n\r\n${text}`)
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
    return (req, socket, head) => {
      // A reset while the token is checked must not crash the process; `ws` adds its own
      // listener once it takes the socket over.
      const onError = (): void => {
        socket.destroy()
      }
      socket.on('error', onError)
      this.authenticateUpgrade(req)
        .then(() => {
          socket.off('error', onError)
          wss.handleUpgrade(req, socket, head, (client) => wss.emit('connection', client, req))
        })
        .catch((error: unknown) => {
          this.rejectUpgrade(socket, error)
        })
    }
  }

  /**
   * Express's guard: a middleware that reads the body first when its locations need it. Any
   * error that is not an AuthX error goes to `next(err)`. On the `tryNow` path nothing is awaited,
   * so `next()` runs in the same tick.
   */
  protected buildGuard(
    run: (view: RequestView) => Promise<GuardResult | undefined>,
    options: GuardBodyOptions,
    tryNow: ((view: RequestView) => TokenPayload | undefined) | undefined,
  ): ExpressGuard {
    const locations = options.locations
    const { config } = this
    const where = locations ?? config.tokenLocation
    // Decided once: most guards never look at the body, and then pay no extra await per request.
    const mayReadBody =
      where.includes('json') ||
      (config.csrfCheckForm && config.cookieCsrfProtect && where.includes('cookies'))
    const authenticate = async (
      req: ExpressRequest,
      res: ExpressResponse,
      next: NextFunction,
    ): Promise<void> => {
      let result: GuardResult | undefined
      try {
        if (mayReadBody) await this.#readBodyIfNeeded(req, locations)
        const view = new ExpressRequestView(req)
        result = tryNow?.(view) ?? (await run(view))
      } catch (error) {
        if (isAuthXError(error)) this.#send(res, error)
        else next(error)
        return
      }
      const target = req as AuthXRequest
      // instanceof, not `'payload' in result`: custom claims also appear on a payload.
      if (result instanceof TokenPayloadImpl) target[PAYLOAD] = result
      else if (result !== undefined) {
        target[PAYLOAD] = result.payload
        target[SUBJECT] = result.subject
      }
      // Outside the try: an error thrown further down the chain is not an authentication failure.
      next()
    }
    const guard: ExpressGuard = (req, res, next) => {
      authenticate(req, res, next).catch((error: unknown) => {
        // Only reachable if rendering the error itself failed; still never an unhandled rejection.
        next(error)
      })
    }
    Object.defineProperty(guard, 'name', { value: 'authxGuard' })
    return guard
  }

  /**
   * Reads a JSON body (or a urlencoded form carrying the CSRF field) that no parser read, when
   * the locations need it, and leaves it on `req.body` for the handler.
   */
  async #readBodyIfNeeded(
    req: ExpressRequest,
    locations: readonly TokenLocation[] | undefined,
  ): Promise<void> {
    if (req.body !== undefined || (req as AuthXRequest)._body === true) return
    if (req.readableEnded || !hasBody(req)) return
    const { config } = this
    const where = locations ?? config.tokenLocation
    const contentType = req.headers['content-type']
    const isJSON = where.includes('json') && isJSONContentType(contentType)
    // The CSRF value comes from a form field only for cookie tokens on CSRF methods.
    const isForm =
      config.csrfCheckForm &&
      config.cookieCsrfProtect &&
      where.includes('cookies') &&
      isCsrfMethod(config.csrfMethods, requestLineMethod(req)) &&
      isURLEncoded(contentType)
    if (!isJSON && !isForm) return
    const raw = await readBody(req, MAX_BODY_BYTES)
    if (raw === undefined) return
    // Marks the body as consumed for body-parser (Express 4), which then leaves req.body alone.
    ;(req as AuthXRequest)._body = true
    const text = raw.toString('utf8')
    if (isForm) {
      req.body = parseQueryString(text)
      return
    }
    try {
      req.body = JSON.parse(text) as unknown
    } catch {
      // An unparsable body holds no token; the guard then reports the token as missing.
    }
  }

  /**
   * Finds a token in a request without verifying it. Besides what the core takes (a Fetch
   * `Request`, a `RequestView`), it takes the Express `req` itself, and reads a JSON body that no
   * parser read when the locations include `json`.
   *
   * @param request - the Express request, a Fetch `Request` or a `RequestView`
   * @param options - type, locations, and whether a missing token is an error
   * @returns the token, or null when optional and nothing was found
   */
  override async getTokenFromRequest(
    request: RequestLike | ExpressRequest,
    options: GetTokenOptions = {},
  ): Promise<RequestToken | null> {
    return super.getTokenFromRequest(await this.#toView(request, options.locations), options)
  }

  /**
   * The access token of a request, or MissingTokenError.
   *
   * @param request - the Express request, a Fetch `Request` or a `RequestView`
   * @param locations - override of `tokenLocation`
   */
  override async getAccessTokenFromRequest(
    request: RequestLike | ExpressRequest,
    locations?: readonly TokenLocation[],
  ): Promise<RequestToken> {
    return super.getAccessTokenFromRequest(await this.#toView(request, locations), locations)
  }

  /**
   * The refresh token of a request, or MissingTokenError: the seed's `/refresh` route.
   *
   * @param request - the Express request, a Fetch `Request` or a `RequestView`
   * @param locations - override of `tokenLocation`
   *
   * @example
   * ```ts
   * app.post('/refresh', async (req, res) => {
   *   const payload = await auth.verifyToken(await auth.getRefreshTokenFromRequest(req))
   *   res.json({ access_token: auth.createAccessToken(payload.sub) })
   * })
   * ```
   */
  override async getRefreshTokenFromRequest(
    request: RequestLike | ExpressRequest,
    locations?: readonly TokenLocation[],
  ): Promise<RequestToken> {
    return super.getRefreshTokenFromRequest(await this.#toView(request, locations), locations)
  }

  /**
   * The whole pipeline on a request; also takes the Express `req` itself.
   *
   * @param request - the Express request, a Fetch `Request` or a `RequestView`
   * @param options - what the route requires
   * @returns the verified payload
   * @throws AuthXError subclasses
   */
  override async authenticate<Extra extends CustomClaims = CustomClaims>(
    request: RequestLike | ExpressRequest,
    options: GuardOptions = {},
  ): Promise<TokenPayload<Extra>> {
    return super.authenticate<Extra>(await this.#toView(request, options.locations), options)
  }

  async #toView(
    request: RequestLike | ExpressRequest,
    locations: readonly TokenLocation[] | undefined,
  ): Promise<RequestLike> {
    if (!(request instanceof IncomingMessage)) return request
    await this.#readBodyIfNeeded(request, locations)
    return new ExpressRequestView(request)
  }

  #send(res: ExpressResponse, error: AuthXError): void {
    const { status, headers, body } = this.renderError(error)
    res.status(status).set(headers).json(body)
  }

  /**
   * The verified payload of a guarded request.
   *
   * @param req - the Express request, or an upgrade request passed to `authenticateUpgrade`
   * @throws TypeError when the route has no AuthX guard
   */
  payload<Extra extends CustomClaims = CustomClaims>(
    req: ExpressRequest | IncomingMessage,
  ): TokenPayload<Extra> {
    const payload = (req as AuthXRequest)[PAYLOAD]
    if (payload === undefined)
      throw new TypeError('auth.payload(req) needs a route guarded by AuthX')
    return payload as TokenPayload<Extra>
  }

  /**
   * The subject loaded by the `currentSubject` guard.
   *
   * @param req - the Express request
   */
  subject<Subject = unknown>(req: ExpressRequest): Subject {
    return (req as AuthXRequest)[SUBJECT] as Subject
  }

  /**
   * The core's `RequestView` of an Express request, for `getTokenFromRequest`, `authenticate`...
   * It sees the body as `req.body` holds it: in an unguarded route, a token in a JSON body needs
   * `express.json()`.
   *
   * @param req - the Express request
   */
  view(req: ExpressRequest): RequestView {
    return new ExpressRequestView(req)
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

  /**
   * Turns on implicit refresh for cookie sessions: a request whose access cookie is valid but
   * close to expiry gets a new access cookie on a successful response (status below 400). Never
   * on an error, nor on a response that sets or deletes an auth cookie itself (a login, a logout),
   * nor when the handler revoked the token (or its session) meanwhile: the response's head is
   * held until that is decided, which takes a revocation lookup at most. Register it before the
   * routes it should cover.
   *
   * @param app - the Express application or router
   *
   * @example
   * ```ts
   * const auth = new AuthX({ secretKey, tokenLocation: ['cookies'], implicitRefreshDeltatime: 300 })
   * auth.implicitRefresh(app)
   * app.get('/page', auth.accessTokenRequired, page)
   * ```
   */
  implicitRefresh(app: Application | Router): void {
    const refresh = (req: ExpressRequest, res: ExpressResponse, next: NextFunction): void => {
      this.prepareImplicitRefresh(new ExpressRequestView(req)).then((pending) => {
        if (pending !== null) holdHeadUntilConfirmed(res, pending)
        next()
      }, next)
    }
    Object.defineProperty(refresh, 'name', { value: 'authxImplicitRefresh' })
    app.use(refresh)
  }
}

/** The `ServerResponse` methods through which the head of a response can leave. */
const HEAD_WRITERS = ['writeHead', 'write', 'end', 'flushHeaders'] as const

type HeadWriter = (typeof HEAD_WRITERS)[number]

/**
 * The Set-Cookie values a response will carry if it calls `args` now: those already set, and
 * those `writeHead(status, [message], headers)` passes (an object, or a flat name-value array).
 */
function setCookiesAt(res: ExpressResponse, name: HeadWriter, args: readonly unknown[]): string[] {
  const values: string[] = []
  const add = (value: unknown): void => {
    if (Array.isArray(value)) for (const item of value as unknown[]) add(item)
    else if (typeof value === 'string' || typeof value === 'number') values.push(String(value))
  }
  add(res.getHeader('set-cookie'))
  if (name !== 'writeHead') return values
  const headers = typeof args[1] === 'string' ? args[2] : args[1]
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2)
      if (String(headers[i]).toLowerCase() === 'set-cookie') add(headers[i + 1])
  } else if (typeof headers === 'object' && headers !== null) {
    for (const [key, value] of Object.entries(headers))
      if (key.toLowerCase() === 'set-cookie') add(value)
  }
  return values
}

/** The `ServerResponse` methods that change headers, which Node refuses once the head is sent. */
const HEADER_SETTERS = ['setHeader', 'appendHeader', 'removeHeader'] as const

/** Node's error for a header change after the head was sent (`ERR_HTTP_HEADERS_SENT`). */
function headersSentError(action: string): Error {
  return Object.assign(new Error(`Cannot ${action} headers after they are sent to the client`), {
    code: 'ERR_HTTP_HEADERS_SENT',
  })
}

/**
 * Holds the head of a response until a pending implicit refresh is confirmed. Node sends the head
 * from `writeHead`, or from the first `write`, `end` or `flushHeaders` (which call `writeHead`
 * for an implicit head): the first of these calls takes the status and Set-Cookie values as they
 * stand, starts `confirm`, and is queued with every call after it. Once `confirm` settles, the
 * confirmed cookies are appended (none if it failed) and the calls replayed in order; from then
 * on the methods pass straight through. No byte of the response leaves before the decision, so
 * a logout's deletions are never followed by a new token cookie.
 *
 * While held the response behaves as one whose head is sent, so code after the first call sees
 * what it would see without the hold: `headersSent` is true, a header change or a second
 * `writeHead` throws `ERR_HTTP_HEADERS_SENT` (an error handler taking over after a write closes
 * the connection, as Express's does when headers are out), and a status set late is ignored.
 * `write` answers `false` (as a full buffer does) and `'drain'` follows the replay, so a piped
 * stream waits instead of piling up; `end` answers the response. A queued call that throws on
 * replay (an invalid status) can no longer reach its caller: the response is destroyed with
 * that error instead.
 */
function holdHeadUntilConfirmed(res: ExpressResponse, pending: PendingRefresh): void {
  const target = res as unknown as Record<
    HeadWriter | (typeof HEADER_SETTERS)[number],
    (...args: unknown[]) => unknown
  >
  const originals = new Map(HEAD_WRITERS.map((name) => [name, target[name]] as const))
  let state: 'open' | 'held' | 'released' = 'open'
  const queue: { name: HeadWriter; args: unknown[] }[] = []
  let owesDrain = false
  let status = 0
  /** Own properties the hold shadows, to put back as they were (most are on the prototype). */
  const shadowed = new Map<PropertyKey, PropertyDescriptor | undefined>()
  const shadow = (key: PropertyKey, descriptor: PropertyDescriptor): void => {
    shadowed.set(key, Object.getOwnPropertyDescriptor(res, key))
    Object.defineProperty(res, key, { configurable: true, ...descriptor })
  }
  const call = (name: HeadWriter, args: unknown[]): unknown => originals.get(name)!.apply(res, args)
  const release = (cookies: readonly SetCookie[]): void => {
    state = 'released'
    // The real `headersSent` and header setters again, before anything is replayed.
    for (const [key, descriptor] of shadowed) {
      if (descriptor === undefined) Reflect.deleteProperty(res, key)
      else Object.defineProperty(res, key, descriptor)
    }
    res.statusCode = status
    let wrote: unknown = true
    try {
      if (!res.headersSent) sendCookies(res, cookies)
      for (const { name, args } of queue) {
        const result = call(name, args)
        if (name === 'write') wrote = result
      }
    } catch (error) {
      res.destroy(error instanceof Error ? error : new Error(String(error)))
      return
    }
    if (owesDrain && wrote !== false && !res.writableEnded) res.emit('drain')
  }
  const hold = (name: HeadWriter, args: unknown[]): void => {
    state = 'held'
    // writeHead's own status wins over `statusCode` (which it would set).
    status = name === 'writeHead' && typeof args[0] === 'number' ? args[0] : res.statusCode
    const setCookies = setCookiesAt(res, name, args)
    shadow('headersSent', { get: () => true })
    for (const setter of HEADER_SETTERS) {
      if (typeof target[setter] !== 'function') continue
      const verb = setter === 'setHeader' ? 'set' : setter === 'appendHeader' ? 'append' : 'remove'
      shadow(setter, {
        writable: true,
        value: () => {
          throw headersSentError(verb)
        },
      })
    }
    pending.confirm(status, setCookies).then(release, () => {
      // A failure to decide (a blocklist callback that throws) drops the cookie, not the response
      // the handler already made: the same callback fails the next request's guard.
      release([])
    })
  }
  for (const name of HEAD_WRITERS) {
    target[name] = (...args: unknown[]): unknown => {
      if (state === 'released') return call(name, args)
      if (state === 'open') {
        if (res.headersSent) {
          state = 'released'
          return call(name, args)
        }
        hold(name, args)
      } else if (name === 'writeHead') {
        // A second head, as Node refuses it once the first is out.
        throw headersSentError('write')
      }
      queue.push({ name, args })
      if (name === 'write') {
        owesDrain = true
        return false
      }
      return name === 'flushHeaders' ? undefined : res
    }
  }
}

function sendCookies(res: ExpressResponse, cookies: readonly SetCookie[]): void {
  // res.append keeps the Set-Cookie headers already on the response.
  for (const cookie of cookies) res.append('Set-Cookie', cookie.header)
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

export type { GuardBodyOptions, GuardResult } from '../authx.ts'
