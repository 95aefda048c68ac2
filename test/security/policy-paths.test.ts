/**
 * Policy paths through prototype names. `JSON.parse` turns `"__proto__"` in a token payload into
 * an own key, so a signed token holding `{"__proto__": {"role": "admin"}}` satisfied a rule on
 * `__proto__.role`, although such paths are documented to read as missing (CWE-1321, the
 * prototype-pollution family of jsonwebtoken CVE-2022-23529). A segment named `__proto__`,
 * `constructor` or `prototype` now reads as missing whatever the data holds, and a rule naming
 * one is refused when it is added.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import { Hono } from 'hono'
import { AuthX as FastifyAuthX } from '../../src/adapters/fastify.ts'
import { AuthX as HonoAuthX } from '../../src/adapters/hono.ts'
import { AuthX as CoreAuthX } from '../../src/authx.ts'
import type { AuthXOptions } from '../../src/config/index.ts'
import { AuthManager } from '../../src/authz/manager.ts'
import {
  PolicyEngine,
  defaultPolicySubject,
  readPolicyAttribute,
  tokenPolicyAttributes,
} from '../../src/authz/policy/index.ts'
import type { PolicyCondition, PolicyRule } from '../../src/authz/policy/index.ts'
import { forgeToken } from '../helpers/forge.ts'

const NOW = 1_800_000_000
const SECRET = 'policy-paths-secret-of-32-bytes!!!'
const options: AuthXOptions = {
  secretKey: SECRET,
  loginType: 'user',
  tokenLocation: ['headers'],
  clock: () => NOW,
}

/**
 * A correctly signed access token whose payload is raw JSON text, so `__proto__`,
 * `constructor` and `prototype` are real own members after `JSON.parse`.
 */
function forged(members: string): string {
  const base = `"sub":"mallory","type":"access","jti":"j-1","login_type":"user","iat":${NOW},"exp":${NOW + 900}`
  return forgeToken({
    header: { alg: 'HS256', typ: 'JWT' },
    payload: `{${base},${members}}`,
    key: SECRET,
  })
}

const HOSTILE = [
  '"__proto__":{"role":"admin","scopes":["admin:*"]}',
  '"constructor":{"prototype":{"role":"admin"}}',
  '"prototype":{"role":"admin"}',
  '"profile":{"__proto__":{"role":"admin"},"constructor":{"role":"admin"}}',
].join(',')

const PATHS = [
  '__proto__.role',
  'constructor.prototype.role',
  'prototype.role',
  'profile.__proto__.role',
  'profile.constructor.role',
  '__proto__',
  'constructor',
]

const condition = (key: string, source: PolicyCondition['source'] = 'token'): PolicyCondition => ({
  source,
  key,
  value: 'admin',
})
const rule = (conditions: PolicyCondition[]): PolicyRule => ({
  effect: 'allow',
  actions: ['users:ban'],
  resources: ['users'],
  conditions,
})

void describe('security: policy paths never follow prototype names', () => {
  const auth = new CoreAuthX(options)

  void test('the forged token verifies and really carries own "__proto__", "constructor" and "prototype" claims', () => {
    const payload = auth.verifyTokenSync(forged(HOSTILE))
    assert.ok(Object.hasOwn(payload.claims, '__proto__'))
    assert.ok(Object.hasOwn(payload.claims, 'constructor'))
    assert.ok(Object.hasOwn(payload.claims, 'prototype'))
    assert.equal(Object.getPrototypeOf({}), Object.prototype, 'nothing polluted')
  })

  void test('every prototype-named segment reads as missing in the token and subject sources', () => {
    const payload = auth.verifyTokenSync(forged(HOSTILE))
    for (const source of [tokenPolicyAttributes(payload), defaultPolicySubject(payload)]) {
      for (const path of PATHS) assert.equal(readPolicyAttribute(source, path), undefined, path)
      // The rest of the data is read as usual.
      assert.equal(readPolicyAttribute(source, 'sub'), 'mallory')
    }
    const map = new Map<string, unknown>([['__proto__', { role: 'admin' }]])
    assert.equal(readPolicyAttribute(map, '__proto__.role'), undefined, 'Map keys too')
  })

  void test('a rule on any such path is refused when it is added, by the engine and the manager', () => {
    for (const path of PATHS) {
      for (const source of ['token', 'subject', 'resource', 'environment'] as const) {
        const bad = rule([condition(path, source)])
        const refused = (action: () => unknown, where: string): void => {
          assert.throws(action, (error: unknown) => {
            assert.ok(error instanceof TypeError, String(error))
            assert.ok(error.message.startsWith(`${where}.conditions[0].key: `), error.message)
            assert.match(error.message, /cannot be a path segment/)
            return true
          })
        }
        refused(() => new PolicyEngine({ rules: [bad] }), 'rules[0]')
        refused(() => new PolicyEngine().addRule(bad), 'rule')
        refused(() => new AuthManager({ policyRules: [bad] }), 'rules[0]')
        refused(() => new AuthManager().addPolicyRule(bad), 'rule')
      }
    }
  })

  void test('the forged token is denied by ordinary rules; the same claims as real data are allowed', async () => {
    const engine = new PolicyEngine({
      rules: [
        rule([condition('role')]),
        rule([condition('role', 'subject')]),
        { effect: 'allow', actions: ['users:ban'], resources: ['users'], scopes: ['admin'] },
      ],
    })
    const context = { action: 'users:ban', resource: 'users' }
    const hostile = await engine.evaluate({
      ...context,
      payload: auth.verifyTokenSync(forged(HOSTILE)),
    })
    assert.deepEqual(hostile, { allowed: false, reason: 'No policy rule matched' })
    // Control: the engine does allow a token that holds the role itself, so the denial above is
    // the prototype names reading as missing, not a rule that never matches.
    const honest = await engine.evaluate({
      ...context,
      payload: auth.verifyTokenSync(forged('"role":"admin"')),
    })
    assert.equal(honest.allowed, true)
  })
})

