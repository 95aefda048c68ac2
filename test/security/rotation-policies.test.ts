/**
 * Refresh-token rotation, policies and login-type confusion, over HTTP through the Fastify
 * binding: reuse of a rotated refresh token kills its family (RFC 9700 §4.14), a concurrent
 * double refresh yields at most one pair, refresh after logout fails, no scope growth (RFC 6749
 * §6), token responses are `Cache-Control: no-store` (RFC 6749 §5.1); deny-wins and default-deny
 * policies that no prototype path can satisfy; a token of one login type never passes for
 * another (OWASP JWT cheat sheet, PortSwigger "JWT authentication bypass" labs).
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import Fastify from 'fastify'
import type { FastifyReply, FastifyRequest, InjectOptions } from 'fastify'
import { after, before, describe, test } from 'node:test'
import { AuthX } from '../../src/adapters/fastify.ts'
import type { FastifyGuard } from '../../src/adapters/fastify.ts'
import { AuthManager } from '../../src/authz/manager.ts'
import type { PolicyRule } from '../../src/authz/policy/index.ts'
import { forgeToken } from '../helpers/forge.ts'
import {
  NOW,
  SECRET,
  baseClaims,
  bearer,
  countingStore,
  expectAccepted,
  expectRejected,
  forgeClaims,
} from '../helpers/http-invariants.ts'
import type { InjectResult, SecurityApp } from '../helpers/http-invariants.ts'

const REVOKED = { status: 401, errorType: 'RevokedTokenError' } as const
const BAD_SIGNATURE = { status: 401, errorType: 'TokenInvalidSignatureError' } as const

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Record<
    string,
    unknown
  >
}

/** The parts of an inject response the invariants read (as the shared harness builds them). */
function toResult(response: {
  statusCode: number
  headers: InjectResult['headers']
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

// ------------------------------------------------------------------ rotation

/** The rotation app: a mutable clock, and the instance's store as the counting store. */
interface RotationApp extends SecurityApp {
  /** Moves the injected clock (seconds). */
  setNow(seconds: number): void
  /** A fresh login: the pair the /login route would return. */
  login(scopes?: readonly string[]): { access_token: string; refresh_token: string }
}

/**
 * `POST /login` issues a pair, `POST /refresh` exchanges the request's refresh token with
 * `auth.refresh`, `POST /refresh/widen` asks for more scopes than granted, `GET /protected` is an
 * access guard. The "handler" of the refresh routes counts only issued pairs.
 */
async function buildRotationApp(): Promise<RotationApp> {
  let now = NOW
  const store = countingStore()
  const auth = new AuthX({
    secretKey: SECRET,
    clock: () => now,
    refreshRotation: { familyLifetime: 3600 },
    store,
  })
  const app = Fastify({ logger: false })
  auth.handleErrors(app)
  let runs = 0
  let leaked = 0
  app.addHook('onResponse', async (request, reply) => {
    if (reply.statusCode < 400) return
    try {
      auth.payload(request)
    } catch {
      return
    }
    leaked++
  })
  const noStore = (reply: FastifyReply) => reply.header('cache-control', 'no-store')
  const exchange =
    (scopes?: readonly string[]) => async (request: FastifyRequest, reply: FastifyReply) => {
      const found = await auth.getRefreshTokenFromRequest(auth.view(request))
      const pair = await auth.refresh(found, scopes === undefined ? {} : { scopes })
      runs++
      void noStore(reply)
      return pair
    }
  app.post('/login', async (_request, reply) => {
    void noStore(reply)
    return auth.createTokenPair('alice', { accessScopes: ['read'], refreshScopes: ['read'] })
  })
  app.post('/refresh', exchange())
  app.post('/refresh/widen', exchange(['read', 'admin:users']))
  app.get('/protected', { preHandler: auth.accessTokenRequired }, (request) => {
    runs++
    return Promise.resolve({ sub: auth.payload(request).sub })
  })
  await app.ready()
  return {
    app,
    auth,
    store,
    secrets: [SECRET],
    handlerRuns: () => runs,
    identitiesOnRejections: () => leaked,
    validToken: (sub = 'alice') => auth.createAccessToken(sub),
    inject: async (options: InjectOptions) => toResult(await app.inject(options)),
    close: () => app.close(),
    setNow: (seconds: number) => {
      now = seconds
    },
    login: (scopes = ['read']) =>
      auth.createTokenPair('alice', { accessScopes: scopes, refreshScopes: scopes }),
  }
}

const refreshWith = (token: string, url = '/refresh'): InjectOptions => bearer(token, url, 'POST')

/** Exchanges a refresh token that must work; returns the new pair. */
async function rotate(
  target: RotationApp,
  token: string,
): Promise<{ access_token: string; refresh_token: string }> {
  const body = await expectAccepted(target, refreshWith(token))
  assert.equal(typeof body.access_token, 'string')
  assert.equal(typeof body.refresh_token, 'string')
  return body as { access_token: string; refresh_token: string }
}

void describe('security: refresh-token rotation over HTTP (RFC 9700 §4.14)', () => {
  let target: RotationApp
  before(async () => {
    target = await buildRotationApp()
  })
  after(() => target.close())

  void test('reuse of a rotated refresh token is a 401 RevokedTokenError and kills the whole family (RFC 9700 §4.14.2)', async () => {
    const login = target.login()
    const first = await rotate(target, login.refresh_token)
    assert.notEqual(first.refresh_token, login.refresh_token, 'rotation issues a new refresh token')
    const second = await rotate(target, first.refresh_token)
    // The attacker replays the first, already rotated refresh token: reuse detection writes.
    await expectRejected(target, refreshWith(login.refresh_token), {
      ...REVOKED,
      allowStoreWrites: true,
    })
    // Every token of the family is now dead: the newest refresh token and all access tokens.
    await expectRejected(target, refreshWith(second.refresh_token), {
      ...REVOKED,
      allowStoreWrites: true,
    })
    for (const access of [login.access_token, first.access_token, second.access_token])
      await expectRejected(target, bearer(access), REVOKED)
  })

  void test('a replay does not touch another family (RFC 9700 §4.14.2: revoke the family, not the user)', async () => {
    const victim = target.login()
    const other = target.login()
    await rotate(target, victim.refresh_token)
    await expectRejected(target, refreshWith(victim.refresh_token), {
      ...REVOKED,
      allowStoreWrites: true,
    })
    await expectAccepted(target, bearer(other.access_token))
    await rotate(target, other.refresh_token)
  })

  void test('a concurrent double refresh yields at most one new pair (RFC 9700 §4.14.2 race)', async () => {
    const login = target.login()
    const runs = target.handlerRuns()
    const results = await Promise.all([
      target.inject(refreshWith(login.refresh_token)),
      target.inject(refreshWith(login.refresh_token)),
    ])
    const ok = results.filter((r) => r.status === 200)
    assert.ok(ok.length <= 1, `two pairs issued: ${results.map((r) => r.status).join(', ')}`)
    // The first use is honest, so one of the two must win: refusing both is no answer to a race.
    assert.equal(ok.length, 1, 'neither refresh succeeded')
    for (const r of results.filter((x) => x.status !== 200)) {
      assert.equal(r.status, 401, r.text)
      assert.equal(r.json?.error_type, 'RevokedTokenError')
      assert.ok(!r.text.includes(login.refresh_token), 'the body echoes the refresh token')
    }
    assert.equal(target.handlerRuns(), runs + ok.length)
    // The loser's use is a reuse, so even the winner's pair belongs to a revoked family.
    const winner = ok[0]?.json as { access_token: string; refresh_token: string } | undefined
    if (winner !== undefined) {
      await expectRejected(target, bearer(winner.access_token), REVOKED)
      await expectRejected(target, refreshWith(winner.refresh_token), {
        ...REVOKED,
        allowStoreWrites: true,
      })
    }
  })

  void test('refresh after logout (refresh token revoked) is a 401 RevokedTokenError (RFC 7009 §2, OWASP JWT cheat sheet)', async () => {
    const login = target.login()
    await target.auth.revokeToken(login.refresh_token)
    // A revoked refresh token presented again ends its family (reuse detection), a store write.
    await expectRejected(target, refreshWith(login.refresh_token), {
      ...REVOKED,
      allowStoreWrites: true,
    })
  })

  void test('an access token on the refresh route is a 401 RefreshTokenRequiredError (RFC 8725 §3.11, type confusion)', async () => {
    const login = target.login()
    await expectRejected(target, refreshWith(login.access_token), {
      status: 401,
      errorType: 'RefreshTokenRequiredError',
    })
  })

  void test('a refresh token on a protected route is a 401 AccessTokenRequiredError (RFC 8725 §3.11, type confusion)', async () => {
    const login = target.login()
    await expectRejected(target, bearer(login.refresh_token), {
      status: 401,
      errorType: 'AccessTokenRequiredError',
    })
  })

  void test('refresh cannot grow scopes: asking for more is a 403 InsufficientScopeError (RFC 6749 §6)', async () => {
    const login = target.login(['read'])
    const result = await expectRejected(
      target,
      refreshWith(login.refresh_token, '/refresh/widen'),
      {
        status: 403,
        errorType: 'InsufficientScopeError',
      },
    )
    assert.ok(!result.text.includes('"access_token"'))
    // The refused attempt did not consume the token: the honest client can still refresh.
    const next = await rotate(target, login.refresh_token)
    assert.deepEqual(claimsOf(next.access_token).scopes, ['read'])
  })

  void test('a forged fam/fam_exp re-signed with another key is a 401 TokenInvalidSignatureError (RFC 8725 §3.1)', async () => {
    const victim = claimsOf(target.login().refresh_token)
    const forged = forgeToken({
      header: { alg: 'HS256', typ: 'JWT' },
      payload: { ...victim, fam: 'attacker-family', fam_exp: NOW + 10 * 365 * 86_400 },
      key: randomBytes(32).toString('hex'),
    })
    await expectRejected(target, refreshWith(forged), BAD_SIGNATURE)
  })

  void test('a forged fam claim on an access token re-signed with another key is refused before any store lookup (OWASP JWT cheat sheet)', async () => {
    const reads = target.store.count('isRevoked')
    const forged = forgeClaims(
      { fam: claimsOf(target.login().access_token).fam },
      { key: randomBytes(32).toString('hex') },
    )
    const raw = await target.inject(bearer(forged))
    assert.equal(raw.json?.error_type, 'TokenInvalidSignatureError')
    // Counted before the follow-up valid request of expectRejected, which does consult the store.
    assert.equal(target.store.count('isRevoked'), reads, 'the store was read before the signature')
    await expectRejected(target, bearer(forged), BAD_SIGNATURE)
  })

  void test('data with a reserved fam or fam_exp key at creation throws a TypeError (claim injection)', () => {
    for (const name of ['fam', 'fam_exp']) {
      assert.throws(() => target.auth.createTokenPair('alice', { data: { [name]: 'x' } }), {
        name: 'TypeError',
        message: new RegExp(`^data\\.${name} is a reserved claim`),
      })
      assert.throws(
        () => target.auth.createRefreshToken('alice', { data: { [name]: 1 } }),
        TypeError,
      )
    }
  })

  void test('token responses carry Cache-Control: no-store (RFC 6749 §5.1, OWASP)', async () => {
    const login = await target.inject({ method: 'POST', url: '/login' })
    assert.equal(login.status, 200)
    assert.equal(login.headers['cache-control'], 'no-store')
    const refresh = login.json?.refresh_token
    assert.equal(typeof refresh, 'string')
    const rotated = await target.inject(refreshWith(refresh as string))
    assert.equal(rotated.status, 200, rotated.text)
    assert.equal(rotated.headers['cache-control'], 'no-store')
    assert.equal(rotated.json?.token_type, 'bearer')
  })

  void test('a refresh token past its family deadline is a 401 TokenExpiredError; rotation never extends it (RFC 9700 §4.14.2)', async () => {
    const login = target.login()
    try {
      target.setNow(NOW + 1800)
      const next = await rotate(target, login.refresh_token)
      assert.equal(claimsOf(next.refresh_token).fam_exp, NOW + 3600, 'the deadline moved')
      assert.ok((claimsOf(next.refresh_token).exp as number) <= NOW + 3600)
      target.setNow(NOW + 3601)
      await expectRejected(target, refreshWith(next.refresh_token), {
        status: 401,
        errorType: 'TokenExpiredError',
      })
    } finally {
      target.setNow(NOW)
    }
  })
})

// ------------------------------------------------------------------ policies and login types

const ADMIN_SECRET = randomBytes(32).toString('hex')
const USER_SECRET = randomBytes(32).toString('hex')
const STRANGER_SECRET = randomBytes(32).toString('hex')

interface ManagerApp extends SecurityApp {
  readonly manager: AuthManager<AuthX>
  /** How many times a policy evaluator was called. */
  evaluations(): number
}

const RULES: PolicyRule[] = [
  { effect: 'allow', actions: ['users:*'], resources: ['users'] },
  { effect: 'deny', actions: ['users:delete'], resources: ['users'], reason: 'delete disabled' },
  {
    effect: 'allow',
    actions: ['proto:read'],
    resources: ['proto'],
    conditions: [{ source: 'subject', key: 'toString', operator: 'exists' }],
  },
]

/**
 * An `AuthManager` with an `admin` and a `user` instance (different secrets) and the policy
 * rules above: `/protected` and `/admin` (admin access), `/users/read`, `/users/delete`,
 * `/reports` (no rule: default deny) and `/proto` (only prototype-path conditions).
 */
async function buildManagerApp(): Promise<ManagerApp> {
  const store = countingStore()
  const admin = new AuthX({
    secretKey: ADMIN_SECRET,
    loginType: 'admin',
    clock: () => NOW,
    store,
  })
  const user = new AuthX({ secretKey: USER_SECRET, loginType: 'user', clock: () => NOW })
  const manager = new AuthManager<AuthX>({ instances: [admin, user], policyRules: RULES })
  let evaluations = 0
  manager.addPolicyEvaluator(() => {
    evaluations++
    return true
  })
  const app = Fastify({ logger: false })
  admin.handleErrors(app)
  let runs = 0
  let leaked = 0
  app.addHook('onResponse', async (request, reply) => {
    if (reply.statusCode < 400) return
    for (const auth of [admin, user]) {
      try {
        auth.payload(request)
        leaked++
        return
      } catch {
        // no identity attached by this instance
      }
    }
  })
  const route = (url: string, guard: FastifyGuard) =>
    app.get(url, { preHandler: guard }, () => {
      runs++
      return Promise.resolve({ ok: true })
    })
  route('/protected', manager.accessTokenRequired('admin'))
  route('/admin', manager.accessTokenRequired('admin'))
  route('/users/read', manager.policyRequired('admin', 'users:read', 'users'))
  route('/users/delete', manager.policyRequired('admin', 'users:delete', 'users'))
  route('/reports', manager.policyRequired('admin', 'reports:export', 'reports'))
  route('/proto', manager.policyRequired('admin', 'proto:read', 'proto'))
  await app.ready()
  return {
    app,
    auth: admin,
    manager,
    store,
    secrets: [ADMIN_SECRET, USER_SECRET, STRANGER_SECRET],
    handlerRuns: () => runs,
    identitiesOnRejections: () => leaked,
    validToken: (sub = 'root') => manager.createAccessToken('admin', sub),
    inject: async (options: InjectOptions) => toResult(await app.inject(options)),
    close: () => app.close(),
    evaluations: () => evaluations,
  }
}

void describe('security: policies over HTTP (deny wins, default deny)', () => {
  let target: ManagerApp
  before(async () => {
    target = await buildManagerApp()
  })
  after(() => target.close())

  void test('deny wins over allow: 403 PolicyDeniedError with the deny reason (NIST SP 800-162 deny-overrides)', async () => {
    const token = target.validToken()
    await expectAccepted(target, bearer(token, '/users/read'))
    const result = await expectRejected(target, bearer(token, '/users/delete'), {
      status: 403,
      errorType: 'PolicyDeniedError',
    })
    assert.equal(result.json?.detail, 'delete disabled')
  })

  void test('no matching rule is a 403 PolicyDeniedError: default deny (OWASP Authorization cheat sheet)', async () => {
    const result = await expectRejected(target, bearer(target.validToken(), '/reports'), {
      status: 403,
      errorType: 'PolicyDeniedError',
    })
    assert.equal(result.json?.detail, 'No policy rule matched')
  })

  void test('conditions on toString never match; rules on constructor.prototype or __proto__ are refused (prototype hazards)', async () => {
    const token = target.validToken()
    const evaluations = target.evaluations()
    const result = await expectRejected(target, bearer(token, '/proto'), {
      status: 403,
      errorType: 'PolicyDeniedError',
    })
    assert.equal(result.json?.detail, 'No policy rule matched')
    assert.equal(target.evaluations(), evaluations, 'a prototype condition reached the evaluators')
    // Rules that name a prototype path are refused when added, so they cannot be configured.
    for (const [key, segment] of [
      ['__proto__', '__proto__'],
      ['constructor.prototype', 'constructor'],
    ] as const) {
      const rule: PolicyRule = {
        effect: 'allow',
        actions: ['proto:read'],
        resources: ['proto'],
        conditions: [{ source: 'token', key, operator: 'exists' }],
      }
      assert.throws(
        () => new AuthManager({ policyRules: [rule] }),
        new RegExp(`rules\\[0\\]\\.conditions\\[0\\]\\.key: "${segment}" cannot be a path segment`),
      )
      assert.throws(() => target.manager.addPolicyRule(rule), TypeError)
    }
  })

  void test('scopes that are not strings are a 401 JWTDecodeError before any policy runs (claim type confusion)', async () => {
    const evaluations = target.evaluations()
    for (const scopes of [[1], ['users:read', null], { 0: 'users:read', length: 1 }, 'users:*']) {
      const forged = forgeClaims(
        { scopes, login_type: 'admin', sub: 'root' },
        { key: ADMIN_SECRET },
      )
      await expectRejected(target, bearer(forged, '/users/read'), {
        status: 401,
        errorType: 'JWTDecodeError',
      })
    }
    assert.equal(target.evaluations(), evaluations, 'a policy ran on an undecodable token')
  })
})

void describe('security: login-type confusion over HTTP', () => {
  let target: ManagerApp
  before(async () => {
    target = await buildManagerApp()
  })
  after(() => target.close())

  void test('a user-instance token on an admin route is a 401 LoginTypeMismatchError (OWASP JWT cheat sheet: token sidejacking across realms)', async () => {
    const token = target.manager.createAccessToken('user', 'alice')
    const result = await expectRejected(target, bearer(token, '/admin'), {
      status: 401,
      errorType: 'LoginTypeMismatchError',
    })
    assert.equal(result.json?.expected_type, 'admin')
    assert.equal(result.json?.actual_type, 'user')
  })

  void test('a token of an unregistered key claiming login_type admin is a 401 TokenInvalidSignatureError, not a mismatch (PortSwigger: JWT authentication bypass via unverified signature)', async () => {
    const forged = forgeClaims(
      { sub: 'root', login_type: 'admin', scopes: ['admin:*'] },
      { key: STRANGER_SECRET },
    )
    const result = await expectRejected(target, bearer(forged, '/admin'), BAD_SIGNATURE)
    assert.equal(result.json?.expected_type, undefined)
  })

  void test('a user-key token re-stamped login_type admin is a 401 TokenInvalidSignatureError (PortSwigger: flawed signature verification)', async () => {
    const claims = claimsOf(target.manager.createAccessToken('user', 'alice'))
    const forged = forgeToken({
      header: { alg: 'HS256', typ: 'JWT' },
      payload: { ...baseClaims(claims), login_type: 'admin' },
      key: USER_SECRET,
    })
    await expectRejected(target, bearer(forged, '/admin'), BAD_SIGNATURE)
  })
})
