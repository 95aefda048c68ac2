import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'node:test'
import type { RequestView } from '../../src/types.ts'
import Fastify from 'fastify'
import type { FastifyInstance, preHandlerHookHandler } from 'fastify'
import { AuthX } from '../../src/adapters/fastify.ts'
import type { FastifyGuard } from '../../src/adapters/fastify.ts'
import { AuthX as CoreAuthX } from '../../src/authx.ts'
import type { AuthXOptions } from '../../src/config/index.ts'
import {
  BadConfigurationError,
  FreshTokenRequiredError,
  InsufficientScopeError,
  LoginTypeMismatchError,
  PolicyDeniedError,
  TokenExpiredError,
  TokenInvalidSignatureError,
} from '../../src/errors.ts'
import { AuthManager } from '../../src/authz/manager.ts'
import type { GuardOf } from '../../src/authz/manager.ts'
import { PolicyEngine } from '../../src/authz/policy/index.ts'
import type { PolicyContext, PolicyRule } from '../../src/authz/policy/index.ts'
import { MemoryStore } from '../../src/stores/memory.ts'
import type { TokenPayload } from '../../src/token/payload.ts'

const NOW = 1_800_000_000 // 2027-01-15T08:00:00Z, a Friday
const ADMIN_SECRET = 'admin-secret-of-at-least-32-bytes!!'
const USER_SECRET = 'user-secret-of-at-least-32-bytes!!!'
const STRANGER_SECRET = 'a-secret-nobody-registered-32-bytes'

function options(extra: Partial<AuthXOptions> = {}): AuthXOptions {
  return { secretKey: ADMIN_SECRET, tokenLocation: ['headers'], clock: () => NOW, ...extra }
}

function setup(extra: { shared?: boolean } = {}) {
  const admin = new AuthX(options({ loginType: 'admin' }))
  const user = new AuthX(
    options({ loginType: 'user', secretKey: extra.shared === true ? ADMIN_SECRET : USER_SECRET }),
  )
  const manager = new AuthManager({ instances: [admin, user] })
  return { admin, user, manager }
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

/** A Fastify app with one GET route per guard; counts handler runs. */
function appWith(
  routes: Record<string, FastifyGuard>,
  handler?: (request: Parameters<preHandlerHookHandler>[0]) => unknown,
) {
  const app: FastifyInstance = Fastify()
  const runs: Record<string, number> = {}
  for (const [path, guard] of Object.entries(routes)) {
    runs[path] = 0
    app.get(path, { preHandler: guard }, (request, reply) => {
      runs[path] = (runs[path] ?? 0) + 1
      return reply.send(handler === undefined ? { ok: true } : handler(request))
    })
  }
  apps.push(app)
  const get = (path: string, token?: string) =>
    app.inject({ method: 'GET', url: path, headers: token === undefined ? {} : bearer(token) })
  return { app, runs, get }
}

const apps: FastifyInstance[] = []
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()))
})

/** Asserts a refused response: status, exact error_type and detail, and no handler run. */
function expectRefused(
  response: { statusCode: number; json(): unknown },
  status: number,
  errorType: string,
  detail: string,
  runs: number,
): void {
  assert.equal(response.statusCode, status)
  const body = response.json() as Record<string, unknown>
  assert.equal(body.error_type, errorType)
  assert.equal(body.detail, detail)
  assert.equal(runs, 0, 'the handler must not run')
}

