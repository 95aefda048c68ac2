/**
 * `authx-ts/koa`: the `AuthX` class bound to Koa 3 (and `@koa/router`). Guards are ordinary
 * `(ctx, next)` middleware that put the verified payload on `ctx.state.payload` (and the subject
 * on `ctx.state.subject`) and answer with the JSON error contract themselves, so routes are safe
 * without `handleErrors`.
 *
 * The app needs no other middleware: cookies are read from the `Cookie` header, and a guard that
 * looks for a token in a JSON body (or a CSRF value in a form) reads the body itself when no body
 * parser did, then leaves it on `ctx.request.body` for the handler.
 *
 * @example The seed's quickstart
 * ```ts
 * import Koa from 'koa'
 * import Router from '@koa/router'
 * import { AuthX } from 'authx-ts/koa'
 * const app = new Koa()
 * const router = new Router()
 * const auth = new AuthX({ secretKey: process.env.JWT_SECRET_KEY })
 * auth.handleErrors(app) // first, like every Koa error handler
 * router.get('/protected', auth.accessTokenRequired, (ctx) => {
 *   ctx.body = { message: 'hi' }
 * })
 * app.use(router.routes()).use(router.allowedMethods())
 * ```
 *
 * @packageDocumentation
 */
import { IncomingMessage } from 'node:http'
import type { ServerResponse } from 'node:http'
import type { ParsedUrlQuery } from 'node:querystring'
import type { Duplex } from 'node:stream'
import type { AuthXOptions } from '../config/index.ts'
import { isAuthXError } from '../errors.ts'
import { isFormContentType, isJSONContentType, parseCookieHeader } from '../request/view.ts'
import type { CustomClaims, TokenPayload } from '../token/payload.ts'
import type { RequestView } from '../types.ts'
import { readUnparsedBody } from './node/body.ts'
import { holdHeadUntilDecided } from './node/head.ts'
import { authenticateUpgrade, rejectUpgrade, webSocketUpgrade } from './node/upgrade.ts'
import type { UpgradeListener, WebSocketServerLike } from './node/upgrade.ts'
import { nodeHeader } from './node/view.ts'
import { BoundAuthX } from './shared/bound.ts'
import type { OpenAPIPaths } from './shared/bound.ts'
import { PASS } from './shared/kit.ts'
import type { AdapterKit, BodyNeed } from './shared/kit.ts'

// The core's public names, so one import serves an application (`AuthX` is this binding's own).
export * from './shared/core-names.ts'
export type { UpgradeListener, WebSocketServerLike } from './node/upgrade.ts'

/**
 * The members of a Koa context the binding uses. Koa's own `Context` (from `@types/koa`) has
 * them all, so a real context is accepted wherever this type is asked for; declaring them here
 * keeps the binding's declarations free of `@types/koa`, which an application may not have.
 */
export interface KoaContext {
  /** Node's request. */
  readonly req: IncomingMessage
  /** Node's response. */
  readonly res: ServerResponse
  /** The pathname of the request target. */
  readonly path: string
  /** The client address (under the app's `proxy` setting). */
  readonly ip: string
  /** The parsed query string. */
  readonly query: ParsedUrlQuery
  /** Koa's request object (a body parser puts `body` on it). */
  readonly request: object
  /** The state passed down the middleware chain. */
  state: unknown
  /** The response status. */
  status: number
  /** The response body. */
  body: unknown
  /** Whether the head of the response was sent. */
  readonly headerSent: boolean
  /** Sets response headers. */
  set(fields: Record<string, string>): void
  /** Appends a response header. */
  append(field: string, value: string): void
}

/** Koa's `next`. */
export type KoaNext = () => Promise<unknown>

/** A Koa middleware, as the binding's guards and error handler are. */
export type KoaMiddleware = (ctx: KoaContext, next: KoaNext) => Promise<unknown>

/**
 * A Koa guard: plain middleware. It calls `next()` once the request is authenticated, and
 * answers the error contract itself otherwise (the handler never runs).
 */
