/**
 * `authx-ts/fastify`: the `AuthX` class bound to Fastify 5. Guards are `preHandler` hooks; they
 * answer with the JSON error contract themselves, so routes are safe even without `handleErrors`.
 *
 * @example The seed's quickstart
 * ```ts
 * import Fastify from 'fastify'
 * import { AuthX } from 'authx-ts/fastify'
 * const app = Fastify()
 * const auth = new AuthX({ secretKey: process.env.JWT_SECRET_KEY })
 * auth.handleErrors(app)
 * app.get('/protected', { preHandler: auth.accessTokenRequired }, async () => ({ message: 'hi' }))
 * ```
 *
 * @packageDocumentation
 */
import type {
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  FastifySchema,
  HookHandlerDoneFunction,
} from 'fastify'
import type { AuthXOptions } from '../config/index.ts'
import { isAuthXError } from '../errors.ts'
import type { SecurityRequirement } from '../features/openapi.ts'
import { isFormContentType, parseCookieHeader, requestTargetPath } from '../request/view.ts'
import type { CustomClaims, TokenPayload } from '../token/payload.ts'
import type { RequestView } from '../types.ts'
import { BoundAuthX } from './shared/bound.ts'
import { PASS } from './shared/kit.ts'
import type { AdapterKit, HeadDecision } from './shared/kit.ts'

// The core's public names, so one import serves an application (`AuthX` is this binding's own).
export * from './shared/core-names.ts'
export type { ScopesGuardOptions } from './shared/bound.ts'

/**
 * A Fastify hook guard, for `preHandler` or `onRequest`. It either calls `done` (or answers the
 * request) synchronously, or returns a promise and leaves `done` alone, as Fastify's hooks allow.
 */
export type FastifyGuard = (
  request: FastifyRequest,
  reply: FastifyReply,
  done: HookHandlerDoneFunction,
) => Promise<void> | undefined

const PAYLOAD = Symbol('authx.payload')
const REFRESHED = Symbol('authx.refreshed')
const APPLIED = Symbol('authx.refreshApplied')
const SUBJECT = Symbol('authx.subject')

interface AuthXRequest {
  [PAYLOAD]?: TokenPayload
  [REFRESHED]?: HeadDecision | null
  /** The refresh cookies an earlier run of the `onSend` hook added (Fastify reruns it on error). */
  [APPLIED]?: readonly string[]
  [SUBJECT]?: unknown
}

/** How find-my-way folds paths before matching, from the options the app was created with. */
interface RouterFolding {
  readonly caseSensitive: boolean
  readonly ignoreTrailingSlash: boolean
  readonly ignoreDuplicateSlashes: boolean
  readonly useSemicolonDelimiter: boolean
}

const foldings = new WeakMap<object, RouterFolding>()

/**
 * The router options of the app, read once per app. Fastify takes each from `routerOptions`
 * first, then from the deprecated top-level option, then its default, and so does this.
 */
function routerFolding(request: FastifyRequest): RouterFolding {
  const config = request.server.initialConfig as Readonly<Record<string, unknown>>
  let folding = foldings.get(config)
  if (folding === undefined) {
    const nested = config.routerOptions as Readonly<Record<string, unknown>> | undefined
    const flag = (name: string, fallback: boolean): boolean => {
      const value = nested?.[name] ?? config[name]
      return typeof value === 'boolean' ? value : fallback
    }
    folding = {
      caseSensitive: flag('caseSensitive', true),
      ignoreTrailingSlash: flag('ignoreTrailingSlash', false),
      ignoreDuplicateSlashes: flag('ignoreDuplicateSlashes', false),
      useSemicolonDelimiter: flag('useSemicolonDelimiter', false),
    }
    foldings.set(config, folding)
  }
  return folding
}

/**
 * The path find-my-way matched. `request.url` is the raw request target, with a fragment, the
 * absolute form and escapes as sent: `/login#x`, `http://host/login` and `/l%6Fgin` all reach the
 * `/login` route, so all three must read `/login` here.
 */
function routerPath(request: FastifyRequest): string {
  const folding = routerFolding(request)
  let path = requestTargetPath(request.url, folding.useSemicolonDelimiter)
  if (folding.ignoreDuplicateSlashes) path = path.replace(/\/{2,}/g, '/')
  if (folding.ignoreTrailingSlash && path.length > 1 && path.endsWith('/')) path = path.slice(0, -1)
  return folding.caseSensitive ? path : path.toLowerCase()
}

