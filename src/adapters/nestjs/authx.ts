/**
 * The `AuthX` class bound to NestJS: its ready guards are `CanActivate` objects for
 * `@UseGuards(...)`, its cookie helpers write on either platform's response, and the error
 * contract is answered by the guards themselves (an `HttpException` carrying the contract's body,
 * with its headers already on the response), so routes are safe without `handleErrors`.
 */
import type { IncomingMessage } from 'node:http'
import { Catch, HttpException } from '@nestjs/common'
import type {
  ArgumentsHost,
  CanActivate,
  ExceptionFilter,
  ExecutionContext,
  INestApplication,
} from '@nestjs/common'
import { ModulesContainer } from '@nestjs/core'
import type { AuthXOptions } from '../../config/index.ts'
import { AuthXError, isAuthXError } from '../../errors.ts'
import type { SetCookie } from '../../response/cookies.ts'
import type { CustomClaims, TokenPayload } from '../../token/payload.ts'
import { holdHeadUntilDecided } from '../node/head.ts'
import { NodeRequestView } from '../node/view.ts'
import { BoundAuthX } from '../shared/bound.ts'
import type { OpenAPIPaths } from '../shared/bound.ts'
import { PASS } from '../shared/kit.ts'
import type { AdapterKit, HeadDecision } from '../shared/kit.ts'
import { PUBLIC_KEY } from './metadata.ts'
import {
  NestRequestView,
  appendReplyCookie,
  isFastifyRequest,
  rawReply,
  sendReplyJSON,
  setReplyHeader,
} from './platform.ts'
import type { PlatformReply, PlatformRequest } from './platform.ts'

/** A NestJS guard made by AuthX: use it with `@UseGuards(...)` or `app.useGlobalGuards(...)`. */
export interface NestGuard extends CanActivate {
  canActivate(context: ExecutionContext): boolean | Promise<boolean>
}

const PAYLOAD = Symbol('authx.payload')
const SUBJECT = Symbol('authx.subject')
const REFRESHED = Symbol('authx.refreshed')
const APPLIED = Symbol('authx.applied')

interface AuthXRequest {
  [PAYLOAD]?: TokenPayload
  [SUBJECT]?: unknown
  [REFRESHED]?: HeadDecision | null
  [APPLIED]?: readonly string[]
}

/** The `'connection'` event of a `ws` server: the client and its handshake request. */
interface ConnectionEvents {
  on(event: 'connection', listener: (client: unknown, request: IncomingMessage) => void): unknown
}

/** The part of a `ws` server's `verifyClient` callback this module uses. */
export type VerifyClientCallback = (
  verified: boolean,
  code?: number,
  message?: string,
  headers?: Record<string, string>,
) => void

/**
 * The part of a NestJS WebSocket adapter (`WsAdapter` of `@nestjs/platform-ws`) that
 * `guardWebSockets` wraps: the `create` that makes each gateway's `ws` server.
 */
export interface WebSocketAdapterLike {
  create(port: number, options?: Record<string, unknown>): unknown
}

/** NestJS's types, for the kit. */
interface NestFramework {
  Request: PlatformRequest
  Reply: PlatformReply
  Guard: NestGuard
  App: INestApplication
  Answer: HttpException
  Body: undefined
}

/** The Fastify instance under a NestJS application on `@nestjs/platform-fastify`. */
interface FastifyHooks {
  addHook(name: string, hook: (...args: never[]) => unknown): unknown
}

/**
 * Implicit refresh's second half on Fastify (an `onSend` hook): ask the pending decision, with
 * the reply's status and Set-Cookie values, and append its cookies. Fastify runs `onSend` again
 * when it replaces the reply with an error, so cookies an earlier run added are taken out first.
 */
async function confirmOnFastify(
  request: AuthXRequest,
  reply: PlatformReply & {
    statusCode: number
    getHeader(name: string): unknown
    removeHeader(name: string): unknown
  },
  payload: unknown,
): Promise<unknown> {
  const decide = request[REFRESHED]
  if (decide == null) return payload
  const value = reply.getHeader('set-cookie')
  let current: string[] = Array.isArray(value)
    ? value.map(String)
    : typeof value === 'string'
      ? [value]
      : []
  const applied = request[APPLIED]
  if (applied !== undefined && applied.length > 0) {
    current = current.filter((header) => !applied.includes(header))
    reply.removeHeader('set-cookie')
    for (const header of current) appendReplyCookie(reply, header)
  }
  const cookies: readonly SetCookie[] = await decide(reply.statusCode, current)
  request[APPLIED] = cookies.map((cookie) => cookie.header)
  for (const cookie of cookies) appendReplyCookie(reply, cookie.header)
  return payload
}

