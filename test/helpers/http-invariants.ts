/**
 * The security suite's HTTP harness: a Fastify app guarded by AuthX on every route shape the
 * attacks need, with a counting store, handler-run counters and an "identity attached" probe, and
 * {@link expectRejected}, which asserts every invariant of a negative test at once:
 *
 * 1. the exact status and `error_type`, never a 5xx;
 * 2. the handler did not run and no identity is attached to the request;
 * 3. no store write;
 * 4. the body (and headers) hold no token, cookie value, key material or stack trace;
 * 5. the process keeps serving: a follow-up valid request succeeds.
 */
import assert from 'node:assert/strict'
import { randomBytes, randomUUID } from 'node:crypto'
import Fastify from 'fastify'
import type { FastifyInstance, FastifyReply, FastifyRequest, InjectOptions } from 'fastify'
import { AuthX } from '../../src/adapters/fastify.ts'
import type { FastifyGuard } from '../../src/adapters/fastify.ts'
import type { AuthXOptions } from '../../src/config/index.ts'
import { MemoryStore } from '../../src/stores/memory.ts'
import type { Store } from '../../src/stores/types.ts'
import type {
  AdapterDriver,
  BuildExtra,
  RouteSpec,
  TestApp,
  TestRequest,
  TestResponse,
} from '../adapters/driver.ts'
import { forgeToken } from './forge.ts'
import type { ForgeAlgorithm, ForgeKey, SegmentContent } from './forge.ts'

/** The fixed "now" of the suite, seconds since the epoch (the clock is injected, never mocked). */
export const NOW = 1_750_000_000

/** The HS256 secret of the default harness: 32 random bytes, hex (64 characters). */
export const SECRET = randomBytes(32).toString('hex')

/** Store methods that change state. */
const WRITES = new Set([
  'revoke',
  'revokeSubject',
  'useRefreshToken',
  'hit',
  'resetHits',
  'saveSession',
  'deleteSession',
  'deleteSessions',
])

/** A store that counts every call by method name. */
export interface CountingStore extends Store {
  /** Calls per method name. */
  readonly calls: Record<string, number>
  /** Total calls to methods that change state. */
  writes(): number
  /** Total calls of one method. */
  count(method: string): number
}

/**
 * Wraps a store so that every method call is counted, then forwarded.
 *
 * @param inner - the real store (a `MemoryStore` by default)
 */
export function countingStore(inner: Store = new MemoryStore({ clock: () => NOW })): CountingStore {
  const calls: Record<string, number> = Object.create(null) as Record<string, number>
  const extra = {
    calls,
    writes: () => Object.keys(calls).reduce((n, k) => n + (WRITES.has(k) ? (calls[k] ?? 0) : 0), 0),
    count: (method: string) => calls[method] ?? 0,
  }
  return new Proxy(inner, {
    get(target, property, receiver) {
      if (typeof property === 'string' && Object.hasOwn(extra, property))
        return extra[property as keyof typeof extra]
      const value: unknown = Reflect.get(target, property, receiver)
      if (typeof property !== 'string' || typeof value !== 'function') return value
      return (...args: unknown[]) => {
        calls[property] = (calls[property] ?? 0) + 1
        return (value as (...a: unknown[]) => unknown).apply(target, args)
      }
    },
  }) as CountingStore
}

/** The app under attack and its probes. */
export interface SecurityApp {
  readonly app: FastifyInstance
  readonly auth: AuthX
  readonly store: CountingStore
  /** Secrets that must never appear in a response (key material, configured secrets). */
  readonly secrets: string[]
  /** How many times any guarded handler ran. */
  handlerRuns(): number
  /** How many rejected requests (status >= 400) still carried an identity. */
  identitiesOnRejections(): number
  /** A valid access token for `sub` (signed by the app's own key). */
  validToken(sub?: string): string
  inject(options: InjectOptions): Promise<InjectResult>
  close(): Promise<void>
}

/** The parts of a response the suite reads. */
export interface InjectResult {
  status: number
  headers: Record<string, string | string[] | number | undefined>
  text: string
  json: Record<string, unknown> | undefined
  setCookies: string[]
}