void describe('AuthManager: registration (scenario 110)', () => {
  void it('registers instances in order and returns them by login type', () => {
    const { admin, user, manager } = setup()
    assert.deepEqual(manager.loginTypes, ['admin', 'user'])
    assert.equal(manager.get('admin'), admin)
    assert.equal(manager.get('user'), user)
    const chained = new AuthManager<AuthX>().register(user).register(admin)
    assert.deepEqual(chained.loginTypes, ['user', 'admin'])
  })

  void it('refuses an instance without a login type', () => {
    const manager = new AuthManager<AuthX>()
    assert.throws(() => manager.register(new AuthX(options())), {
      name: 'BadConfigurationError',
      message: 'AuthX instances registered with AuthManager require a login_type',
    })
    assert.deepEqual(manager.loginTypes, [])
  })

  void it('refuses a duplicate login type', () => {
    const { manager } = setup()
    assert.throws(() => manager.register(new AuthX(options({ loginType: 'admin' }))), {
      name: 'BadConfigurationError',
      message: "AuthX login_type 'admin' is already registered",
    })
    assert.throws(
      () =>
        new AuthManager({
          instances: [
            new AuthX(options({ loginType: 'x' })),
            new AuthX(options({ loginType: 'x' })),
          ],
        }),
      BadConfigurationError,
    )
  })

  void it('refuses an unknown login type everywhere, including guard creation', () => {
    const { manager } = setup()
    const unknown = { name: 'BadConfigurationError', message: "Unknown login_type 'staff'" }
    assert.throws(() => manager.get('staff'), unknown)
    assert.throws(() => manager.createAccessToken('staff', 'u'), unknown)
    assert.throws(() => manager.accessTokenRequired('staff'), unknown)
    assert.throws(() => manager.policyRequired('staff', 'a', 'r'), unknown)
  })

  void it('refuses what is not an AuthX instance', () => {
    const manager = new AuthManager()
    assert.throws(
      () => manager.register({ config: { loginType: 'fake' } } as unknown as CoreAuthX),
      TypeError,
    )
  })

  void it('takes policyEngine or policyRules, not both, and validates them', () => {
    const engine = new PolicyEngine()
    assert.equal(new AuthManager({ policyEngine: engine }).policyEngine, engine)
    const rules: PolicyRule[] = [{ effect: 'allow', actions: ['*'], resources: ['*'] }]
    assert.equal(new AuthManager({ policyRules: rules }).policyEngine.rules.length, 1)
    assert.throws(() => new AuthManager({ policyEngine: engine, policyRules: rules }), {
      name: 'TypeError',
      message: /policyEngine or policyRules, not both/,
    })
    assert.throws(() => new AuthManager({ policyEngine: {} as PolicyEngine }), TypeError)
    assert.throws(
      () => new AuthManager({ policyRules: [{ effect: 'maybe' } as unknown as PolicyRule] }),
      TypeError,
    )
    const manager = new AuthManager()
    assert.throws(
      () => manager.addPolicyRule({ effect: 'allow', actions: [], resources: ['*'] }),
      TypeError,
    )
    assert.throws(() => manager.addPolicyEvaluator('yes' as never), TypeError)
  })
})

void describe('AuthManager: token creation', () => {
  void it('creates tokens with the instance of the login type, stamped with login_type', () => {
    const { admin, user, manager } = setup()
    const access = admin.verifyTokenSync(
      manager.createAccessToken('admin', 7, { fresh: true, scopes: ['admin:*'] }),
    )
    assert.deepEqual([access.sub, access.login_type, access.fresh], ['7', 'admin', true])
    assert.deepEqual(access.scopes, ['admin:*'])
    const refresh = user.verifyTokenSync(manager.createRefreshToken('user', 'u1'), {
      type: 'refresh',
    })
    assert.deepEqual([refresh.type, refresh.login_type], ['refresh', 'user'])
    const pair = manager.createTokenPair('user', 'u2', { data: { plan: 'pro' } })
    assert.equal(pair.token_type, 'bearer')
    assert.equal(user.verifyTokenSync(pair.access_token).extra.plan, 'pro')
    assert.equal(user.verifyTokenSync(pair.refresh_token, { type: 'refresh' }).login_type, 'user')
    assert.throws(() => admin.verifyTokenSync(pair.access_token), TokenInvalidSignatureError)
  })
})