/** An app with one policy-guarded route, built on a framework binding. */
interface PolicyApp {
  request(token: string): Promise<{ status: number; body: unknown }>
  runs(): number
  close(): Promise<void>
}

/**
 * The engine of the apps: one allow rule, and a global evaluator that reads the role at a path
 * taken from configuration with the exported reader, as a multi-tenant app might.
 */
function engineReading(rolePath: string): PolicyEngine {
  return new PolicyEngine({
    rules: [{ effect: 'allow', actions: ['users:ban'], resources: ['users'] }],
    evaluators: [
      (context) =>
        readPolicyAttribute(tokenPolicyAttributes(context.payload), rolePath) === 'admin',
    ],
  })
}

const apps: Record<string, (rolePath: string) => Promise<PolicyApp>> = {
  async fastify(rolePath) {
    const manager = new AuthManager({
      instances: [new FastifyAuthX(options)],
      policyEngine: engineReading(rolePath),
    })
    let runs = 0
    const app: FastifyInstance = Fastify()
    app.post(
      '/users/1/ban',
      { preHandler: manager.policyRequired('user', 'users:ban', 'users') },
      () => {
        runs++
        return { banned: true }
      },
    )
    await app.ready()
    return {
      async request(token) {
        const res = await app.inject({
          method: 'POST',
          url: '/users/1/ban',
          headers: { authorization: `Bearer ${token}` },
        })
        return { status: res.statusCode, body: res.json<unknown>() }
      },
      runs: () => runs,
      close: () => app.close(),
    }
  },
  async hono(rolePath) {
    const manager = new AuthManager({
      instances: [new HonoAuthX(options)],
      policyEngine: engineReading(rolePath),
    })
    let runs = 0
    const app = new Hono()
    app.post('/users/1/ban', manager.policyRequired('user', 'users:ban', 'users'), (c) => {
      runs++
      return c.json({ banned: true })
    })
    return {
      async request(token) {
        const res = await app.request('/users/1/ban', {
          method: 'POST',
          headers: { authorization: `Bearer ${token}` },
        })
        return { status: res.status, body: (await res.json()) as unknown }
      },
      runs: () => runs,
      close: async () => {},
    }
  },
}

const DENIED = { detail: 'No policy rule matched', error_type: 'PolicyDeniedError' }

for (const [name, build] of Object.entries(apps)) {
  void describe(`security: a "__proto__" claim grants nothing through policyRequired [${name}]`, () => {
    let protoPath: PolicyApp
    let rolePath: PolicyApp
    before(async () => {
      protoPath = await build('__proto__.role')
      rolePath = await build('role')
    })
    after(async () => {
      await Promise.all([protoPath.close(), rolePath.close()])
    })

    void test('a role read at "__proto__.role": the forged token gets 403 PolicyDeniedError, the handler did not run', async () => {
      const res = await protoPath.request(forged(HOSTILE))
      assert.equal(res.status, 403, JSON.stringify(res.body))
      assert.deepEqual(res.body, DENIED)
      assert.equal(protoPath.runs(), 0)
    })

    void test('a role read at "role": the forged token gets 403 PolicyDeniedError, the handler did not run', async () => {
      const res = await rolePath.request(forged(HOSTILE))
      assert.equal(res.status, 403, JSON.stringify(res.body))
      assert.deepEqual(res.body, DENIED)
      assert.equal(rolePath.runs(), 0)
    })

    void test('control: a token with the role as its own claim passes and the handler runs once', async () => {
      const res = await rolePath.request(forged('"role":"admin"'))
      assert.equal(res.status, 200, JSON.stringify(res.body))
      assert.equal(rolePath.runs(), 1)
    })

    void test('an app whose rules name "__proto__.role" does not start', () => {
      assert.throws(
        () =>
          new AuthManager({
            instances: [new FastifyAuthX(options)],
            policyRules: [rule([condition('__proto__.role')])],
          }),
        TypeError,
      )
    })
  })
}