/**
 * The payload an AuthX guard attached to a request of either platform (or to a WebSocket
 * handshake request), for the parameter decorators.
 *
 * @param request - the request
 */
export function payloadOfRequest(request: PlatformRequest): TokenPayload | undefined {
  return (request as AuthXRequest)[PAYLOAD]
}

/**
 * The subject the `currentSubject` guard attached to a request.
 *
 * @param request - the request
 */
export function subjectOfRequest(request: PlatformRequest): unknown {
  return (request as AuthXRequest)[SUBJECT]
}

/** NestJS's primitives, on either platform. Both platforms parse bodies: no body reader. */
const kit: AdapterKit<NestFramework> = {
  requestName: 'request',
  // Either platform's request: Node's request (Express) or one wrapping it (Fastify).
  isRequest: (value) =>
    isFastifyRequest(value) ||
    (typeof (value as { headers?: unknown }).headers === 'object' &&
      typeof (value as { socket?: unknown }).socket === 'object' &&
      !(value instanceof Request)),
  view: (request) => new NestRequestView(request),
  attach(request, payload) {
    ;(request as AuthXRequest)[PAYLOAD] = payload
  },
  attachSubject(request, subject) {
    ;(request as AuthXRequest)[SUBJECT] = subject
  },
  payloadOf: payloadOfRequest,
  subjectOf: subjectOfRequest,
  // The headers go on the response now; the status and body travel in an HttpException that
  // NestJS's exception layer (or the application's own filter) answers.
  send(reply, { status, headers, body }) {
    for (const [name, value] of Object.entries(headers)) setReplyHeader(reply, name, value)
    return new HttpException(body, status)
  },
  appendCookie: appendReplyCookie,
  beforeHeaders(app, prepare) {
    const adapter = app.getHttpAdapter()
    if (adapter.getType() === 'fastify') {
      const fastify = adapter.getInstance() as FastifyHooks
      fastify.addHook('onRequest', async (request: PlatformRequest) => {
        ;(request as AuthXRequest)[REFRESHED] = await prepare(request)
      })
      fastify.addHook('onSend', confirmOnFastify)
      return
    }
    // Express has no hook before the head is sent: the response's head is held instead.
    app.use((req: IncomingMessage, res: PlatformReply, next: (error?: unknown) => void) => {
      prepare(req).then((decide) => {
        if (decide !== null)
          holdHeadUntilDecided(rawReply(res), decide, (raw, header) => {
            raw.appendHeader('set-cookie', header)
          })
        next()
      }, next)
    })
  },
  toGuard: (step) => ({
    canActivate(context: ExecutionContext): boolean | Promise<boolean> {
      const http = context.switchToHttp()
      const verdict = step(http.getRequest<PlatformRequest>(), http.getResponse<PlatformReply>())
      if (verdict === PASS) return true
      if (verdict instanceof Promise) {
        return verdict.then((settled) => {
          if (settled === PASS) return true
          throw settled
        })
      }
      throw verdict
    },
  }),
}

/**
 * `AuthX` for NestJS (on `@nestjs/platform-express` or `@nestjs/platform-fastify`): the core
 * class plus guards, error handling, cookie helpers, WebSocket handshakes and OpenAPI security.
 * `AuthXModule.forRoot(options)` makes one and provides it for injection.
 *
 * @example Guards on a controller, without the module
 * ```ts
 * const auth = new AuthX({ secretKey: process.env.JWT_SECRET_KEY })
 * class ProfileController {
 *   @Get('me') @UseGuards(auth.accessTokenRequired)
 *   me(@TokenPayload() payload: TokenPayload) { return { user: payload.sub } }
 * }
 * ```
 */
export class AuthX extends BoundAuthX<NestFramework> {
  /**
   * The exception filter that renders AuthX errors thrown in handlers (and services) as the JSON
   * contract, with its headers; `app.useGlobalFilters(auth.exceptionFilter)` (what
   * {@link AuthX.handleErrors} does). Other exceptions go to NestJS's own handling.
   */
  readonly exceptionFilter: ExceptionFilter<AuthXError>

  /**
   * @param options - see `AuthXOptions`
   * @throws BadConfigurationError naming the option and the fix
   */
  constructor(options: AuthXOptions) {
    super(options, kit)
    this.exceptionFilter = new AuthXExceptionFilter(this)
  }