void describe('AuthManager: login-type guards on Fastify (scenarios 107-109)', () => {
  void it('107: an admin token on the admin route passes and reaches the handler', async () => {
    const { admin, manager } = setup()
    const { runs, get } = appWith({ '/admin': manager.accessTokenRequired('admin') }, (request) => {
      const payload = admin.payload(request)
      return { sub: payload.sub, login_type: payload.login_type }
    })
    const response = await get('/admin', manager.createAccessToken('admin', 'root'))
    assert.equal(response.statusCode, 200)
    assert.deepEqual(response.json(), { sub: 'root', login_type: 'admin' })
    assert.equal(runs['/admin'], 1)
  })

  void it('108: a user token (other secret) on the admin route is a 401 LoginTypeMismatchError', async () => {
    const { manager } = setup()
    const { runs, get } = appWith({ '/admin': manager.accessTokenRequired('admin') })
    const response = await get('/admin', manager.createAccessToken('user', 'alice'))
    assert.equal(response.statusCode, 401)
    assert.deepEqual(response.json(), {
      detail: "Token type mismatch: expected 'admin', got 'user'",
      error_type: 'LoginTypeMismatchError',
      expected_type: 'admin',
      actual_type: 'user',
    })
    assert.match(String(response.headers['www-authenticate']), /^Bearer error="invalid_token"/)
    assert.equal(runs['/admin'], 0)
  })

  void it('108 with a shared secret: the login_type claim still tells the types apart', async () => {
    const { manager } = setup({ shared: true })
    const { runs, get } = appWith({
      '/admin': manager.accessTokenRequired('admin'),
      '/user': manager.accessTokenRequired('user'),
    })
    const response = await get('/admin', manager.createAccessToken('user', 'alice'))
    assert.equal(response.statusCode, 401)
    assert.deepEqual(response.json(), {
      detail: "Token type mismatch: expected 'admin', got 'user'",
      error_type: 'LoginTypeMismatchError',
      expected_type: 'admin',
      actual_type: 'user',
    })
    const reverse = await get('/user', manager.createAccessToken('admin', 'root'))
    assert.equal(reverse.json<{ actual_type: string }>().actual_type, 'admin')
    assert.deepEqual([runs['/admin'], runs['/user']], [0, 0])
  })

  void it('a token without login_type signed with the admin key is a mismatch with actual_type null', async () => {
    const { manager } = setup()
    const plain = new AuthX(options()) // same secret as admin, no loginType
    const { runs, get } = appWith({ '/admin': manager.accessTokenRequired('admin') })
    const response = await get('/admin', plain.createAccessToken('root'))
    assert.equal(response.statusCode, 401)
    assert.deepEqual(response.json(), {
      detail: "Token type mismatch: expected 'admin', got 'unknown'",
      error_type: 'LoginTypeMismatchError',
      expected_type: 'admin',
      actual_type: null,
    })
    assert.equal(runs['/admin'], 0)
  })

  void it('109: a token from an unregistered secret is a 401 TokenInvalidSignatureError', async () => {
    const { manager } = setup()
    const stranger = new AuthX(options({ secretKey: STRANGER_SECRET, loginType: 'user' }))
    const { runs, get } = appWith({ '/admin': manager.accessTokenRequired('admin') })
    const response = await get('/admin', stranger.createAccessToken('eve'))
    expectRefused(
      response,
      401,
      'TokenInvalidSignatureError',
      'Signature verification failed',
      runs['/admin'] ?? -1,
    )
  })

  void it('a token signed with the user key but claiming the admin type keeps the signature error', async () => {
    const { manager } = setup()
    const impostor = new AuthX(options({ secretKey: USER_SECRET, loginType: 'admin' }))
    const { runs, get } = appWith({ '/admin': manager.accessTokenRequired('admin') })
    expectRefused(
      await get('/admin', impostor.createAccessToken('eve')),
      401,
      'TokenInvalidSignatureError',
      'Signature verification failed',
      runs['/admin'] ?? -1,
    )
  })

  void it('an expired admin token says expired, and an expired user token is not reported as a mismatch', async () => {
    const { manager } = setup()
    const { runs, get } = appWith({ '/admin': manager.accessTokenRequired('admin') })
    const expiredAdmin = manager.createAccessToken('admin', 'root', { expiresIn: -10 })
    expectRefused(
      await get('/admin', expiredAdmin),
      401,
      'TokenExpiredError',
      'Token has expired',
      runs['/admin'] ?? -1,
    )
    // The user instance rejects its own expired token too, so the admin error stands.
    const expiredUser = manager.createAccessToken('user', 'alice', { expiresIn: -10 })
    expectRefused(
      await get('/admin', expiredUser),
      401,
      'TokenInvalidSignatureError',
      'Signature verification failed',
      runs['/admin'] ?? -1,
    )
  })

  void it('a missing or malformed token keeps the pipeline error', async () => {
    const { manager } = setup()
    const { runs, get } = appWith({ '/admin': manager.accessTokenRequired('admin') })
    expectRefused(
      await get('/admin'),
      401,
      'MissingTokenError',
      'Missing JWT in request',
      runs['/admin'] ?? -1,
    )
    expectRefused(
      await get('/admin', 'not.a.jwt'),
      401,
      'JWTDecodeError',
      'Invalid Token',
      runs['/admin'] ?? -1,
    )
  })

  void it('a revoked admin token is refused as revoked, not probed on other instances', async () => {
    const admin = new AuthX(options({ loginType: 'admin', store: new MemoryStore() }))
    const user = new AuthX(options({ loginType: 'user', secretKey: USER_SECRET }))
    const manager = new AuthManager({ instances: [admin, user] })
    const token = manager.createAccessToken('admin', 'root')
    await admin.revokeToken(token)
    const { runs, get } = appWith({ '/admin': manager.accessTokenRequired('admin') })
    expectRefused(
      await get('/admin', token),
      401,
      'RevokedTokenError',
      'Token has been revoked',
      runs['/admin'] ?? -1,
    )
  })

  void it('refresh and fresh guards check the token type, freshness and login type', async () => {
    const { manager } = setup()
    const { runs, get } = appWith({
      '/refresh': manager.refreshTokenRequired('user'),
      '/fresh': manager.freshTokenRequired('admin'),
    })
    assert.equal((await get('/refresh', manager.createRefreshToken('user', 'u'))).statusCode, 200)
    expectRefused(
      await get('/refresh', manager.createAccessToken('user', 'u')),
      401,
      'RefreshTokenRequiredError',
      'Refresh token required',
      0,
    )
    const foreign = await get('/refresh', manager.createRefreshToken('admin', 'root'))
    assert.equal(foreign.statusCode, 401)
    assert.deepEqual(foreign.json<{ actual_type: unknown }>().actual_type, 'admin')
    assert.equal(
      (await get('/fresh', manager.createAccessToken('admin', 'r', { fresh: true }))).statusCode,
      200,
    )
    expectRefused(
      await get('/fresh', manager.createAccessToken('admin', 'r')),
      401,
      'FreshTokenRequiredError',
      'Fresh token required',
      0,
    )
    assert.deepEqual([runs['/refresh'], runs['/fresh']], [1, 1])
  })

  void it('tokenRequired checks the login type before scopes', async () => {
    const { manager } = setup({ shared: true })
    const { runs, get } = appWith({
      '/scoped': manager.tokenRequired('admin', { scopes: ['admin:users'] }),
    })
    assert.equal(
      (await get('/scoped', manager.createAccessToken('admin', 'r', { scopes: ['admin:*'] })))
        .statusCode,
      200,
    )
    const weak = await get('/scoped', manager.createAccessToken('admin', 'r', { scopes: ['read'] }))
    assert.equal(weak.statusCode, 403)
    assert.equal(weak.json<{ error_type: string }>().error_type, 'InsufficientScopeError')
    // A user token without the scope must say "wrong login type", not "missing scope".
    expectRefused(
      await get('/scoped', manager.createAccessToken('user', 'u', { scopes: [] })),
      401,
      'LoginTypeMismatchError',
      "Token type mismatch: expected 'admin', got 'user'",
      0,
    )
    assert.equal(runs['/scoped'], 1)
  })

  void it('uses the guard options: locations and CSRF through the Fastify binding', async () => {
    const admin = new AuthX(options({ loginType: 'admin', tokenLocation: ['headers', 'cookies'] }))
    const user = new AuthX(options({ loginType: 'user', secretKey: USER_SECRET }))
    const manager = new AuthManager({ instances: [admin, user] })
    const { runs, get } = appWith({
      '/cookie-only': manager.tokenRequired('admin', { locations: ['cookies'] }),
    })
    const token = manager.createAccessToken('admin', 'root')
    expectRefused(
      await get('/cookie-only', token),
      401,
      'MissingTokenError',
      'Missing JWT in request',
      0,
    )
    const app = apps.at(-1) as FastifyInstance
    const viaCookie = await app.inject({
      method: 'GET',
      url: '/cookie-only',
      headers: { cookie: `access_token_cookie=${token}` },
    })
    assert.equal(viaCookie.statusCode, 200)
    assert.equal(runs['/cookie-only'], 1)
  })
})