/** Options of {@link buildSecurityApp}. */
export interface SecurityAppOptions {
  /** AuthX options; `secretKey` defaults to {@link SECRET}, `clock` to {@link NOW}. */
  auth?: AuthXOptions
  /** Pass a counting store as the `store` option (so revocation is always consulted). */
  explicitStore?: boolean
  /** Extra secrets to keep out of responses (PEMs, JWKs...). */
  secrets?: string[]
  /** Runs after construction, before routes (blocklists, subject getters). */
  setup?: (auth: AuthX) => void
  /** Register `handleErrors` (default true). */
  handleErrors?: boolean
}

function toResult(response: {
  statusCode: number
  headers: Record<string, string | string[] | number | undefined>
  body: string
}): InjectResult {
  let json: Record<string, unknown> | undefined
  try {
    const parsed: unknown = JSON.parse(response.body)
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
      json = parsed as Record<string, unknown>
  } catch {
    json = undefined
  }
  const raw = response.headers['set-cookie']
  const setCookies = raw === undefined ? [] : Array.isArray(raw) ? raw : [String(raw)]
  return {
    status: response.statusCode,
    headers: response.headers,
    text: response.body,
    json,
    setCookies,
  }
}

/**
 * Builds the app under attack. Routes (every one counts its handler runs):
 * `/protected` (access, every method), `/refresh` (refresh, GET/POST), `/fresh`, `/scoped/read`
 * (scope `read`), `/admin` (scope `admin:users`), `/any` (`admin` or `moderator`), `/proto`
 * (scope `constructor`), `/subject` (currentSubject), `/cookie-only` (access, cookies only),
 * `/login` (sets access and refresh cookies), `/logout` (deletes them).
 *
 * @param options - AuthX options and probes
 */
export async function buildSecurityApp(options: SecurityAppOptions = {}): Promise<SecurityApp> {
  const store = countingStore()
  const authOptions: AuthXOptions = {
    ...(options.auth?.privateKey === undefined && options.auth?.publicKey === undefined
      ? { secretKey: SECRET }
      : {}),
    clock: () => NOW,
    ...options.auth,
    ...(options.explicitStore === true ? { store } : {}),
  }
  const auth = new AuthX(authOptions)
  options.setup?.(auth)
  const app = Fastify({ logger: false })
  if (options.handleErrors !== false) auth.handleErrors(app)
  let runs = 0
  let leakedIdentities = 0
  const attached = (request: FastifyRequest): boolean => {
    try {
      auth.payload(request)
      return true
    } catch {
      return false
    }
  }
  app.addHook('onResponse', async (request, reply) => {
    if (reply.statusCode >= 400 && attached(request)) leakedIdentities++
  })
  const handler = (request: FastifyRequest) => {
    runs++
    const payload = auth.payload(request)
    return Promise.resolve({
      sub: payload.sub,
      type: payload.type ?? null,
      fresh: payload.fresh,
      scopes: payload.scopes ?? null,
      extra: Object.keys(payload.extra),
    })
  }
  const route = (methods: string[], url: string, guard: FastifyGuard): void => {
    for (const method of methods) app.route({ method, url, preHandler: guard, handler })
  }
  route(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], '/protected', auth.accessTokenRequired)
  route(['GET', 'POST'], '/refresh', auth.refreshTokenRequired)
  route(['GET', 'POST'], '/fresh', auth.freshTokenRequired)
  route(['GET'], '/scoped/read', auth.scopesRequired(['read']))
  route(['GET'], '/admin', auth.scopesRequired(['admin:users']))
  route(['GET'], '/any', auth.scopesRequired(['admin', 'moderator'], { all: false }))
  route(['GET'], '/proto', auth.scopesRequired(['constructor']))
  route(['GET', 'POST'], '/cookie-only', auth.tokenRequired({ locations: ['cookies'] }))
  app.get('/subject', { preHandler: auth.currentSubject }, (request) => {
    runs++
    return Promise.resolve({ subject: auth.subject(request) })
  })
  app.post('/login', async (_request, reply: FastifyReply) => {
    const pair = auth.createTokenPair('alice', { fresh: true })
    auth.setAccessCookies(pair.access_token, reply)
    auth.setRefreshCookies(pair.refresh_token, reply)
    return pair
  })
  app.post('/logout', async (_request, reply: FastifyReply) => {
    auth.unsetCookies(reply)
    return {}
  })
  await app.ready()
  const secrets = [SECRET, ...(options.secrets ?? [])]
  return {
    app,
    auth,
    store,
    secrets,
    handlerRuns: () => runs,
    identitiesOnRejections: () => leakedIdentities,
    validToken: (sub = 'alice') => auth.createAccessToken(sub),
    inject: async (injectOptions) => toResult(await app.inject(injectOptions)),
    close: () => app.close(),
  }
}

