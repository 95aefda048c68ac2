/**
 * The conformance driver interface. One suite (the `*.test.ts` files next to this one) describes
 * routes and requests in framework-neutral terms; each adapter has a driver that turns them into
 * a real app of its framework and sends the requests through that framework's own machinery.
 * Every case runs against every driver listed in `drivers/index.ts`, so an adapter either passes
 * a case or has a defect: no case may be skipped for one adapter.
 */
import type {
  AuthX as CoreAuthX,
  AuthXOptions,
  GuardOptions,
  TokenLocation,
} from '../../src/index.ts'

/** What protects a route. */
export type GuardSpec =
  /** `auth.accessTokenRequired` */
  | { kind: 'access' }
  /** `auth.refreshTokenRequired` */
  | { kind: 'refresh' }
  /** `auth.freshTokenRequired` */
  | { kind: 'fresh' }
  /** `auth.currentSubject` (access token, then the subject getter) */
  | { kind: 'subject' }
  /** no guard at all */
  | { kind: 'none' }
  /** `auth.tokenRequired(options)` */
  | { kind: 'token'; options: GuardOptions }
  /** `auth.scopesRequired(scopes, { all })` */
  | { kind: 'scopes'; scopes: string[]; all?: boolean }
  /**
   * `auth.rateLimited({ max, window })` with the default key; on the Fetch integration,
   * `auth.enforceRateLimit(request, auth.rateLimit(...))` before the handler.
   */
  | { kind: 'rate'; max: number; window: number }
  /** `auth.webSocketRequired`, on the bindings whose WebSocket protection is a route guard */
  | { kind: 'websocket' }
  /**
   * Optional authentication: `auth.tokenOptional` without `options`, else
   * `auth.tokenRequired({ ...options, optional: true })`; on the Fetch integration
   * `withAuth(auth, { ...options, optional: true }, handler)`. A request without a token reaches
   * the handler with no payload; a present but bad token is refused like on any guard. Its
   * default handler is `optional-payload`. Every binding's guard factory supports it: a new
   * driver gets it from {@link guardOf}, or maps it to its own optional guard.
   */
  | { kind: 'optional'; options?: GuardOptions }

/** What the route's handler does once the guard let the request through. */
export type HandlerSpec =
  /**
   * 200 `{ sub, type, fresh, scopes, extra, location? }` from `auth.payload(req)`; `scopes` is
   * `null` when the token has no `scopes` claim.
   */
  | { kind: 'payload' }
  /** 200 `{ subject }` from `auth.subject(req)` */
  | { kind: 'subject' }
  /**
   * Creates a token pair for `uid` (default `"user1"`), sets the chosen cookies with
   * `auth.setAccessCookies` / `auth.setRefreshCookies` (with `maxAge` when given) and answers
   * 200 `{ access_token, refresh_token }`.
   */
  | {
      kind: 'issue'
      cookies: 'access' | 'refresh' | 'both' | 'none'
      uid?: string
      fresh?: boolean
      maxAge?: number
    }
  /** `auth.unsetCookies(reply | res | c)`, 200 `{}` */
  | { kind: 'logout' }
  /** `auth.unsetAccessCookies(...)`, 200 `{}` */
  | { kind: 'logout-access' }
  /**
   * 200 `{ token: RequestToken | null }` from
   * `auth.getTokenFromRequest(<the framework request>, { type, optional: true })`.
   */
  | { kind: 'read'; type: 'access' | 'refresh' }
  /** 200 `{ body }`: the parsed request body as the handler sees it (the guard must not eat it). */
  | { kind: 'echo' }
  /** The handler throws `error()` (AuthX errors with and without `handleErrors`, pass-through). */
  | { kind: 'throw'; error: () => Error }
  /** Answers `status` with the JSON `body`, touching nothing of AuthX (implicit refresh). */
  | { kind: 'json'; status: number; body: object }
  /**
   * 200 `{ payload }`: `payloadBody(...)` of `auth.optionalPayload(req)` (the `context.payload`
   * of an optional `withAuth` on Fetch), or `null` when the request came without a token.
   */
  | { kind: 'optional-payload' }
  /**
   * 200 with the new pair of
   * `auth.refresh(await auth.getRefreshTokenFromRequest(<the framework's own request>, locations))`,
   * the seed's refresh route written without a guard: the framework's request is passed as it
   * is (no `auth.view(...)`), and AuthX errors go through `handleErrors`.
   */
  | { kind: 'refresh'; locations?: TokenLocation[] }