export type KoaGuard = (ctx: KoaContext, next: KoaNext) => Promise<unknown>

/**
 * What the guards put on `ctx.state`: the verified payload, and the subject the
 * `currentSubject` guard loaded.
 */
export interface AuthXState {
  /** The verified payload of the token the guard accepted. */
  payload?: TokenPayload
  /** The subject the getter returned (`currentSubject` only). */
  subject?: unknown
}

/** Anything with Koa's `use`: a Koa application or an `@koa/router` router. */
export interface KoaUsable {
  use(middleware: KoaMiddleware): unknown
}

/** The payload of an upgrade request, which never becomes a Koa context. */
const UPGRADE_PAYLOAD = Symbol('authx.payload')

interface UpgradeRequest {
  [UPGRADE_PAYLOAD]?: TokenPayload
}

/** The state object of a context, typed with the guards' members. */
function stateOf(ctx: KoaContext): AuthXState {
  return ctx.state as AuthXState
}

/** The request body a body parser (or a guard) left on the context, if any. */
function parsedBody(ctx: KoaContext): unknown {
  return (ctx.request as { body?: unknown }).body
}

/** The core's view of a Koa context. Everything is read on first use. */
class KoaRequestView implements RequestView {
  readonly method: string
  readonly #ctx: KoaContext
  #cookies: Record<string, string | undefined> | undefined

  constructor(ctx: KoaContext) {
    this.#ctx = ctx
    // The request line's method: `ctx.method` is writable (method-override middleware).
    this.method = (ctx.req.method ?? 'GET').toUpperCase()
  }

  get path(): string {
    // parseurl's pathname of the request target, which @koa/router matches.
    return this.#ctx.path
  }

  get route(): string | undefined {
    // @koa/router's matched pattern, its prefix included; undefined outside a router's route.
    const pattern = (this.#ctx as { _matchedRoute?: unknown })._matchedRoute
    return typeof pattern === 'string' ? pattern : undefined
  }

  get ip(): string | undefined {
    // ctx.ip applies the app's `proxy` setting.
    return this.#ctx.ip
  }

  header(name: string): string | undefined {
    return nodeHeader(this.#ctx.req.headers, name)
  }

  cookie(name: string): string | undefined {
    // Koa's ctx.cookies is for signed cookies it set itself; the header is read as sent.
    this.#cookies ??= parseCookieHeader(this.header('cookie'))
    return this.#cookies[name]
  }

  query(name: string): string | string[] | undefined {
    const query = this.#ctx.query
    if (!Object.hasOwn(query, name)) return undefined
    return query[name]
  }

  json(): unknown {
    return isJSONContentType(this.header('content-type')) ? parsedBody(this.#ctx) : undefined
  }

  form(): unknown {
    return isFormContentType(this.header('content-type')) ? parsedBody(this.#ctx) : undefined
  }
}

/** The request-line method of a raw request. */
function rawMethod(req: IncomingMessage): string {
  return (req.method ?? 'GET').toUpperCase()
}

/**
 * Reads a JSON body (or a urlencoded form carrying the CSRF field) that no parser read, when the
 * guard needs it, and leaves it on `ctx.request.body` for the handler; undefined when there is
 * nothing to read, so the guard stays synchronous.
 */
function readBody(ctx: KoaContext, need: BodyNeed): Promise<void> | undefined {
  if (parsedBody(ctx) !== undefined) return undefined
  return readUnparsedBody(ctx.req, need, rawMethod)?.then((read) => {
    if (read?.value !== undefined) (ctx.request as { body?: unknown }).body = read.value
  })
}

/** Koa's types, for the kit. */
interface KoaFramework {
  Request: KoaContext
  Reply: KoaContext
  Guard: KoaGuard
  App: KoaUsable
  Answer: void
  Body: void
}

/** Appends one Set-Cookie header on a raw response (Koa's `ctx.append` does the same). */
function appendRawCookie(res: ServerResponse, header: string): void {
  res.appendHeader('set-cookie', header)
}

/** Koa's primitives. */
const kit: AdapterKit<KoaFramework> = {
  requestName: 'ctx',
  // A context carries Node's request and Koa's request object; a view or a Fetch Request does not.
  isRequest: isContext,
  view: (ctx) => new KoaRequestView(ctx),
  readBody,
  attach(ctx, payload) {
    stateOf(ctx).payload = payload
  },
  attachSubject(ctx, subject) {
    stateOf(ctx).subject = subject
  },
  payloadOf: (ctx) => stateOf(ctx).payload,
  subjectOf: (ctx) => stateOf(ctx).subject,
  send(ctx, { status, headers, body }) {
    ctx.status = status
    ctx.set(headers)
    ctx.body = body
  },
  appendCookie(ctx, header) {
    // ctx.append keeps the Set-Cookie headers already on the response.
    ctx.append('Set-Cookie', header)
  },
  beforeHeaders(app, prepare) {
    // Koa writes the head itself once the middleware chain has unwound: the head is held.
    const refresh = async (ctx: KoaContext, next: KoaNext): Promise<void> => {
      const decide = await prepare(ctx)
      if (decide !== null) holdHeadUntilDecided(ctx.res, decide, appendRawCookie)
      await next()
    }
    Object.defineProperty(refresh, 'name', { value: 'authxImplicitRefresh' })
    app.use(refresh)
  },
  // Errors that are not AuthX's reject the middleware's promise, for Koa's error handling.
  toGuard: (step) => (ctx, next) => {
    let verdict
    try {
      verdict = step(ctx, ctx)
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)))
    }
    if (verdict === PASS) return next()
    if (verdict instanceof Promise)
      return verdict.then((settled) => (settled === PASS ? next() : undefined))
    return Promise.resolve()
  },
}

/** Whether a value is a Koa context (it carries the raw request and Koa's request object). */
function isContext(value: unknown): value is KoaContext {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { req?: unknown }).req instanceof IncomingMessage &&
    typeof (value as { request?: unknown }).request === 'object'
  )
}