  /**
   * The verified payload of a guarded request, or of a WebSocket handshake request that
   * {@link AuthX.guardWebSockets} accepted (the request a gateway's `handleConnection` gets).
   *
   * @param request - the platform's request, or the handshake's Node request
   * @throws TypeError when the route has no AuthX guard
   */
  override payload<Extra extends CustomClaims = CustomClaims>(
    request: PlatformRequest | IncomingMessage,
  ): TokenPayload<Extra> {
    return super.payload<Extra>(request)
  }

  /**
   * Answers AuthX errors thrown in handlers and services with the JSON contract (a global
   * exception filter). The guards answer their own failures without it.
   *
   * @param app - the NestJS application
   */
  handleErrors(app: INestApplication): void {
    app.useGlobalFilters(this.exceptionFilter)
  }

  /**
   * Authenticates every WebSocket handshake of the gateways an adapter creates, before the
   * upgrade: the token comes from the query parameter `queryStringName`, then the header
   * (browsers cannot set headers on a WebSocket); a refusal is the error contract's status,
   * headers and JSON body, and the gateway never sees the client. In `handleConnection(client,
   * request)`, `auth.payload(request)` is the verified payload; in a `@SubscribeMessage` handler,
   * `@TokenPayload()` (and `auth.payload(client)`) is the payload of the client's handshake, and
   * the global `AuthXGuard` refuses the messages of a client that has none.
   *
   * @param adapter - `new WsAdapter(app)` from `@nestjs/platform-ws`
   * @returns the same adapter, for `app.useWebSocketAdapter(...)`
   *
   * @example
   * ```ts
   * app.useWebSocketAdapter(auth.guardWebSockets(new WsAdapter(app)))
   * ```
   */
  guardWebSockets<Adapter extends WebSocketAdapterLike>(adapter: Adapter): Adapter {
    const create = adapter.create.bind(adapter)
    const verifyClient = (info: { req: IncomingMessage }, done: VerifyClientCallback): void => {
      this.authenticateWebSocket(new NodeRequestView(info.req)).then(
        (payload) => {
          kit.attach(info.req, payload)
          done(true)
        },
        (error: unknown) => {
          const { status, headers, body } = isAuthXError(error)
            ? this.renderError(error)
            : {
                status: 500,
                headers: { 'content-type': 'application/json; charset=utf-8' },
                body: { [this.config.errorMessageKey]: 'Internal Server Error' },
              }
          done(false, status, JSON.stringify(body), headers)
        },
      )
    }
    adapter.create = (port, options = {}) => {
      const server = create(port, { ...options, verifyClient })
      // The handshake's payload follows its client, for the guards and `@TokenPayload()` of
      // the gateway's message handlers (whose request argument is the client).
      ;(server as Partial<ConnectionEvents>).on?.('connection', (client, request) => {
        const payload = payloadOfRequest(request)
        if (payload !== undefined && typeof client === 'object' && client !== null)
          kit.attach(client, payload)
      })
      return server
    }
    return adapter
  }

  /**
   * The OpenAPI `paths` of the application's controllers, each operation guarded by one of this
   * instance's guards (on the method or the controller) with that guard's `security`. Pass
   * `auth.openapiComponents()` as the document's `components.securitySchemes`; with
   * `@nestjs/swagger`, {@link AuthX.applyOpenAPI} merges them into its document.
   *
   * @param app - the NestJS application (after `NestFactory.create`)
   * @param options - `globalGuard: true` when the application guards every route with the global
   *   `AuthXGuard` (`APP_GUARD`): each route that is not `@Public()` then needs an access token
   * @returns the document's `paths` (OpenAPI `{param}` syntax)
   */
  openapi(app: INestApplication, options: { globalGuard?: boolean } = {}): OpenAPIPaths {
    const global = options.globalGuard === true ? [this.accessTokenRequired] : []
    const operations: { path: string; method: string; handlers: unknown[] }[] = []
    for (const module of app.get(ModulesContainer, { strict: false }).values()) {
      for (const wrapper of module.controllers.values()) {
        const controller = wrapper.metatype as (new (...args: never[]) => unknown) | null
        if (typeof controller !== 'function') continue
        const base = pathsOf(Reflect.getMetadata('path', controller))
        const classGuards = guardsOf(controller)
        const prototype = controller.prototype as Record<string, unknown>
        for (const name of Object.getOwnPropertyNames(prototype)) {
          const handler = prototype[name]
          if (name === 'constructor' || typeof handler !== 'function') continue
          const method = Reflect.getMetadata('method', handler) as number | undefined
          if (method === undefined) continue
          const verb = METHODS[method] ?? 'get'
          for (const prefix of base)
            for (const own of pathsOf(Reflect.getMetadata('path', handler)))
              operations.push({
                path: joinPath(prefix, own),
                method: verb,
                handlers: [
                  ...[...guardsOf(handler), ...classGuards].map((guard) =>
                    this.guardInstanceOf(guard),
                  ),
                  // The global guard lets a @Public() route (or controller) through untouched.
                  ...(isPublic(handler) || isPublic(controller) ? [] : global),
                ],
              })
        }
      }
    }
    return this.openapiPaths(operations)
  }