/** Substrings of a request long enough to be a token, cookie value or secret (>= 16 chars). */
function sensitiveParts(request: InjectOptions): string[] {
  const texts: string[] = []
  const push = (value: unknown): void => {
    if (typeof value === 'string') texts.push(value)
    else if (Array.isArray(value)) value.forEach(push)
    else if (typeof value === 'object' && value !== null) Object.values(value).forEach(push)
  }
  // Headers that carry no secret (and whose values the framework may echo, like a media type).
  const benign = new Set(['content-type', 'content-length', 'accept', 'host', 'user-agent'])
  for (const [name, value] of Object.entries(request.headers ?? {}))
    if (!benign.has(name.toLowerCase())) push(value)
  push(request.url)
  push(request.query)
  push(request.cookies)
  if (typeof request.payload === 'string') texts.push(request.payload)
  else push(request.payload)
  const parts = new Set<string>()
  for (const text of texts) {
    for (const part of text.split(/[\s,;=&?"':{}[\]]+/)) {
      let decoded = part
      try {
        decoded = decodeURIComponent(part)
      } catch {
        // keep the raw part
      }
      for (const p of [part, decoded]) if (p.length >= 16 && !p.startsWith('/')) parts.add(p)
    }
  }
  return [...parts]
}

/** What a stack trace or internal error looks like in a body. */
const STACK = /\n\s+at |\bat [\w.<>]+ \(|\.ts:\d+|\.js:\d+|node:internal|node_modules/

/**
 * Asserts that nothing sensitive reached the response: no secret, no token or cookie value from
 * the request, no stack trace, in the body or any header except `set-cookie`.
 *
 * @param result - the response
 * @param forbidden - strings that must not appear
 */
export function assertNoLeak(result: InjectResult, forbidden: readonly string[]): void {
  const headerText = Object.entries(result.headers)
    .filter(([name]) => name !== 'set-cookie')
    .map(([, value]) => String(value))
    .join('\n')
  for (const secret of forbidden) {
    assert.ok(!result.text.includes(secret), `response body leaks ${secret.slice(0, 24)}...`)
    assert.ok(!headerText.includes(secret), `response headers leak ${secret.slice(0, 24)}...`)
  }
  assert.doesNotMatch(result.text, STACK, 'response body holds a stack trace')
}

/** What a negative test expects. */
export interface Rejection {
  /** Exact HTTP status. */
  status: number
  /** Exact `error_type`, or null for a framework-level rejection (Fastify's own 400/415). */
  errorType: string | null
  /** The handler of this path must not run (default: no handler at all may run). */
  allowStoreWrites?: boolean
  /** Skip the follow-up valid request (for apps that cannot sign). */
  followUp?: boolean
}

/**
 * Sends an attack and asserts every invariant of a negative test.
 *
 * @param target - the app under attack
 * @param request - the attack
 * @param expected - exact status and error type
 * @returns the response, for extra assertions
 */
export async function expectRejected(
  target: SecurityApp,
  request: InjectOptions,
  expected: Rejection,
): Promise<InjectResult> {
  const runs = target.handlerRuns()
  const writes = target.store.writes()
  const identities = target.identitiesOnRejections()
  const result = await target.inject(request)
  // The 5xx of the contract: a store, or a remote key set with nothing usable cached, that cannot
  // answer fails closed with 503.
  const failClosed =
    expected.status === 503 &&
    (expected.errorType === 'StoreUnavailableError' ||
      expected.errorType === 'KeySetUnavailableError')
  assert.ok(result.status < 500 || failClosed, `5xx: ${result.status} ${result.text}`)
  assert.equal(result.status, expected.status, `status (body: ${result.text})`)
  if (expected.errorType !== null) {
    assert.ok(result.json !== undefined, 'an AuthX error body is JSON')
    assert.equal(result.json.error_type, expected.errorType, `error_type (body: ${result.text})`)
    assert.equal(typeof result.json.detail, 'string')
  }
  assert.equal(target.handlerRuns(), runs, 'the protected handler ran')
  assert.equal(target.identitiesOnRejections(), identities, 'an identity was attached')
  if (expected.allowStoreWrites !== true)
    assert.equal(target.store.writes(), writes, 'the store was written')
  assertNoLeak(result, [...target.secrets, ...sensitiveParts(request)])
  assert.equal(
    Object.getPrototypeOf({}),
    Object.prototype,
    'Object.prototype was replaced (prototype pollution)',
  )
  assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype polluted')
  if (expected.followUp !== false) await expectServing(target)
  return result
}

/**
 * Asserts the app still serves a valid request (the process survived the attack).
 *
 * @param target - the app
 */
export async function expectServing(target: SecurityApp): Promise<void> {
  const runs = target.handlerRuns()
  const ok = await target.inject({
    method: 'GET',
    url: '/protected',
    headers: { authorization: `Bearer ${target.validToken()}` },
  })
  assert.equal(ok.status, 200, `follow-up valid request failed: ${ok.text}`)
  assert.equal(target.handlerRuns(), runs + 1)
}

/**
 * Sends a request that must succeed and returns its JSON.
 *
 * @param target - the app
 * @param request - the request
 */
export async function expectAccepted(
  target: SecurityApp,
  request: InjectOptions,
): Promise<Record<string, unknown>> {
  const runs = target.handlerRuns()
  const result = await target.inject(request)
  assert.equal(result.status, 200, `expected 200, got ${result.status}: ${result.text}`)
  assert.equal(target.handlerRuns(), runs + 1)
  return result.json ?? {}
}

/** Claims of a well-formed access token at {@link NOW}; tests override or delete members. */
export function baseClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    sub: 'alice',
    jti: randomUUID(),
    type: 'access',
    fresh: false,
    csrf: '',
    iat: NOW,
    nbf: NOW,
    exp: NOW + 900,
    ...overrides,
  }
}

/** Options of {@link forgeClaims}. */
export interface ForgeClaimsOptions {
  /** Claims to drop from {@link baseClaims}. */
  omit?: string[]
  /** Header (default `{ alg: 'HS256', typ: 'JWT' }`). */
  header?: SegmentContent
  /** Signing key (default {@link SECRET}). */
  key?: ForgeKey
  /** Signing algorithm (default HS256). */
  alg?: ForgeAlgorithm
}

/**
 * Forges a correctly signed token (HS256 with {@link SECRET} by default) around chosen claims,
 * with `node:crypto` only: the claims are what the attack controls, the signature is valid.
 *
 * @param overrides - claims to set (or a raw payload string)
 * @param options - claims to omit, header, key, algorithm
 */
export function forgeClaims(
  overrides: Record<string, unknown> | string = {},
  options: ForgeClaimsOptions = {},
): string {
  let payload: SegmentContent
  if (typeof overrides === 'string') payload = overrides
  else {
    const claims = baseClaims(overrides)
    for (const name of options.omit ?? []) delete claims[name]
    payload = claims
  }
  return forgeToken({
    header: options.header ?? { alg: options.alg ?? 'HS256', typ: 'JWT' },
    payload,
    key: options.key ?? SECRET,
    alg: options.alg ?? 'HS256',
  })
}

/**
 * An `Authorization: Bearer` request for a token.
 *
 * @param token - the token
 * @param url - the path (default `/protected`)
 * @param method - the method (default GET)
 */
export function bearer(token: string, url = '/protected', method = 'GET'): InjectOptions {
  return {
    method,
    url,
    headers: { authorization: `Bearer ${token}` },
  }
}

// ------------------------------------------------------------------ every adapter

/** The same invariants over one adapter driver of the conformance suite. */
export interface DriverTarget {
  readonly name: string
  readonly app: TestApp
  readonly store: CountingStore
  readonly secrets: string[]
  /** A valid access token for `sub`. */
  validToken(sub?: string): string
  close(): Promise<void>
}

/** Paths every driver target serves (each counts its handler runs separately). */
export const DRIVER_PATHS = ['/protected', '/refresh', '/cookie-only', '/login', '/logout'] as const

/**
 * Builds an app with a driver: `/protected` (access, every method), `/refresh` (refresh, GET and
 * POST), `/cookie-only` (access from cookies only, GET and POST), `/login` (sets both cookies) and
 * `/logout` (deletes them). The store is a counting store passed as the `store` option.
 *
 * @param driver - the adapter driver
 * @param options - AuthX options over the suite's defaults
 * @param extra - driver knobs (forms, `+json`)
 */
export async function buildDriverTarget(
  driver: AdapterDriver,
  options: Partial<AuthXOptions> = {},
  extra: BuildExtra = {},
): Promise<DriverTarget> {
  const store = countingStore()
  const routes: RouteSpec[] = [
    ...(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const).map((method) => ({
      method,
      path: '/protected',
      guard: { kind: 'access' as const },
    })),
    ...(['GET', 'POST'] as const).map((method) => ({
      method,
      path: '/refresh',
      guard: { kind: 'refresh' as const },
    })),
    ...(['GET', 'POST'] as const).map((method) => ({
      method,
      path: '/cookie-only',
      guard: { kind: 'token' as const, options: { locations: ['cookies' as const] } },
    })),
    {
      method: 'POST',
      path: '/login',
      guard: { kind: 'none' },
      handler: { kind: 'issue', cookies: 'both', uid: 'alice', fresh: true },
    },
    { method: 'POST', path: '/logout', guard: { kind: 'none' }, handler: { kind: 'logout' } },
  ]
  const app = await driver.build(
    { secretKey: SECRET, clock: () => NOW, ...options, store },
    routes,
    extra,
  )
  return {
    name: driver.name,
    app,
    store,
    secrets: [SECRET],
    validToken: (sub = 'alice') => app.auth.createAccessToken(sub),
    close: () => app.close(),
  }
}

function totalRuns(app: TestApp): number {
  return DRIVER_PATHS.reduce((n, path) => n + app.handlerRuns(path), 0)
}

/**
 * Sends an attack through a driver and asserts the invariants: exact status and `error_type`,
 * never a 5xx, no handler ran, no store write, no leak, and a follow-up valid request succeeds.
 *
 * @param target - the driver target
 * @param request - the attack
 * @param expected - exact status and error type
 */
export async function expectDriverRejected(
  target: DriverTarget,
  request: TestRequest,
  expected: Rejection,
): Promise<TestResponse> {
  const runs = totalRuns(target.app)
  const writes = target.store.writes()
  const response = await target.app.request(request)
  const where = `[${target.name}] ${request.method} ${request.path}`
  assert.ok(response.status < 500, `${where}: 5xx ${response.status} ${response.text}`)
  assert.equal(response.status, expected.status, `${where}: status (body: ${response.text})`)
  if (expected.errorType !== null) {
    const body = response.body as Record<string, unknown> | undefined
    assert.equal(body?.error_type, expected.errorType, `${where}: error_type (${response.text})`)
  }
  assert.equal(totalRuns(target.app), runs, `${where}: a handler ran`)
  if (expected.allowStoreWrites !== true)
    assert.equal(target.store.writes(), writes, `${where}: the store was written`)
  assertNoLeak(
    {
      status: response.status,
      headers: response.headers,
      text: response.text,
      json: undefined,
      setCookies: response.setCookies,
    },
    [
      ...target.secrets,
      ...sensitiveParts({
        headers: request.headers ?? {},
        url: request.path,
        payload: request.body,
      } as InjectOptions),
    ],
  )
  if (expected.followUp !== false) await expectDriverServing(target)
  return response
}

/**
 * Asserts a driver target still serves a valid request, with a token in the first configured
 * location that works on a GET.
 *
 * @param target - the driver target
 */
export async function expectDriverServing(target: DriverTarget): Promise<void> {
  const token = target.validToken()
  const locations = target.app.auth.config.tokenLocation
  const request: TestRequest = locations.includes('headers')
    ? { method: 'GET', path: '/protected', headers: { authorization: `Bearer ${token}` } }
    : locations.includes('cookies')
      ? { method: 'GET', path: '/protected', headers: { cookie: `access_token_cookie=${token}` } }
      : { method: 'GET', path: `/protected?token=${token}` }
  const runs = target.app.handlerRuns('/protected')
  const ok = await target.app.request(request)
  assert.equal(ok.status, 200, `[${target.name}] follow-up valid request failed: ${ok.text}`)
  assert.equal(target.app.handlerRuns('/protected'), runs + 1)
}

/**
 * Sends a request through a driver that must reach the handler.
 *
 * @param target - the driver target
 * @param request - the request
 */
export async function expectDriverAccepted(
  target: DriverTarget,
  request: TestRequest,
): Promise<TestResponse> {
  const path = request.path.split('?')[0] ?? request.path
  const runs = target.app.handlerRuns(path)
  const response = await target.app.request(request)
  assert.equal(response.status, 200, `[${target.name}] expected 200: ${response.text}`)
  assert.equal(target.app.handlerRuns(path), runs + 1)
  return response
}
