/**
 * Helpers shared by the conformance suite: request builders, the error-contract assertion and a
 * Set-Cookie parser. Nothing here knows which framework is under test.
 */
import assert from 'node:assert/strict'
import type { AuthXOptions } from '../../src/index.ts'
import type { TestApp, TestRequest, TestResponse } from './driver.ts'

/** A 32-byte HS256 secret (the minimum the config accepts). */
export const SECRET = 'conformance-suite-secret-32-bytes!'

/** Another valid secret, for tokens the app must not trust. */
export const OTHER_SECRET = 'a-different-secret-of-32-bytes!!!'

/** A fixed clock (seconds) so expiry cases never depend on the wall clock. */
export const NOW = 1_800_000_000

/** The options every case starts from: HS256, a fixed clock. */
export function baseOptions(extra: Partial<AuthXOptions> = {}): AuthXOptions {
  return { secretKey: SECRET, clock: () => NOW, ...extra }
}

/** `Authorization: Bearer <token>`. */
export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` }
}

/** A `Cookie` header from name/value pairs. */
export function cookies(values: Record<string, string>): Record<string, string> {
  return {
    cookie: Object.entries(values)
      .map(([name, value]) => `${name}=${value}`)
      .join('; '),
  }
}

/**
 * The claims of a compact JWS, read without verification (the suite checks what the app sent).
 *
 * @param token - a compact JWS
 */
export function claimsOf(token: string): Record<string, unknown> {
  const segment = token.split('.')[1] ?? ''
  return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as Record<string, unknown>
}

/** The `csrf` claim of a token: what a browser reads from the CSRF cookie. */
export function csrfOf(token: string): string {
  const csrf = claimsOf(token).csrf
  assert.equal(typeof csrf, 'string')
  return csrf as string
}

/** Which RFC 6750 challenge a failure must carry. */
export type Challenge =
  | { kind: 'none' }
  | { kind: 'bearer' }
  | { kind: 'invalid_token' }
  | { kind: 'invalid_request' }
  | { kind: 'insufficient_scope'; scope: string }

/** The challenge the contract gives each error type. */
const CHALLENGES: Record<string, Challenge> = {
  MissingTokenError: { kind: 'bearer' },
  MissingCSRFTokenError: { kind: 'invalid_request' },
  StoreUnavailableError: { kind: 'none' },
}

/** The default message of each error type (DESIGN.md section 5). */
export const MESSAGES: Record<string, string> = {
  MissingTokenError: 'Missing JWT in request',
  MissingCSRFTokenError: 'Missing CSRF token',
  JWTDecodeError: 'Invalid Token',
  TokenExpiredError: 'Token has expired',
  TokenInvalidSignatureError: 'Signature verification failed',
  TokenInvalidAudienceError: 'Invalid audience',
  TokenInvalidIssuerError: 'Invalid issuer',
  RevokedTokenError: 'Token has been revoked',
  AccessTokenRequiredError: 'Access token required',
  RefreshTokenRequiredError: 'Refresh token required',
  FreshTokenRequiredError: 'Fresh token required',
  CSRFError: 'CSRF double submit does not match',
  SubjectNotFoundError: 'Subject not found',
  StoreUnavailableError: 'Authentication store unavailable',
}

/** What a refused request must look like. */
export interface Refusal {
  /** @defaultValue 401 (403 for InsufficientScopeError) */
  status?: number
  errorType: string
  /** @defaultValue the contract's message for `errorType` */
  detail?: string
  /** Fields the body carries besides the message and `error_type`. */
  extra?: Record<string, unknown>
  /** @defaultValue `errorMessageKey`'s default, `"detail"` */
  messageKey?: string
  /** @defaultValue by error type: `Bearer` for a missing token, `invalid_token` otherwise */
  challenge?: Challenge
}

function challengeHeader(challenge: Challenge, detail: string): string | undefined {
  switch (challenge.kind) {
    case 'none':
      return undefined
    case 'bearer':
      return 'Bearer'
    // The description is the message the body carries, override included.
    case 'invalid_request':
      return `Bearer error="invalid_request", error_description="${detail}"`
    case 'invalid_token':
      return `Bearer error="invalid_token", error_description="${detail}"`
    case 'insufficient_scope':
      return `Bearer error="insufficient_scope", scope="${challenge.scope}"`
  }
}

/**
 * Sends a request that must be refused and checks the whole contract: status, JSON body,
 * `WWW-Authenticate`, `Cache-Control`, and that the route's handler did not run.
 *
 * @param app - the app under test
 * @param req - the request
 * @param refusal - what the refusal must be
 * @returns the response, for further checks
 */
export async function expectRefused(
  app: TestApp,
  req: TestRequest,
  refusal: Refusal,
): Promise<TestResponse> {
  const path = req.path.split('?', 1)[0] ?? req.path
  const before = app.handlerRuns(path)
  const res = await app.request(req)
  const where = `${req.method} ${req.path}`
  const status = refusal.status ?? (refusal.errorType === 'InsufficientScopeError' ? 403 : 401)
  assert.equal(res.status, status, `${where}: status (body ${res.text})`)
  const detail = refusal.detail ?? MESSAGES[refusal.errorType]
  assert.ok(detail !== undefined, `no default message for ${refusal.errorType}`)
  assert.deepEqual(
    res.body,
    {
      [refusal.messageKey ?? 'detail']: detail,
      error_type: refusal.errorType,
      ...refusal.extra,
    },
    `${where}: body`,
  )
  assert.match(res.headers['content-type'] ?? '', /^application\/json/, `${where}: content-type`)
  assert.equal(res.headers['cache-control'], 'no-store', `${where}: cache-control`)
  const challenge = refusal.challenge ?? CHALLENGES[refusal.errorType] ?? { kind: 'invalid_token' }
  assert.equal(
    res.headers['www-authenticate'],
    challengeHeader(challenge, detail),
    `${where}: www-authenticate`,
  )
  assert.equal(app.handlerRuns(path), before, `${where}: the handler must not run`)
  assert.doesNotMatch(res.text, /eyJ/, `${where}: no token in the response`)
  return res
}

/**
 * Sends a request that must succeed (200) and checks that the handler ran exactly once.
 *
 * @param app - the app under test
 * @param req - the request
 * @returns the response
 */
export async function expectOk(app: TestApp, req: TestRequest): Promise<TestResponse> {
  const path = req.path.split('?', 1)[0] ?? req.path
  const before = app.handlerRuns(path)
  const res = await app.request(req)
  assert.equal(res.status, 200, `${req.method} ${req.path}: status (body ${res.text})`)
  assert.equal(app.handlerRuns(path), before + 1, `${req.method} ${req.path}: handler ran once`)
  return res
}

/** One parsed Set-Cookie header. */
export interface ParsedCookie {
  name: string
  value: string
  /** Attribute names lower-cased; flag attributes map to `true`. */
  attributes: Record<string, string | true>
}

/**
 * Parses a Set-Cookie header value.
 *
 * @param header - e.g. `a=b; Path=/; HttpOnly`
 */
export function parseSetCookie(header: string): ParsedCookie {
  const [pair = '', ...rest] = header.split(';').map((part) => part.trim())
  const eq = pair.indexOf('=')
  const attributes: Record<string, string | true> = {}
  for (const part of rest) {
    const i = part.indexOf('=')
    if (i === -1) attributes[part.toLowerCase()] = true
    else attributes[part.slice(0, i).toLowerCase()] = part.slice(i + 1)
  }
  return { name: pair.slice(0, eq), value: decodeURIComponent(pair.slice(eq + 1)), attributes }
}

/**
 * The Set-Cookie headers of a response, by cookie name (each name must appear once).
 *
 * @param res - the response
 */
export function cookieMap(res: TestResponse): Record<string, ParsedCookie> {
  const out: Record<string, ParsedCookie> = {}
  for (const header of res.setCookies) {
    const cookie = parseSetCookie(header)
    assert.equal(out[cookie.name], undefined, `Set-Cookie ${cookie.name} sent twice`)
    out[cookie.name] = cookie
  }
  return out
}