/** One route of the app under test. */
export interface RouteSpec {
  /**
   * HEAD is not listed: every framework answers HEAD with the GET route, which is what is tested.
   * `PURGE` and `PROPFIND` are methods no CSRF allowlist foresaw (Fastify declares them with
   * `addHttpMethod`); `ALL` is the framework's catch-all (`app.all`), which also takes methods
   * the framework does not upper-case (Hono and Fetch pass a lower-case `patch` through).
   */
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS' | 'PURGE' | 'PROPFIND' | 'ALL'
  /** A path, or a pattern with `:name` parameters (`/users/:id`). */
  path: string
  guard: GuardSpec
  /** @defaultValue `{ kind: 'payload' }` (or `{ kind: 'subject' }` for a `subject` guard) */
  handler?: HandlerSpec
}

/** A request to send. */
export interface TestRequest {
  method: string
  /** Path with query string, e.g. `/q?token=abc`. */
  path: string
  headers?: Record<string, string>
  /**
   * A string is sent as is (set `content-type` yourself); an object is sent as JSON with
   * `content-type: application/json` unless the headers say otherwise.
   */
  body?: string | object
}

/** A response as the client saw it. */
export interface TestResponse {
  status: number
  /** Lower-case header names; `set-cookie` is left out (see `setCookies`). */
  headers: Record<string, string>
  /** Every Set-Cookie header value, in order. */
  setCookies: string[]
  /** The body parsed as JSON, or `undefined` when it is not JSON. */
  body: unknown
  /** The raw body text. */
  text: string
}

/** A running app built by a driver. */
export interface TestApp {
  /** The framework-bound AuthX instance of the app (its core members are all the suite uses). */
  auth: CoreAuthX
  request(req: TestRequest): Promise<TestResponse>
  /** How many times the handler of `path` (the route's path or pattern, no query) ran. */
  handlerRuns(path: string): number
  close(): Promise<void>
}

/** Extra knobs of {@link AdapterDriver.build}. */
export interface BuildExtra {
  /** Call `auth.handleErrors(app)` (Fastify/Express/Hono) where the framework expects it (Express: after the routes). */
  handleErrors?: boolean
  /** Runs on the instance before routes are registered (blocklist, subject getter...). */
  setup?: (auth: CoreAuthX) => void
  /**
   * The app parses `application/x-www-form-urlencoded` bodies (needed by `csrfCheckForm`): on
   * Fastify a small content-type parser, on Express `express.urlencoded()`; Hono and Fetch read
   * forms themselves.
   */
  parseForms?: boolean
  /**
   * The app parses `application/*+json` bodies as JSON (the core reads them; the framework must
   * hand them over): on Fastify a content-type parser for `+json`, on Express
   * `express.json({ type: ['application/json', 'application/*+json'] })`; Hono and Fetch read them.
   */
  parseJSONSuffix?: boolean
  /**
   * Calls `auth.implicitRefresh(app)` before the routes; a driver whose {@link
   * AdapterDriver.implicitRefresh} is {@link Missing} rejects.
   */
  implicitRefresh?: boolean
}

/**
 * A feature a binding does not have, said explicitly: the feature suites assert the reason and
 * that the binding really has none of the members that would provide it, instead of skipping.
 */
export interface Missing {
  /** Why the framework or runtime has no such integration, and what to do instead. */
  readonly missing: string
  /** Members (exports of the entry, members of its AuthX) that would provide it: none may exist. */
  readonly absent: readonly string[]
}

/** A WebSocket server of one binding, serving `/ws` and `/plain` on 127.0.0.1. */
export interface WebSocketApp {
  /** The framework-bound AuthX instance (its core members are all the suite uses). */
  auth: CoreAuthX
  /** `ws://127.0.0.1:<port>` */
  base: string
  /** How many times the WebSocket handler of `/ws` ran (a refused upgrade must never reach it). */
  handlerRuns(): number
  /**
   * The framework's own answer to an upgrade request of `path`, sent in process, for bindings
   * whose server writes only the status line of a refusal on the socket (@hono/node-ws).
   */
  inProcess?: (path: string) => Promise<TestResponse>
  close(): Promise<void>
}

/** The WebSocket capability of a driver. */
export interface WebSocketDriver {
  /**
   * Serves `/ws`, protected by the binding's WebSocket guard or upgrade helper and answering
   * `hello <sub>` once open, and `GET /plain` answering `ok`, on the same server.
   */
  serve(options: AuthXOptions): Promise<WebSocketApp>
  /** A refused upgrade reaches a `ws` client with the JSON contract and `WWW-Authenticate`. */
  refusalBody: boolean
}