/**
 * `AuthX` for Koa: the core class plus guards, error handling and cookie helpers.
 *
 * @example Guards, scopes and the payload
 * ```ts
 * router.get('/me', auth.accessTokenRequired, (ctx) => {
 *   ctx.body = { user: ctx.state.payload.sub } // or auth.payload(ctx).sub
 * })
 * router.get('/admin', auth.scopesRequired(['admin:*']), (ctx) => { ctx.body = 'ok' })
 * ```
 */
export class AuthX extends BoundAuthX<KoaFramework> {
  /**
   * Middleware that renders AuthX errors thrown further down the chain as the JSON contract and
   * rethrows every other error. `app.use(auth.errorHandler)` first (what
   * {@link AuthX.handleErrors} does).
   */
  readonly errorHandler: KoaMiddleware

  /**
   * Serves the instance's public JWK Set (`auth.jwks()`): mount it at `/.well-known/jwks.json`.
   * Answers `application/jwk-set+json` with `Cache-Control: public, max-age` (`jwksCacheMaxAge`)
   * and a strong `ETag`, and 304 to a matching `If-None-Match`.
   *
   * @example
   * ```ts
   * router.get('/.well-known/jwks.json', auth.jwksHandler)
   * ```
   */
  readonly jwksHandler = (ctx: KoaContext): void => {
    const answer = this.jwksReply(ctx.req.headers['if-none-match'])
    ctx.status = answer.status
    ctx.set(answer.headers)
    // A null body after a 304 keeps the 304 (Koa turns it into 204 only for other statuses).
    ctx.body = answer.body
  }

  /**
   * @param options - see `AuthXOptions`
   * @throws BadConfigurationError naming the option and the fix
   */
  constructor(options: AuthXOptions) {
    super(options, kit)
    const errorHandler = async (ctx: KoaContext, next: KoaNext): Promise<void> => {
      try {
        await next()
      } catch (error) {
        // Once headers are out, only Koa's own handler can still close the connection.
        if (!isAuthXError(error) || ctx.headerSent) throw error
        kit.send(ctx, this.renderError(error))
      }
    }
    Object.defineProperty(errorHandler, 'name', { value: 'authxErrorHandler' })
    this.errorHandler = errorHandler
  }