void describe('AuthManager: policies on Fastify (scenarios 111-112)', () => {
  void it('111: with no rules, policyRequired is a 403 PolicyDeniedError "No policy rule matched"', async () => {
    const { manager } = setup()
    const { runs, get } = appWith({
      '/ban': manager.policyRequired('admin', 'users:ban', 'users'),
    })
    const response = await get('/ban', manager.createAccessToken('admin', 'root'))
    assert.equal(response.statusCode, 403)
    assert.deepEqual(response.json(), {
      detail: 'No policy rule matched',
      error_type: 'PolicyDeniedError',
    })
    assert.equal(response.headers['www-authenticate'], undefined)
    assert.equal(runs['/ban'], 0)
  })

  void it('111: an allow rule requiring ["admin:*"] lets an admin:* token through', async () => {
    const { manager } = setup()
    manager.addPolicyRule({
      effect: 'allow',
      actions: ['users:ban'],
      resources: ['users'],
      scopes: ['admin:*'],
    })
    const { runs, get } = appWith({
      '/ban': manager.policyRequired('admin', 'users:ban', 'users'),
    })
    const allowed = await get(
      '/ban',
      manager.createAccessToken('admin', 'r', { scopes: ['admin:*'] }),
    )
    assert.equal(allowed.statusCode, 200)
    assert.equal(runs['/ban'], 1)
    expectRefused(
      await get('/ban', manager.createAccessToken('admin', 'r', { scopes: ['read'] })),
      403,
      'PolicyDeniedError',
      'No policy rule matched',
      (runs['/ban'] ?? 0) - 1,
    )
    expectRefused(
      await get('/ban', manager.createAccessToken('user', 'u', { scopes: ['admin:*'] })),
      401,
      'LoginTypeMismatchError',
      "Token type mismatch: expected 'admin', got 'user'",
      (runs['/ban'] ?? 0) - 1,
    )
  })

  void it('112: deny beats allow, with the deny reason "delete disabled"', async () => {
    const manager = new AuthManager({
      instances: [new AuthX(options({ loginType: 'admin' }))],
      policyRules: [
        { effect: 'allow', actions: ['users:*'], resources: ['users'] },
        {
          effect: 'deny',
          actions: ['users:delete'],
          resources: ['users'],
          reason: 'delete disabled',
        },
      ],
    })
    const { runs, get } = appWith({
      '/delete': manager.policyRequired('admin', 'users:delete', 'users'),
      '/read': manager.policyRequired('admin', 'users:read', 'users'),
    })
    const token = manager.createAccessToken('admin', 'root')
    expectRefused(await get('/delete', token), 403, 'PolicyDeniedError', 'delete disabled', 0)
    assert.equal((await get('/read', token)).statusCode, 200)
    assert.deepEqual([runs['/delete'], runs['/read']], [0, 1])
  })

  void it('custom claims reach the default subject and the token source', async () => {
    const { manager } = setup()
    manager.addPolicyRule({
      effect: 'allow',
      actions: ['reports:read'],
      resources: ['reports'],
      conditions: [
        { source: 'subject', key: 'department', value: 'sales' },
        { source: 'token', key: 'profile.level', operator: 'gte', value: 2 },
      ],
    })
    const { runs, get } = appWith({
      '/reports': manager.policyRequired('user', 'reports:read', 'reports'),
    })
    const sales = manager.createAccessToken('user', 'u', {
      data: { department: 'sales', profile: { level: 2 } },
    })
    assert.equal((await get('/reports', sales)).statusCode, 200)
    const ops = manager.createAccessToken('user', 'u', {
      data: { department: 'ops', profile: { level: 9 } },
    })
    expectRefused(await get('/reports', ops), 403, 'PolicyDeniedError', 'No policy rule matched', 0)
    assert.equal(runs['/reports'], 1)
  })

  void it('the environment carries the injected clock, the method, the path and the client address', async () => {
    const { manager } = setup()
    const seen: Record<string, unknown>[] = []
    manager.addPolicyEvaluator((context) => {
      seen.push({ ...context.environment })
      return true
    })
    manager.addPolicyRule({
      effect: 'allow',
      actions: ['*'],
      resources: ['*'],
      conditions: [
        { source: 'environment', key: 'hour', value: 8 },
        { source: 'environment', key: 'weekday', value: 4 },
        { source: 'environment', key: 'client_ip', value: '127.0.0.1' },
        { source: 'environment', key: 'path', value: '/env' },
        { source: 'environment', key: 'method', value: 'GET' },
      ],
    })
    const { get } = appWith({ '/env': manager.policyRequired('user', 'x', 'y') })
    assert.equal((await get('/env', manager.createAccessToken('user', 'u'))).statusCode, 200)
    assert.equal(seen.length, 1)
    assert.deepEqual(seen[0]?.time, new Date(NOW * 1000))
  })

  void it('policyRequired resolves subject, resource attributes and env per request', async () => {
    const { user, manager } = setup()
    const users: Record<string, { id: string; team: string }> = {
      u1: { id: 'u1', team: 'red' },
      u2: { id: 'u2', team: 'blue' },
    }
    manager.addPolicyRule({
      effect: 'allow',
      actions: ['boards:write'],
      resources: ['boards'],
      conditions: [
        { source: 'subject', key: 'team', value: 'red' },
        { source: 'resource', key: 'board', value: 'b1' },
        { source: 'environment', key: 'tenant', value: 'acme' },
      ],
    })
    const guard = manager.policyRequired('user', 'boards:write', 'boards', {
      subject: async (_view: RequestView, payload: TokenPayload) =>
        Promise.resolve(users[payload.sub]),
      resourceAttrs: (view: RequestView) => ({ board: view.path.split('/').at(-1) }),
      env: { tenant: 'acme' },
    })
    const { runs, get } = appWith({ '/boards/b1': guard, '/boards/b2': guard }, (request) => ({
      subject: user.subject(request),
      sub: user.payload(request).sub,
    }))
    const u1 = manager.createAccessToken('user', 'u1')
    const ok = await get('/boards/b1', u1)
    assert.equal(ok.statusCode, 200)
    assert.deepEqual(ok.json(), { subject: { id: 'u1', team: 'red' }, sub: 'u1' })
    expectRefused(
      await get('/boards/b2', u1),
      403,
      'PolicyDeniedError',
      'No policy rule matched',
      runs['/boards/b2'] ?? -1,
    )
    expectRefused(
      await get('/boards/b1', manager.createAccessToken('user', 'u2')),
      403,
      'PolicyDeniedError',
      'No policy rule matched',
      (runs['/boards/b1'] ?? 0) - 1,
    )
  })

  void it('policyRequired honours token options, such as a fresh token', async () => {
    const { manager } = setup()
    manager.addPolicyRule({ effect: 'allow', actions: ['*'], resources: ['*'] })
    const { runs, get } = appWith({
      '/close': manager.policyRequired('user', 'account:close', 'account', {
        token: { verifyFresh: true },
      }),
    })
    expectRefused(
      await get('/close', manager.createAccessToken('user', 'u')),
      401,
      'FreshTokenRequiredError',
      'Fresh token required',
      0,
    )
    assert.equal(
      (await get('/close', manager.createAccessToken('user', 'u', { fresh: true }))).statusCode,
      200,
    )
    assert.equal(runs['/close'], 1)
  })

  void it('an evaluator that throws becomes a 500, never an allow', async () => {
    const { manager } = setup()
    manager.addPolicyRule({
      effect: 'allow',
      actions: ['*'],
      resources: ['*'],
      evaluators: [
        () => {
          throw new Error('policy backend down')
        },
      ],
    })
    const { runs, get } = appWith({ '/x': manager.policyRequired('user', 'a', 'r') })
    const response = await get('/x', manager.createAccessToken('user', 'u'))
    assert.equal(response.statusCode, 500)
    assert.equal(runs['/x'], 0)
  })

  void it('PolicyDeniedError messages can be overridden per instance', async () => {
    const admin = new AuthX(
      options({ loginType: 'admin', messages: { PolicyDeniedError: 'Forbidden' } }),
    )
    const manager = new AuthManager({ instances: [admin] })
    const { get } = appWith({ '/x': manager.policyRequired('admin', 'a', 'r') })
    const response = await get('/x', manager.createAccessToken('admin', 'root'))
    assert.equal(response.statusCode, 403)
    assert.equal(response.json<{ detail: string }>().detail, 'Forbidden')
  })
})