/** One route of an OpenAPI case. */
export interface OpenAPIRoute {
  method: 'GET' | 'POST'
  path: string
  guard: GuardSpec
  /** A middleware that is not AuthX's runs before the guard: it must add no security. */
  audit?: boolean
}

/** The parts of an OpenAPI document the suite checks. */
export interface OpenAPIDocument {
  securitySchemes: unknown
  paths: Record<string, Record<string, { security?: unknown }>>
}

/** A framework-bound AuthX as the OpenAPI suite uses it. */
export interface OpenAPIBinding extends GuardMaker<unknown> {
  openapiComponents(): unknown
  openapiSecurityOf(handler: unknown): unknown
}

/** The OpenAPI capability of a driver. */
export interface OpenAPIDriver {
  /**
   * Builds an app with the routes and returns the document its integration produces:
   * `@fastify/swagger` with `auth.openapi(app)` on Fastify, `auth.openapi(app)` elsewhere.
   */
  document(options: AuthXOptions, routes: OpenAPIRoute[]): Promise<OpenAPIDocument>
  /** A new binding instance. */
  binding(options: AuthXOptions): OpenAPIBinding
  /** The binding's WebSocket protection is a route guard, described like the others. */
  webSocketGuard: boolean
}

/** Builds apps of one framework from route specs. */
export interface AdapterDriver {
  name: 'fastify' | 'express' | 'hono' | 'fetch' | 'koa' | 'nestjs-express' | 'nestjs-fastify'
  build(options: AuthXOptions, routes: RouteSpec[], extra?: BuildExtra): Promise<TestApp>
  /** The names the binding offers: its entry's exports and its AuthX instance's members. */
  surface(): Promise<ReadonlySet<string>>
  /** `auth.implicitRefresh(app)` through `build(..., { implicitRefresh: true })`. */
  implicitRefresh: true | Missing
  /** WebSocket authentication. */
  webSocket: WebSocketDriver | Missing
  /** OpenAPI security of the guarded routes. */
  openapi: OpenAPIDriver | Missing
}

/**
 * Whether a capability is one the driver says its binding lacks.
 *
 * @param capability - a driver capability
 */
export function isMissing(capability: unknown): capability is Missing {
  return typeof capability === 'object' && capability !== null && 'missing' in capability
}

/**
 * The names a binding offers: its entry module's exports and every member of an instance, up
 * the prototype chain.
 *
 * @param entry - the binding's entry module
 * @param instance - an AuthX of the binding
 */
export function surfaceOf(entry: object, instance: object): ReadonlySet<string> {
  const names = new Set(Object.keys(entry))
  for (let o: object | null = instance; o !== null; o = Object.getPrototypeOf(o) as object | null)
    for (const name of Object.getOwnPropertyNames(o)) names.add(name)
  return names
}

/**
 * Parses a response body the way every driver reports it.
 *
 * @param text - the raw body
 */
export function parseBody(text: string): unknown {
  if (text === '') return undefined
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}

/**
 * The handler a route runs when its spec names none.
 *
 * @param route - the route spec
 */
export function handlerOf(route: RouteSpec): HandlerSpec {
  if (route.handler !== undefined) return route.handler
  if (route.guard.kind === 'subject') return { kind: 'subject' }
  return route.guard.kind === 'optional' ? { kind: 'optional-payload' } : { kind: 'payload' }
}

/**
 * The JSON body of a `payload` handler, shared by every driver so they answer identically.
 *
 * @param payload - the verified payload
 */
export function payloadBody(payload: {
  sub: string
  type: string | undefined
  fresh: boolean
  scopes: string[] | undefined
  extra: object
}): Record<string, unknown> {
  return {
    sub: payload.sub,
    type: payload.type ?? null,
    fresh: payload.fresh,
    scopes: payload.scopes ?? null,
    extra: { ...payload.extra },
  }
}

/** The guard members every framework binding has, whatever its guard type `G`. */
export interface GuardMaker<G> {
  readonly accessTokenRequired: G
  readonly refreshTokenRequired: G
  readonly freshTokenRequired: G
  readonly currentSubject: G
  readonly tokenOptional: G
  tokenRequired(options: GuardOptions & { optional?: boolean }): G
  scopesRequired(scopes: readonly string[], options?: { all?: boolean }): G
  rateLimited(options: { max: number; window: number }): G
  readonly webSocketRequired?: G
}

/**
 * The binding's guard a spec names, or undefined for an unguarded route.
 *
 * @param auth - a framework-bound AuthX
 * @param spec - the route's guard spec
 */