  /**
   * Merges the `security` of {@link AuthX.openapi} and `auth.openapiComponents()` into a
   * document made by `@nestjs/swagger`'s `SwaggerModule.createDocument`.
   *
   * @param app - the NestJS application
   * @param document - the document to complete (changed in place)
   * @param options - `globalGuard`, as for {@link AuthX.openapi}
   * @returns the document
   *
   * @example
   * ```ts
   * const document = auth.applyOpenAPI(app, SwaggerModule.createDocument(app, config))
   * SwaggerModule.setup('docs', app, document)
   * ```
   */
  applyOpenAPI<D extends { paths: object; components?: object | undefined }>(
    app: INestApplication,
    document: D,
    options: { globalGuard?: boolean } = {},
  ): D {
    const target = document as {
      paths: Record<string, Record<string, unknown> | undefined>
      components?: { securitySchemes?: Record<string, unknown> }
    }
    target.components ??= {}
    target.components.securitySchemes = {
      ...target.components.securitySchemes,
      ...this.openapiComponents(),
    }
    for (const [path, operations] of Object.entries(this.openapi(app, options))) {
      for (const [method, { security }] of Object.entries(operations)) {
        const operation = target.paths[path]?.[method]
        if (security !== undefined && typeof operation === 'object' && operation !== null)
          (operation as { security?: unknown }).security = security
      }
    }
    return document
  }

  /**
   * The guard object a `@UseGuards` entry stands for: a guard made by this instance, or the
   * guard an AuthX guard class delegates to (classes name it with a static `forInstance`).
   */
  protected guardInstanceOf(guard: unknown): unknown {
    const forInstance = (guard as { forInstance?: unknown } | null)?.forInstance
    return typeof forInstance === 'function'
      ? (forInstance as (auth: AuthX) => unknown)(this)
      : guard
  }
}

/** NestJS's `RequestMethod` numbers, as OpenAPI's lower-case operation names. */
const METHODS = ['get', 'post', 'put', 'delete', 'patch', 'all', 'options', 'head', 'search']

/** A path metadata value (a string or several) as a list. */
function pathsOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string')
  return [typeof value === 'string' ? value : '/']
}

/** The guards `@UseGuards` put on a controller or a handler. */
function guardsOf(target: object): unknown[] {
  const guards = Reflect.getMetadata('__guards__', target) as unknown
  return Array.isArray(guards) ? (guards as unknown[]) : []
}

/** Whether `@Public()` marks a handler or a controller. */
function isPublic(target: object): boolean {
  return Reflect.getMetadata(PUBLIC_KEY, target) === true
}

/** A controller path and a handler path as one route path, with one leading slash. */
function joinPath(prefix: string, path: string): string {
  const joined = `/${prefix}/${path}`.replace(/\/{2,}/g, '/')
  return joined.length > 1 && joined.endsWith('/') ? joined.slice(0, -1) : joined
}

/**
 * Renders AuthX errors as the JSON contract on either platform; NestJS routes every other
 * exception to its own handling, as the filter catches `AuthXError` only.
 */
class AuthXExceptionFilter implements ExceptionFilter<AuthXError> {
  readonly #auth: AuthX

  constructor(auth: AuthX) {
    this.#auth = auth
  }

  catch(error: AuthXError, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw error
    const reply = host.switchToHttp().getResponse<PlatformReply>()
    const { status, headers, body } = this.#auth.renderError(error)
    for (const [name, value] of Object.entries(headers)) setReplyHeader(reply, name, value)
    sendReplyJSON(reply, status, body)
  }
}
Catch(AuthXError)(AuthXExceptionFilter)