void describe('AuthManager: framework-free API', () => {
  void it('authenticate accepts a Fetch Request and reports mismatches', async () => {
    const { manager } = setup()
    const request = (token: string) =>
      new Request('http://localhost/admin', { headers: bearer(token) })
    const payload = await manager.authenticate(
      'admin',
      request(manager.createAccessToken('admin', 'r')),
    )
    assert.equal(payload.login_type, 'admin')
    await assert.rejects(
      manager.authenticate('admin', request(manager.createAccessToken('user', 'u'))),
      (error: unknown) => {
        assert.ok(error instanceof LoginTypeMismatchError)
        assert.equal(error.expectedType, 'admin')
        assert.equal(error.actualType, 'user')
        assert.ok(error.cause instanceof TokenInvalidSignatureError, 'keeps the decode error')
        return true
      },
    )
  })

  void it('authenticate finds a JSON-body token in a Fetch Request once, for the probe too', async () => {
    const admin = new AuthX(options({ loginType: 'admin', tokenLocation: ['json'] }))
    const user = new AuthX(options({ loginType: 'user', secretKey: USER_SECRET }))
    const manager = new AuthManager({ instances: [admin, user] })
    const post = (token: string) =>
      new Request('http://localhost/admin', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ access_token: token }),
      })
    const ok = await manager.authenticate('admin', post(manager.createAccessToken('admin', 'r')))
    assert.equal(ok.sub, 'r')
    await assert.rejects(
      manager.authenticate('admin', post(manager.createAccessToken('user', 'u'))),
      { name: 'LoginTypeMismatchError', actualType: 'user' },
    )
  })

  void it('authenticate checks scopes after the login type', async () => {
    const { manager } = setup()
    const view = (token: string) => new Request('http://localhost/', { headers: bearer(token) })
    await assert.rejects(
      manager.authenticate('admin', view(manager.createAccessToken('admin', 'r')), {
        scopes: ['write', 'read'],
        allScopes: false,
      }),
      InsufficientScopeError,
    )
    const any = await manager.authenticate(
      'admin',
      view(manager.createAccessToken('admin', 'r', { scopes: ['read'] })),
      { scopes: ['write', 'read'], allScopes: false },
    )
    assert.deepEqual(any.scopes, ['read'])
  })

  void it('authorize needs a payload or a request', async () => {
    const { manager } = setup()
    await assert.rejects(manager.authorize('admin', 'a', 'r'), (error: unknown) => {
      assert.ok(error instanceof PolicyDeniedError)
      assert.equal(error.statusCode, 403)
      assert.equal(error.message, 'A request or token payload is required for policy authorization')
      return true
    })
  })

  void it('authorize with a payload checks its login type, then the policy', async () => {
    const { admin, user, manager } = setup()
    manager.addPolicyRule({
      effect: 'allow',
      actions: ['users:read'],
      resources: ['users'],
      conditions: [{ source: 'resource', key: 'owner', value: 'root' }],
    })
    const payload = admin.verifyTokenSync(manager.createAccessToken('admin', 'root'))
    assert.equal(
      await manager.authorize('admin', 'users:read', 'users', {
        payload,
        resourceAttrs: { owner: 'root' },
      }),
      payload,
    )
    await assert.rejects(
      manager.authorize('admin', 'users:read', 'users', { payload, resourceAttrs: { owner: 'x' } }),
      { name: 'PolicyDeniedError', message: 'No policy rule matched' },
    )
    const userPayload = user.verifyTokenSync(manager.createAccessToken('user', 'u'))
    await assert.rejects(
      manager.authorize('admin', 'users:read', 'users', {
        payload: userPayload,
        resourceAttrs: { owner: 'root' },
      }),
      {
        name: 'LoginTypeMismatchError',
        message: "Token type mismatch: expected 'admin', got 'user'",
      },
    )
  })

  void it('authorize with a request authenticates it and passes the request to evaluators', async () => {
    const { manager } = setup()
    const contexts: PolicyContext[] = []
    manager.addPolicyRule({
      effect: 'allow',
      actions: ['*'],
      resources: ['*'],
      evaluators: [
        (context) => {
          contexts.push(context)
          return context.environment.method === 'DELETE'
        },
      ],
    })
    const request = (method: string) =>
      new Request('http://localhost/users/3', {
        method,
        headers: bearer(manager.createAccessToken('user', 'u')),
      })
    const payload = await manager.authorize('user', 'users:delete', 'users', {
      request: request('DELETE'),
      subject: { role: 'owner' },
      env: { tenant: 't1' },
    })
    assert.equal(payload.sub, 'u')
    const [context] = contexts
    assert.equal(context?.loginType, 'user')
    assert.deepEqual(context?.subject, { role: 'owner' })
    assert.equal(context?.environment?.path, '/users/3')
    assert.equal(context?.environment?.tenant, 't1')
    assert.equal(context?.request?.method, 'DELETE')
    await assert.rejects(
      manager.authorize('user', 'users:delete', 'users', { request: request('GET') }),
      PolicyDeniedError,
    )
    await assert.rejects(
      manager.authorize('user', 'x', 'y', {
        request: request('DELETE'),
        token: { verifyFresh: true },
      }),
      FreshTokenRequiredError,
    )
  })

  void it('evaluate returns the decision without throwing', async () => {
    const { admin, manager } = setup()
    manager.addPolicyRule({ effect: 'deny', actions: ['*'], resources: ['*'], reason: 'frozen' })
    const payload = admin.verifyTokenSync(manager.createAccessToken('admin', 'root'))
    const decision = await manager.evaluate('admin', 'a', 'r', { payload })
    assert.deepEqual([decision.allowed, decision.reason], [false, 'frozen'])
  })

  void it('works with framework-free core instances, whose guards are a clear TypeError', async () => {
    const admin = new CoreAuthX(options({ loginType: 'admin' }))
    const user = new CoreAuthX(options({ loginType: 'user', secretKey: USER_SECRET }))
    const manager = new AuthManager({ instances: [admin, user] })
    const request = new Request('http://localhost/', {
      headers: bearer(manager.createAccessToken('user', 'u')),
    })
    await assert.rejects(manager.authenticate('admin', request), LoginTypeMismatchError)
    for (const make of [
      () => manager.accessTokenRequired('admin'),
      () => manager.refreshTokenRequired('admin'),
      () => manager.freshTokenRequired('admin'),
      () => manager.tokenRequired('admin', {}),
      () => manager.policyRequired('admin', 'a', 'r'),
    ]) {
      assert.throws(make, {
        name: 'TypeError',
        message:
          /AuthManager guards need a framework-bound AuthX: the instance registered for login_type 'admin' is the framework-free core/,
      })
    }
    assert.throws(() => manager.policyRequired('admin', 1 as never, 'r'), TypeError)
  })

  void it('keeps the original decode error when the probe cannot even extract a token', async () => {
    const { manager } = setup()
    // An expired token of an unknown issuer: only the admin pipeline has anything to say.
    const stranger = new AuthX(options({ secretKey: STRANGER_SECRET, loginType: 'admin' }))
    const request = new Request('http://localhost/', {
      headers: bearer(stranger.createAccessToken('x', { expiresIn: -5 })),
    })
    await assert.rejects(manager.authenticate('admin', request), TokenInvalidSignatureError)
    const expired = new Request('http://localhost/', {
      headers: bearer(manager.createAccessToken('admin', 'x', { expiresIn: -5 })),
    })
    await assert.rejects(manager.authenticate('admin', expired), TokenExpiredError)
  })
})

// Type-level checks: the guard type follows the registered class.
type Equals<X, Y> =
  (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false
const fastifyGuards: Equals<GuardOf<AuthX>, FastifyGuard> = true
const coreHasNoGuards: Equals<GuardOf<CoreAuthX>, never> = true
const inferred: Equals<
  ReturnType<ReturnType<typeof setup>['manager']['accessTokenRequired']>,
  FastifyGuard
> = true
void [fastifyGuards, coreHasNoGuards, inferred]