/** The core's view of a Fastify request: Fastify has already parsed query and body. */
class FastifyRequestView implements RequestView {
  readonly method: string
  readonly #request: FastifyRequest
  #path: string | undefined
  #cookies: Record<string, string | undefined> | undefined

  constructor(request: FastifyRequest) {
    this.#request = request
    this.method = request.method.toUpperCase()
  }

  get ip(): string {
    return this.#request.ip
  }

  get path(): string {
    this.#path ??= routerPath(this.#request)
    return this.#path
  }

  get route(): string | undefined {
    // Undefined on the 404 handler, which matched no route.
    return this.#request.routeOptions.url
  }

  header(name: string): string | undefined {
    const value = this.#request.headers[name]
    return Array.isArray(value) ? value.join(', ') : value
  }

  cookie(name: string): string | undefined {
    // Use @fastify/cookie's parse when the app registered it; parse the header ourselves if not.
    const parsed = (this.#request as { cookies?: Record<string, string | undefined> }).cookies
    this.#cookies ??= parsed ?? parseCookieHeader(this.header('cookie'))
    // Another cookie plugin may hand over a plain object: only an own string is a cookie.
    const value = Object.hasOwn(this.#cookies, name) ? this.#cookies[name] : undefined
    return typeof value === 'string' ? value : undefined
  }

  query(name: string): string | string[] | undefined {
    const query = this.#request.query as Record<string, unknown> | undefined
    if (query === undefined || query === null || !Object.hasOwn(query, name)) return undefined
    const value = query[name]
    return typeof value === 'string' || Array.isArray(value)
      ? (value as string | string[])
      : undefined
  }

  json(): unknown {
    return this.#request.body
  }

  form(): unknown {
    // Only a form body is a form: a JSON body's `csrf_token` must not stand in for the header.
    return isFormContentType(this.header('content-type')) ? this.#request.body : undefined
  }
}

/** A route option that holds one hook or several, as a fresh list. */
function hookList<Hook>(hooks: Hook | readonly Hook[] | undefined): Hook[] {
  if (hooks === undefined) return []
  return Array.isArray(hooks) ? [...(hooks as readonly Hook[])] : [hooks as Hook]
}

/** The Set-Cookie values a reply carries so far, as a list. */
function setCookiesOf(reply: FastifyReply): string[] {
  const value = reply.getHeader('set-cookie')
  if (value === undefined) return []
  return Array.isArray(value) ? value.map(String) : [String(value)]
}

/**
 * The second half of implicit refresh, as an `onSend` hook: asks the pending decision whether its
 * cookies may go out with this reply (its status, the Set-Cookie values the reply already carries)
 * and appends them if so. Fastify runs `onSend` again when it replaces the reply with an error, so
 * cookies an earlier run added are taken out first and the decision is made again.
 */
async function confirmRefresh(
  request: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
): Promise<unknown> {
  const target = request as AuthXRequest
  const decide = target[REFRESHED]
  if (decide == null) return payload
  const applied = target[APPLIED]
  let current = setCookiesOf(reply)
  if (applied !== undefined && applied.length > 0) {
    current = current.filter((header) => !applied.includes(header))
    void reply.removeHeader('set-cookie')
    for (const header of current) void reply.header('set-cookie', header)
  }
  const cookies = await decide(reply.statusCode, current)
  target[APPLIED] = cookies.map((cookie) => cookie.header)
  for (const cookie of cookies) kit.appendCookie(reply, cookie.header)
  return payload
}

/** Fastify's types, for the kit. */
interface FastifyFramework {
  Request: FastifyRequest
  Reply: FastifyReply
  Guard: FastifyGuard
  App: FastifyInstance
  Answer: FastifyReply
  Body: undefined
}

/** Fastify's primitives. It parses bodies itself: no body reader. */
const kit: AdapterKit<FastifyFramework> = {
  requestName: 'request',
  // Fastify's request wraps Node's as `raw` and knows its `server`; a view or a Fetch Request has neither.
  isRequest: (value) => 'raw' in value && 'server' in value,
  view: (request) => new FastifyRequestView(request),
  attach(request, payload) {
    ;(request as AuthXRequest)[PAYLOAD] = payload
  },
  attachSubject(request, subject) {
    ;(request as AuthXRequest)[SUBJECT] = subject
  },
  payloadOf: (request) => (request as AuthXRequest)[PAYLOAD],
  subjectOf: (request) => (request as AuthXRequest)[SUBJECT],
  send: (reply, { status, headers, body }) => reply.code(status).headers(headers).send(body),
  appendCookie(reply, header) {
    // Fastify appends repeated set-cookie headers instead of replacing them.
    void reply.header('set-cookie', header)
  },
  beforeHeaders(app, prepare) {
    const before = async (request: FastifyRequest): Promise<void> => {
      ;(request as AuthXRequest)[REFRESHED] = await prepare(request)
    }
    // Route hooks run after every application-level hook of their kind, so the reply `onSend`
    // judges already holds the cookies of `@fastify/cookie` wherever that plugin was registered.
    app.addHook('onRoute', (route) => {
      route.onRequest = [...hookList(route.onRequest), before]
      route.onSend = [...hookList(route.onSend), confirmRefresh]
    })
  },
  // A hook either calls `done` (the callback style, no promise and no extra tick) or returns a
  // promise and leaves `done` alone; a refusal sent synchronously does neither, so the handler
  // never runs.
  toGuard: (step) => (request, reply, done) => {
    const verdict = step(request, reply)
    if (verdict === PASS) done()
    else if (verdict instanceof Promise) return verdict as Promise<unknown> as Promise<void>
    return undefined
  },
}

/**
 * `AuthX` for Fastify: the core class plus guards, error handling and cookie helpers.
 *
 * @example Guards, scopes and the payload
 * ```ts
 * app.get('/me', { preHandler: auth.accessTokenRequired }, async (request) => ({ user: auth.payload(request).sub }))
 * app.get('/admin', { preHandler: auth.scopesRequired(['admin:*']) }, async () => 'ok')
 * ```
 */
export class AuthX<Claims extends CustomClaims = CustomClaims> extends BoundAuthX<
  FastifyFramework,
  Claims
> {
  /**
   * Guards a `@fastify/websocket` route: the token comes from the query parameter, then the
   * header; a failure answers 401 before the upgrade.
   */
  readonly webSocketRequired: FastifyGuard

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
  readonly jwksHandler = (request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const answer = this.jwksReply(request.headers['if-none-match'])
    // Bytes, not a string: Fastify appends `; charset=utf-8` to a string's JSON media type, and
    // the JWK Set media type is sent exactly, as the other bindings send it.
    return reply
      .code(answer.status)
      .headers(answer.headers)
      .send(answer.body === null ? undefined : Buffer.from(answer.body, 'utf8'))
  }

  /**
   * @param options - see `AuthXOptions`
   * @throws BadConfigurationError naming the option and the fix
   */
  constructor(options: AuthXOptions) {
    super(options, kit)
    this.webSocketRequired = this.webSocketGuard()
  }

  /**
   * Renders AuthX errors thrown in handlers as the JSON contract; other errors go to the
   * previous error handler untouched.
   *
   * @param app - the Fastify instance
   */
  handleErrors(app: FastifyInstance): void {
    const previous = app.errorHandler
    app.setErrorHandler((error: FastifyError, request, reply) => {
      if (!isAuthXError(error)) return previous.call(app, error, request, reply)
      return kit.send(reply, this.renderError(error))
    })
  }

  /**
   * Declares the OpenAPI security of every route guarded by this instance's ready-made guards,
   * for `@fastify/swagger`. Call it before declaring routes, and pass
   * `auth.openapiComponents()` as `openapi.components.securitySchemes` to the swagger plugin.
   *
   * @param app - the Fastify instance
   */
  openapi(app: FastifyInstance): void {
    app.addHook('onRoute', (route) => {
      const hooks = [route.onRequest, route.preValidation, route.preHandler].flat()
      const options = hooks
        .map((hook) => (hook === undefined ? undefined : this.guardOptions.get(hook)))
        .find((o) => o !== undefined)
      if (options === undefined) return
      // `security` is read by @fastify/swagger, whose types add it to FastifySchema only where the
      // plugin is imported; typed here so the library builds without it.
      const schema: FastifySchema & { security?: SecurityRequirement[] } = {
        ...route.schema,
        security: this.guardSecurity(options),
      }
      route.schema = schema
    })
  }
}
