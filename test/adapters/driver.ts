/**
 * The conformance driver interface. One suite (the `*.test.ts` files next to this one) describes
 * routes and requests in framework-neutral terms; each adapter has a driver that turns them into
 * a real app of its framework and sends the requests through that framework's own machinery.
 * Every case runs against every driver listed in `drivers/index.ts`, so an adapter either passes
 * a case or has a defect: no case may be skipped for one adapter.
 */
import type { AuthX as CoreAuthX, AuthXOptions, GuardOptions } from '../../src/index.ts'

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
}

/** Builds apps of one framework from route specs. */
export interface AdapterDriver {
  name: 'fastify' | 'express' | 'hono' | 'fetch'
  build(options: AuthXOptions, routes: RouteSpec[], extra?: BuildExtra): Promise<TestApp>
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
  return (
    route.handler ?? (route.guard.kind === 'subject' ? { kind: 'subject' } : { kind: 'payload' })
  )
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
  tokenRequired(options: GuardOptions): G
  scopesRequired(scopes: readonly string[], options?: { all?: boolean }): G
  rateLimited(options: { max: number; window: number }): G
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
  }
}