  /**
   * Authenticates a WebSocket upgrade request from a Node server's `'upgrade'` event (which Koa
   * never sees): the query parameter `queryStringName` first, then the header, access tokens
   * only, revocation applied. The payload is also attached to the request, so
   * `auth.payload(req)` works in the `'connection'` listener.
   *
   * @param req - the raw Node request of the `'upgrade'` event
   * @returns the verified payload
   * @throws AuthXError subclasses (401, or 503 when a store is down): answer with
   *   {@link AuthX.rejectUpgrade}
   */
  authenticateUpgrade<Extra extends CustomClaims = CustomClaims>(
    req: IncomingMessage,
  ): Promise<TokenPayload<Extra>> {
    return authenticateUpgrade<Extra>(this, req, (raw, payload) => {
      ;(raw as UpgradeRequest)[UPGRADE_PAYLOAD] = payload
    })
  }

  /**
   * Refuses an upgrade on the raw socket: an HTTP/1.1 response with the error contract's status,
   * headers (`WWW-Authenticate`...) and JSON body, then the socket is closed. It never throws.
   *
   * @param socket - the socket of the `'upgrade'` event
   * @param error - what {@link AuthX.authenticateUpgrade} threw
   */
  rejectUpgrade(socket: Duplex, error: unknown): void {
    rejectUpgrade(this, socket, error)
  }

  /**
   * An `'upgrade'` listener for a `ws` server in `noServer` mode: it authenticates every upgrade,
   * completes the handshake and emits `'connection'` (`auth.payload(req)` is set there), or
   * refuses it with the error contract.
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
   * The verified payload of a guarded request (also `ctx.state.payload`).
   *
   * @param request - the Koa context, or an upgrade request passed to `authenticateUpgrade`
   * @throws TypeError when the route has no AuthX guard
   */
  override payload<Extra extends CustomClaims = CustomClaims>(
    request: KoaContext | IncomingMessage,
  ): TokenPayload<Extra> {
    if (request instanceof IncomingMessage) {
      const payload = (request as UpgradeRequest)[UPGRADE_PAYLOAD]
      if (payload === undefined)
        throw new TypeError('auth.payload(req) needs an upgrade request AuthX authenticated')
      return payload as TokenPayload<Extra>
    }
    return super.payload<Extra>(request)
  }

  /**
   * The OpenAPI `paths` of an `@koa/router` router's routes, each guarded operation with the
   * `security` of its AuthX guard. Koa has no document generator of its own: call it after the
   * routes and put the result in a document with `auth.openapiComponents()` as
   * `components.securitySchemes`. Nested routers are walked as `@koa/router` flattens them.
   *
   * @param router - the `@koa/router` router
   * @returns the document's `paths`
   */
  openapi(router: { stack: readonly unknown[] }): OpenAPIPaths {
    const operations: { path: string; method: string; handlers: unknown[] }[] = []
    for (const layer of router.stack as { path?: unknown; methods?: unknown; stack?: unknown }[]) {
      if (typeof layer.path !== 'string' || !Array.isArray(layer.methods)) continue
      const handlers = Array.isArray(layer.stack) ? (layer.stack as unknown[]) : []
      // @koa/router adds HEAD to every GET layer; OpenAPI describes the GET.
      for (const method of layer.methods as string[]) {
        if (method === 'HEAD') continue
        operations.push({ path: layer.path, method, handlers })
      }
    }
    return this.openapiPaths(operations)
  }

  /**
   * Renders AuthX errors thrown by later middleware and handlers as the JSON contract; other
   * errors go on to Koa's error handling untouched. Like every Koa error handler it covers only
   * the middleware registered after it, so call it first.
   *
   * @param app - the Koa application (or a router)
   */
  handleErrors(app: KoaUsable): void {
    app.use(this.errorHandler)
  }
}