export function guardOf<G>(auth: GuardMaker<G>, spec: GuardSpec): G | undefined {
  switch (spec.kind) {
    case 'access':
      return auth.accessTokenRequired
    case 'refresh':
      return auth.refreshTokenRequired
    case 'fresh':
      return auth.freshTokenRequired
    case 'subject':
      return auth.currentSubject
    case 'none':
      return undefined
    case 'token':
      return auth.tokenRequired(spec.options)
    case 'scopes':
      return auth.scopesRequired(spec.scopes, spec.all === undefined ? {} : { all: spec.all })
    case 'rate':
      return auth.rateLimited({ max: spec.max, window: spec.window })
    case 'websocket':
      if (auth.webSocketRequired === undefined)
        throw new TypeError('this binding has no WebSocket guard')
      return auth.webSocketRequired
    case 'optional':
      return spec.options === undefined
        ? auth.tokenOptional
        : auth.tokenRequired({ ...spec.options, optional: true })
  }
}

/**
 * The members a handler spec uses of a framework binding, for its request type `Req` and its
 * reply type `Res` (the Express `req`/`res`, the Fastify `request`/`reply`, Koa's `ctx` for both).
 */
export interface HandlerMaker<Req, Res> {
  payload(request: Req): PayloadLike
  optionalPayload(request: Req): PayloadLike | null
  subject(request: Req): unknown
  createTokenPair(
    uid: string,
    options: { fresh: boolean },
  ): { access_token: string; refresh_token: string }
  setAccessCookies(token: string, reply: Res, maxAge?: number): void
  setRefreshCookies(token: string, reply: Res, maxAge?: number): void
  unsetCookies(reply: Res): void
  unsetAccessCookies(reply: Res): void
  getTokenFromRequest(
    request: Req,
    options: { type: 'access' | 'refresh'; optional: true },
  ): Promise<unknown>
  getRefreshTokenFromRequest(
    request: Req,
    locations?: readonly TokenLocation[],
  ): Promise<Parameters<CoreAuthX['refresh']>[0]>
  refresh(token: Parameters<CoreAuthX['refresh']>[0]): Promise<unknown>
}

/** The payload members {@link payloadBody} reads. */
type PayloadLike = Parameters<typeof payloadBody>[0]

/** One request as a handler spec sees it: the framework's objects, and how to set a status. */
export interface HandlerCall<Req, Res> {
  readonly request: Req
  readonly reply: Res
  /** The request body a parser (or the guard) left, if any. */
  readonly body: unknown
  /** Sets the response status, for the `json` spec. */
  status(code: number): void
}

/**
 * Runs a route's handler spec on a binding whose handler returns the JSON body to send (every
 * Node binding; Hono and Fetch answer a `Response` of their own).
 *
 * @param auth - a framework-bound AuthX
 * @param spec - what the handler does
 * @param call - the request and reply of this call
 * @returns the body to answer with
 */
export async function runHandlerSpec<Req, Res>(
  auth: HandlerMaker<Req, Res>,
  spec: HandlerSpec,
  call: HandlerCall<Req, Res>,
): Promise<unknown> {
  const { request, reply } = call
  switch (spec.kind) {
    case 'payload':
      return payloadBody(auth.payload(request))
    case 'subject':
      return { subject: auth.subject(request) ?? null }
    case 'issue': {
      const pair = auth.createTokenPair(spec.uid ?? 'user1', { fresh: spec.fresh ?? false })
      if (spec.cookies === 'access' || spec.cookies === 'both')
        auth.setAccessCookies(pair.access_token, reply, spec.maxAge)
      if (spec.cookies === 'refresh' || spec.cookies === 'both')
        auth.setRefreshCookies(pair.refresh_token, reply, spec.maxAge)
      return { access_token: pair.access_token, refresh_token: pair.refresh_token }
    }
    case 'logout':
      auth.unsetCookies(reply)
      return {}
    case 'logout-access':
      auth.unsetAccessCookies(reply)
      return {}
    case 'read':
      // The framework's own request: the adapter reads a JSON body no parser read.
      return { token: await auth.getTokenFromRequest(request, { type: spec.type, optional: true }) }
    case 'echo':
      return { body: call.body ?? null }
    case 'throw':
      throw spec.error()
    case 'json':
      call.status(spec.status)
      return spec.body
    case 'optional-payload': {
      const payload = auth.optionalPayload(request)
      return { payload: payload === null ? null : payloadBody(payload) }
    }
    case 'refresh':
      return auth.refresh(await auth.getRefreshTokenFromRequest(request, spec.locations))
  }
}
