import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { RequestView } from '../../src/types.ts'
import { AuthX } from '../../src/authx.ts'
import {
  PolicyEngine,
  buildPolicyEnvironment,
  defaultPolicySubject,
  readPolicyAttribute,
  tokenPolicyAttributes,
  validatePolicyRule,
} from '../../src/authz/policy/index.ts'
import type {
  EvaluatedPolicyContext,
  PolicyCondition,
  PolicyContext,
  PolicyOperator,
  PolicyRule,
  PolicySource,
} from '../../src/authz/policy/index.ts'
import type { TokenPayload } from '../../src/token/payload.ts'

const NOW = 1_700_000_000 // 2023-11-14T22:13:20Z, a Tuesday
const auth = new AuthX({ secretKey: 's'.repeat(32), loginType: 'user', clock: () => NOW })

function payloadWith(options: Parameters<AuthX['createAccessToken']>[1] = {}): TokenPayload {
  return auth.verifyTokenSync(auth.createAccessToken('alice', options))
}

/** Whether a single allow rule with one condition allows the context. */
async function holds(
  condition: PolicyCondition,
  context: Partial<PolicyContext> = {},
): Promise<boolean> {
  const engine = new PolicyEngine({
    rules: [{ effect: 'allow', actions: ['*'], resources: ['*'], conditions: [condition] }],
  })
  const decision = await engine.evaluate({ action: 'read', resource: 'doc', ...context })
  return decision.allowed
}

/** A rule matching every action and resource, for conditions under test. */
const ALLOW_ALL: PolicyRule = { effect: 'allow', actions: ['*'], resources: ['*'] }

/** Whether `operator` holds between the resource attribute `v` (absent when omitted) and `value`. */
async function op(operator: PolicyOperator, value: unknown, ...attr: [unknown?]): Promise<boolean> {
  const resourceAttrs = attr.length === 0 ? {} : { v: attr[0] }
  return holds({ source: 'resource', key: 'v', operator, value }, { resourceAttrs })
}

void describe('policy conditions: operators', () => {
  void it('equals compares primitives, and arrays, objects and Dates structurally', async () => {
    assert.equal(await op('equals', 'sales', 'sales'), true)
    assert.equal(await op('equals', 'sales', 'Sales'), false)
    assert.equal(await op('equals', 1, '1'), false, 'no type coercion')
    assert.equal(await op('equals', ['a', { b: 1 }], ['a', { b: 1 }]), true)
    assert.equal(await op('equals', ['a', 'b'], ['b', 'a']), false)
    assert.equal(await op('equals', { a: 1 }, { a: 1, b: 2 }), false)
    assert.equal(await op('equals', { a: 1, c: 2 }, { a: 1, b: 2 }), false)
    assert.equal(await op('equals', [1], { 0: 1 }), false)
    assert.equal(await op('equals', new Date(5), new Date(5)), true)
    assert.equal(await op('equals', new Date(5), 5), false)
    assert.equal(await op('equals', Number.NaN, Number.NaN), true)
  })

  void it('equals treats a missing value as null, like AuthX', async () => {
    assert.equal(await op('equals', null), true)
    assert.equal(await op('equals', undefined), true)
    assert.equal(await op('equals', 'x'), false)
    assert.equal(await op('equals', null, null), true)
  })

  void it('not_equals is the negation of equals', async () => {
    assert.equal(await op('not_equals', 'a', 'b'), true)
    assert.equal(await op('not_equals', 'a', 'a'), false)
    assert.equal(await op('not_equals', 'a'), true)
    assert.equal(await op('not_equals', null), false)
  })

  void it('in checks membership; a string or non-array value is a one-element list', async () => {
    assert.equal(await op('in', ['sales', 'ops'], 'ops'), true)
    assert.equal(await op('in', ['sales', 'ops'], 'hr'), false)
    assert.equal(await op('in', 'sales', 'sales'), true, 'a string value is one element')
    assert.equal(await op('in', 'sales', 'sal'), false, 'not a substring test')
    assert.equal(await op('in', 42, 42), true, 'a number is one element')
    assert.equal(await op('in', { a: 1 }, { a: 1 }), true, 'an object is one element')
    assert.equal(await op('in', [[1, 2]], [1, 2]), true, 'members compare structurally')
    assert.equal(await op('in', ['a', null]), true, 'missing is null')
    assert.equal(await op('in', ['a']), false)
  })

  void it('not_in is the negation of in, with the same one-element rule', async () => {
    assert.equal(await op('not_in', ['sales', 'ops'], 'hr'), true)
    assert.equal(await op('not_in', ['sales', 'ops'], 'ops'), false)
    assert.equal(await op('not_in', 'sales', 'sales'), false)
    assert.equal(await op('not_in', 'sales', 'sal'), true)
    assert.equal(await op('not_in', 7, 7), false)
    assert.equal(await op('not_in', 7, 8), true)
    assert.equal(await op('not_in', ['a']), true)
  })

  void it('contains: substring, element, Set member, Map or object key; false on missing', async () => {
    assert.equal(await op('contains', 'min', 'admin'), true)
    assert.equal(await op('contains', 'max', 'admin'), false)
    assert.equal(await op('contains', 1, '123'), false, 'a number is not a substring')
    assert.equal(await op('contains', 'write', ['read', 'write']), true)
    assert.equal(await op('contains', 'exec', ['read', 'write']), false)
    assert.equal(await op('contains', { id: 2 }, [{ id: 1 }, { id: 2 }]), true)
    assert.equal(await op('contains', 'x', new Set(['x'])), true)
    assert.equal(await op('contains', 'y', new Set(['x'])), false)
    assert.equal(await op('contains', 'k', new Map([['k', 1]])), true)
    assert.equal(await op('contains', 'owner', { owner: 'alice' }), true)
    assert.equal(await op('contains', 'toString', { owner: 'alice' }), false, 'own keys only')
    assert.equal(await op('contains', 1, { 1: 'a' }), false, 'object keys are strings')
    assert.equal(await op('contains', 'x'), false, 'missing')
    assert.equal(await op('contains', 'x', null), false, 'null')
    assert.equal(await op('contains', 1, 12), false, 'a number contains nothing')
  })

  void it('gt, gte, lt, lte compare numbers, strings, bigints and Dates', async () => {
    assert.equal(await op('gt', 5, 6), true)
    assert.equal(await op('gt', 5, 5), false)
    assert.equal(await op('gte', 5, 5), true)
    assert.equal(await op('gte', 5, 4), false)
    assert.equal(await op('lt', 5, 4), true)
    assert.equal(await op('lt', 5, 5), false)
    assert.equal(await op('lte', 5, 5), true)
    assert.equal(await op('lte', 5, 6), false)
    assert.equal(await op('gt', 'b', 'c'), true)
    assert.equal(await op('lt', 'b', 'a'), true)
    assert.equal(await op('gt', 10n, 11n), true)
    assert.equal(await op('lte', 10n, 10n), true)
    assert.equal(await op('lt', 10n, 11n), false)
    assert.equal(await op('gte', 10n, 10n), true)
    assert.equal(await op('gte', 10n, 9n), false)
    assert.equal(await op('gte', new Date(1000), new Date(1000)), true)
    assert.equal(await op('lt', new Date(1000), new Date(999)), true)
  })

  void it('comparisons are false on a missing value, null, NaN or another kind of value', async () => {
    for (const operator of ['gt', 'gte', 'lt', 'lte'] as const) {
      assert.equal(await op(operator, 5), false, `${operator} on missing`)
      assert.equal(await op(operator, 5, null), false, `${operator} on null`)
      assert.equal(await op(operator, 5, '10'), false, `${operator} string vs number`)
      assert.equal(await op(operator, 5, Number.NaN), false, `${operator} on NaN`)
      assert.equal(await op(operator, 5, 5n), false, `${operator} bigint vs number`)
      assert.equal(await op(operator, new Date(0), 0), false, `${operator} number vs Date`)
    }
  })

  void it('exists means neither null nor missing; falsy values exist', async () => {
    assert.equal(await op('exists', undefined, 'x'), true)
    assert.equal(await op('exists', undefined, 0), true)
    assert.equal(await op('exists', undefined, false), true)
    assert.equal(await op('exists', undefined, ''), true)
    assert.equal(await op('exists', undefined, null), false)
    assert.equal(await op('exists', undefined), false)
  })

  void it('the operator defaults to equals', async () => {
    assert.equal(
      await holds({ source: 'resource', key: 'v', value: 1 }, { resourceAttrs: { v: 1 } }),
      true,
    )
    assert.equal(
      await holds({ source: 'resource', key: 'v', value: 1 }, { resourceAttrs: { v: 2 } }),
      false,
    )
  })

  void it('every condition of a rule must hold', async () => {
    const engine = new PolicyEngine({
      rules: [
        {
          effect: 'allow',
          actions: ['*'],
          resources: ['*'],
          conditions: [
            { source: 'resource', key: 'a', value: 1 },
            { source: 'resource', key: 'b', value: 2 },
          ],
        },
      ],
    })
    const ctx = { action: 'x', resource: 'y' }
    assert.equal((await engine.evaluate({ ...ctx, resourceAttrs: { a: 1, b: 2 } })).allowed, true)
    assert.equal((await engine.evaluate({ ...ctx, resourceAttrs: { a: 1, b: 3 } })).allowed, false)
  })
})

void describe('policy conditions: sources and paths', () => {
  void it('reads the subject, the resource, the environment and the token', async () => {
    const payload = payloadWith({ data: { tier: 'gold' } })
    const context = {
      payload,
      subject: { team: 'red' },
      resourceAttrs: { owner: 'alice' },
      environment: { region: 'eu' },
    }
    const cases: [PolicySource, string, unknown][] = [
      ['subject', 'team', 'red'],
      ['resource', 'owner', 'alice'],
      ['environment', 'region', 'eu'],
      ['token', 'tier', 'gold'],
      ['token', 'sub', 'alice'],
      ['token', 'login_type', 'user'],
    ]
    for (const [source, key, value] of cases) {
      assert.equal(await holds({ source, key, value }, context), true, `${source}.${key}`)
      assert.equal(await holds({ source, key, value: 'other' }, context), false, `${source}.${key}`)
    }
  })

  void it('the token source is empty without a payload', async () => {
    assert.equal(await holds({ source: 'token', key: 'sub', operator: 'exists' }), false)
    assert.equal(
      await holds({ source: 'token', key: 'sub', operator: 'equals', value: null }),
      true,
    )
    assert.deepEqual(tokenPolicyAttributes(null), {})
  })

  void it('custom claims are visible to conditions on the subject and on the token', async () => {
    const payload = payloadWith({ data: { department: 'sales', profile: { level: 3 } } })
    const on = (source: PolicySource, key: string, operator: PolicyOperator, value: unknown) =>
      holds({ source, key, operator, value }, { payload })
    assert.equal(await on('subject', 'department', 'equals', 'sales'), true)
    assert.equal(await on('subject', 'profile.level', 'gte', 3), true)
    assert.equal(await on('token', 'department', 'equals', 'sales'), true)
    assert.equal(await on('token', 'profile.level', 'lt', 3), false)
  })

  void it('the default subject is the custom claims plus sub, scopes and login_type', () => {
    const payload = payloadWith({ data: { department: 'sales' }, scopes: ['read'] })
    assert.deepEqual(defaultPolicySubject(payload), {
      department: 'sales',
      sub: 'alice',
      scopes: ['read'],
      login_type: 'user',
    })
    const bare = new AuthX({ secretKey: 's'.repeat(32) })
    const noScopes = bare.verifyTokenSync(bare.createAccessToken('bob'))
    assert.deepEqual(defaultPolicySubject(noScopes), { sub: 'bob', scopes: [], login_type: null })
    assert.deepEqual(defaultPolicySubject(null), {})
    assert.deepEqual(defaultPolicySubject(undefined), {})
  })

  void it('an explicit subject replaces the default one', async () => {
    const payload = payloadWith({ data: { department: 'sales' } })
    const condition: PolicyCondition = { source: 'subject', key: 'department', value: 'sales' }
    assert.equal(await holds(condition, { payload }), true)
    assert.equal(await holds(condition, { payload, subject: { department: 'ops' } }), false)
  })

  void it('follows dotted paths through objects, arrays and Maps', () => {
    const source = { a: { b: [{ c: 'deep' }] }, m: new Map<string, unknown>([['k', { v: 1 }]]) }
    assert.equal(readPolicyAttribute(source, 'a.b.0.c'), 'deep')
    assert.equal(readPolicyAttribute(source, 'a.b.length'), 1)
    assert.equal(readPolicyAttribute(source, 'm.k.v'), 1)
    assert.equal(readPolicyAttribute(source, 'a.x.y'), undefined)
    assert.equal(readPolicyAttribute(source, 'a.b.0.c.length'), undefined, 'no primitive props')
    assert.equal(readPolicyAttribute(null, 'a'), undefined)
    assert.equal(readPolicyAttribute({ a: null }, 'a.b'), undefined)
  })

  void it('never walks prototypes: constructor, __proto__ and inherited methods read as undefined', async () => {
    const subject = { name: 'x', list: [] as unknown[] }
    for (const key of ['toString', 'hasOwnProperty', 'list.map', 'name.length']) {
      assert.equal(readPolicyAttribute(subject, key), undefined, key)
      assert.equal(
        await holds({ source: 'subject', key, operator: 'exists' }, { subject }),
        false,
        key,
      )
    }
    // Prototype names cannot even be written in a rule; the reader alone says missing.
    for (const key of [
      'constructor',
      'constructor.prototype',
      'constructor.name',
      '__proto__',
      '__proto__.polluted',
      'list.constructor.prototype',
      'prototype',
    ]) {
      assert.equal(readPolicyAttribute(subject, key), undefined, key)
      assert.throws(
        () =>
          new PolicyEngine().addRule({ ...ALLOW_ALL, conditions: [{ source: 'subject', key }] }),
        /rule\.conditions\[0\]\.key: "(__proto__|constructor|prototype)" cannot be a path segment/,
        key,
      )
    }
    class User {
      readonly id = 1
      get role(): string {
        return 'admin'
      }
    }
    assert.equal(readPolicyAttribute(new User(), 'id'), 1, 'own fields of class instances')
    assert.equal(readPolicyAttribute(new User(), 'role'), undefined, 'not prototype getters')
  })

  void it('reads own "__proto__", "constructor" and "prototype" keys as missing too, in objects and Maps', () => {
    const parsed = JSON.parse(
      '{"__proto__": {"admin": true}, "constructor": {"admin": true}, "prototype": {"admin": true}, "ok": {"admin": true}}',
    ) as unknown
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      assert.equal(readPolicyAttribute(parsed, `${key}.admin`), undefined, key)
      assert.equal(readPolicyAttribute({ nested: parsed }, `nested.${key}`), undefined, key)
      assert.equal(
        readPolicyAttribute(new Map([[key, { admin: true }]]), `${key}.admin`),
        undefined,
      )
    }
    assert.equal(readPolicyAttribute(parsed, 'ok.admin'), true, 'other own keys are read')
    assert.equal(({} as Record<string, unknown>).admin, undefined, 'nothing polluted')
  })

  void it('"contains" never finds a prototype name as a key, even an own one', async () => {
    const resourceAttrs = JSON.parse(
      '{"grants": {"__proto__": 1, "constructor": 1, "prototype": 1, "read": 1}}',
    ) as unknown
    for (const value of ['__proto__', 'constructor', 'prototype']) {
      assert.equal(
        await holds(
          { source: 'resource', key: 'grants', operator: 'contains', value },
          { resourceAttrs },
        ),
        false,
        value,
      )
      const map = new Map([[value, 1]])
      assert.equal(
        await holds(
          { source: 'resource', key: 'grants', operator: 'contains', value },
          { resourceAttrs: { grants: map } },
        ),
        false,
        `Map ${value}`,
      )
    }
    assert.equal(
      await holds(
        { source: 'resource', key: 'grants', operator: 'contains', value: 'read' },
        { resourceAttrs },
      ),
      true,
    )
    // As a substring or an array element the names are ordinary text.
    assert.equal(
      await holds(
        { source: 'resource', key: 'v', operator: 'contains', value: 'constructor' },
        { resourceAttrs: { v: ['constructor'] } },
      ),
      true,
    )
  })

  void it('a token claim named __proto__ reaches the subject as a plain key without pollution, and grants nothing', () => {
    const token = auth.createAccessToken('alice', {
      data: JSON.parse('{"__proto__": {"isAdmin": true}}') as Record<string, unknown>,
    })
    const payload = auth.verifyTokenSync(token)
    const subject = defaultPolicySubject(payload)
    assert.equal(Object.getPrototypeOf(subject), Object.prototype)
    assert.ok(Object.hasOwn(subject, '__proto__'))
    assert.equal((subject as { isAdmin?: unknown }).isAdmin, undefined)
    assert.equal(readPolicyAttribute(subject, '__proto__.isAdmin'), undefined)
  })
})

void describe('policy rules: matching and decisions', () => {
  const ctx = { action: 'users:read', resource: 'users' }

  void it('denies by default with "No policy rule matched"', async () => {
    const decision = await new PolicyEngine().evaluate(ctx)
    assert.deepEqual(decision, { allowed: false, reason: 'No policy rule matched' })
  })

  void it('allows by default with defaultAllow', async () => {
    const decision = await new PolicyEngine({ defaultAllow: true }).evaluate(ctx)
    assert.deepEqual(decision, { allowed: true, reason: 'No policy rule matched; default allow' })
  })

  void it('defaultAllow does not override a matching deny', async () => {
    const engine = new PolicyEngine({
      defaultAllow: true,
      rules: [{ effect: 'deny', actions: ['users:read'], resources: ['users'] }],
    })
    assert.equal((await engine.evaluate(ctx)).allowed, false)
  })

  void it('matches actions and resources exactly, by "*" or by scope wildcards', async () => {
    const allowed = async (
      actions: string[],
      resources: string[],
      action: string,
      resource = 'users',
    ) =>
      (
        await new PolicyEngine({ rules: [{ effect: 'allow', actions, resources }] }).evaluate({
          action,
          resource,
        })
      ).allowed
    assert.equal(await allowed(['users:read'], ['users'], 'users:read'), true)
    assert.equal(await allowed(['users:read'], ['users'], 'users:write'), false)
    assert.equal(await allowed(['*'], ['users'], 'anything'), true)
    assert.equal(await allowed(['users:*'], ['users'], 'users:read'), true)
    assert.equal(await allowed(['users:*'], ['users'], 'users:read:all'), true)
    assert.equal(await allowed(['users:*'], ['users'], 'users'), true)
    assert.equal(await allowed(['users:*'], ['users'], 'usersx:read'), false)
    assert.equal(await allowed(['users:read'], ['*'], 'users:read', 'docs'), true)
    assert.equal(await allowed(['users:read'], ['docs:*'], 'users:read', 'docs:42'), true)
    assert.equal(await allowed(['users:read'], ['docs:*'], 'users:read', 'users'), false)
    assert.equal(await allowed(['users:read'], ['users'], '*'), false, '"*" requested is literal')
    assert.equal(await allowed(['Users:Read'], ['users'], 'users:read'), false, 'case-sensitive')
    assert.equal(await allowed(['a', 'users:read'], ['users'], 'users:read'), true, 'any entry')
  })

  void it('uses the rule reason, or "Policy rule <effect> matched"', async () => {
    const allow = await new PolicyEngine({
      rules: [{ effect: 'allow', actions: ['*'], resources: ['*'] }],
    }).evaluate(ctx)
    assert.equal(allow.allowed, true)
    assert.equal(allow.reason, 'Policy rule allow matched')
    const deny = await new PolicyEngine({
      rules: [{ effect: 'deny', actions: ['*'], resources: ['*'] }],
    }).evaluate(ctx)
    assert.equal(deny.allowed, false)
    assert.equal(deny.reason, 'Policy rule deny matched')
    const custom = await new PolicyEngine({
      rules: [{ effect: 'allow', actions: ['*'], resources: ['*'], reason: 'open' }],
    }).evaluate(ctx)
    assert.equal(custom.reason, 'open')
  })

  void it('deny beats allow whatever the order, and the first matching deny decides', async () => {
    const rules: PolicyRule[] = [
      { effect: 'allow', actions: ['users:*'], resources: ['users'] },
      {
        effect: 'deny',
        actions: ['users:delete'],
        resources: ['users'],
        reason: 'delete disabled',
      },
      { effect: 'deny', actions: ['users:*'], resources: ['users'], reason: 'second deny' },
    ]
    const engine = new PolicyEngine({ rules })
    const denied = await engine.evaluate({ action: 'users:delete', resource: 'users' })
    assert.deepEqual([denied.allowed, denied.reason], [false, 'delete disabled'])
    assert.equal(denied.rule?.reason, 'delete disabled')
    const reversed = new PolicyEngine({ rules: [rules[1] as PolicyRule, rules[0] as PolicyRule] })
    const again = await reversed.evaluate({ action: 'users:delete', resource: 'users' })
    assert.deepEqual([again.allowed, again.reason], [false, 'delete disabled'])
  })

  void it('stops at the first matching deny: later rules and their evaluators never run', async () => {
    let ran = 0
    const engine = new PolicyEngine({
      rules: [
        { effect: 'deny', actions: ['*'], resources: ['*'], reason: 'first' },
        {
          effect: 'allow',
          actions: ['*'],
          resources: ['*'],
          evaluators: [
            () => {
              ran++
              return true
            },
          ],
        },
      ],
    })
    assert.equal((await engine.evaluate(ctx)).reason, 'first')
    assert.equal(ran, 0)
  })

  void it('the last matching allow wins', async () => {
    const engine = new PolicyEngine({
      rules: [
        { effect: 'allow', actions: ['*'], resources: ['*'], reason: 'first allow' },
        { effect: 'allow', actions: ['users:read'], resources: ['users'], reason: 'second allow' },
        { effect: 'allow', actions: ['nope'], resources: ['*'], reason: 'not matching' },
      ],
    })
    const decision = await engine.evaluate(ctx)
    assert.deepEqual([decision.allowed, decision.reason], [true, 'second allow'])
  })

  void it('requires the rule scopes of the token, all or any, with wildcards', async () => {
    const rule = (scopes: string[], allScopesRequired?: boolean): PolicyRule => ({
      effect: 'allow',
      actions: ['users:ban'],
      resources: ['users'],
      scopes,
      ...(allScopesRequired === undefined ? {} : { allScopesRequired }),
    })
    const check = async (r: PolicyRule, payload: TokenPayload | null) =>
      (
        await new PolicyEngine({ rules: [r] }).evaluate({
          action: 'users:ban',
          resource: 'users',
          payload,
        })
      ).allowed
    const admin = payloadWith({ scopes: ['admin:*'] })
    const reader = payloadWith({ scopes: ['read'] })
    const none = payloadWith()
    assert.equal(await check(rule(['admin:*']), admin), true)
    assert.equal(await check(rule(['admin:users']), admin), true)
    assert.equal(await check(rule(['admin:users']), reader), false)
    assert.equal(await check(rule(['admin:users', 'read']), admin), false, 'all required')
    assert.equal(await check(rule(['admin:users', 'read'], false), reader), true, 'any')
    assert.equal(await check(rule(['read']), none), false, 'no scopes claim')
    assert.equal(await check(rule(['read']), null), false, 'no payload')
    assert.equal(await check(rule([]), null), true, 'an empty scope list asks nothing')
  })

  void it('runs global evaluators, then rule evaluators, sync or async, with the context and rule', async () => {
    const calls: string[] = []
    const seen: { context?: EvaluatedPolicyContext; rule?: PolicyRule } = {}
    const engine = new PolicyEngine({
      evaluators: [
        (context, rule) => {
          calls.push('global-sync')
          seen.context = context
          seen.rule = rule
          return true
        },
      ],
    })
    engine.addEvaluator(async () => {
      calls.push('global-async')
      await Promise.resolve()
      return true
    })
    engine.addRule({
      effect: 'allow',
      actions: ['*'],
      resources: ['*'],
      reason: 'evaluated',
      evaluators: [
        () => {
          calls.push('rule-sync')
          return true
        },
        async () => {
          calls.push('rule-async')
          return Promise.resolve(true)
        },
      ],
    })
    const payload = payloadWith({ data: { team: 'red' } })
    const decision = await engine.evaluate({ ...ctx, payload, loginType: 'user' })
    assert.equal(decision.reason, 'evaluated')
    assert.deepEqual(calls, ['global-sync', 'global-async', 'rule-sync', 'rule-async'])
    assert.equal(seen.rule?.reason, 'evaluated')
    assert.equal(seen.context?.action, 'users:read')
    assert.equal(seen.context?.loginType, 'user')
    assert.equal(seen.context?.payload, payload)
    assert.deepEqual(seen.context?.subject, defaultPolicySubject(payload))
    assert.deepEqual(seen.context?.resourceAttrs, {})
    assert.ok(seen.context?.environment.time instanceof Date)
  })

  void it('a falsy evaluator result (sync or async) means the rule does not match', async () => {
    for (const evaluator of [() => false, async () => Promise.resolve(false)]) {
      const engine = new PolicyEngine({
        rules: [
          { effect: 'deny', actions: ['*'], resources: ['*'], evaluators: [evaluator] },
          { effect: 'allow', actions: ['*'], resources: ['*'], reason: 'fallback allow' },
        ],
      })
      const decision = await engine.evaluate(ctx)
      assert.deepEqual([decision.allowed, decision.reason], [true, 'fallback allow'])
    }
  })

  void it('does not run evaluators for rules whose action, scopes or conditions do not match', async () => {
    let ran = 0
    const evaluator = () => {
      ran++
      return true
    }
    const engine = new PolicyEngine({
      evaluators: [evaluator],
      rules: [
        { effect: 'allow', actions: ['other'], resources: ['*'] },
        { effect: 'allow', actions: ['*'], resources: ['other'] },
        { effect: 'allow', actions: ['*'], resources: ['*'], scopes: ['admin'] },
        {
          effect: 'allow',
          actions: ['*'],
          resources: ['*'],
          conditions: [{ source: 'subject', key: 'x', operator: 'exists' }],
        },
      ],
    })
    assert.equal((await engine.evaluate(ctx)).allowed, false)
    assert.equal(ran, 0)
  })

  void it('an evaluator that throws propagates its error (no silent allow)', async () => {
    const engine = new PolicyEngine({
      rules: [
        {
          effect: 'allow',
          actions: ['*'],
          resources: ['*'],
          evaluators: [
            () => {
              throw new Error('database down')
            },
          ],
        },
      ],
    })
    await assert.rejects(engine.evaluate(ctx), { message: 'database down' })
  })

  void it('rejects a context without string action and resource', async () => {
    const engine = new PolicyEngine()
    await assert.rejects(engine.evaluate({ action: 1 } as unknown as PolicyContext), TypeError)
  })

  void it('lists its rules as frozen copies in order', () => {
    const rule: PolicyRule = { effect: 'allow', actions: ['a'], resources: ['r'] }
    const engine = new PolicyEngine({ rules: [rule] })
    engine.addRule({ effect: 'deny', actions: ['b'], resources: ['r'] })
    assert.deepEqual(
      engine.rules.map((r) => r.actions[0]),
      ['a', 'b'],
    )
    assert.ok(Object.isFrozen(engine.rules[0]))
    assert.notEqual(engine.rules[0], rule)
    assert.equal(engine.defaultAllow, false)
  })

  void it('keeps the rule as validated even if the caller mutates it afterwards', async () => {
    const actions = ['users:read']
    const conditions: PolicyCondition[] = [{ source: 'subject', key: 'team', value: 'red' }]
    const rule: PolicyRule = { effect: 'allow', actions, resources: ['users'], conditions }
    const engine = new PolicyEngine()
    engine.addRule(rule)
    actions.push('users:delete')
    ;(conditions[0] as { value: unknown }).value = 'blue'
    ;(rule as { effect: string }).effect = 'deny'
    const decision = await engine.evaluate({ ...ctx, subject: { team: 'red' } })
    assert.equal(decision.allowed, true)
    assert.equal(
      (await engine.evaluate({ action: 'users:delete', resource: 'users' })).allowed,
      false,
    )
  })
})

void describe('policy rules: validation', () => {
  const base: PolicyRule = { effect: 'allow', actions: ['a'], resources: ['r'] }
  const bad = (patch: Record<string, unknown>): PolicyRule => ({ ...base, ...patch })

  const cases: [string, unknown, RegExp][] = [
    ['not an object', null, /^TypeError: rule: expected an object/],
    ['unknown effect', bad({ effect: 'permit' }), /rule\.effect: expected "allow" or "deny"/],
    ['missing actions', bad({ actions: undefined }), /rule\.actions: expected a non-empty array/],
    ['empty actions', bad({ actions: [] }), /rule\.actions/],
    ['non-string action', bad({ actions: [1] }), /rule\.actions/],
    ['a string, not an array', bad({ resources: 'users' }), /rule\.resources/],
    ['conditions not an array', bad({ conditions: {} }), /rule\.conditions: expected an array/],
    [
      'condition not an object',
      bad({ conditions: ['x'] }),
      /rule\.conditions\[0\]: expected an object/,
    ],
    [
      'unknown source',
      bad({ conditions: [{ source: 'user', key: 'a' }] }),
      /rule\.conditions\[0\]\.source: expected one of subject, resource, environment, token, got user/,
    ],
    [
      'unknown operator',
      bad({ conditions: [{ source: 'subject', key: 'a', operator: 'matches' }] }),
      /rule\.conditions\[0\]\.operator: expected one of .*got matches/,
    ],
    [
      'empty key',
      bad({ conditions: [{ source: 'subject', key: '' }] }),
      /rule\.conditions\[0\]\.key/,
    ],
    [
      'empty path segment',
      bad({ conditions: [{ source: 'subject', key: 'a..b' }] }),
      /rule\.conditions\[0\]\.key/,
    ],
    [
      'non-string key',
      bad({ conditions: [{ source: 'subject', key: 1 }] }),
      /rule\.conditions\[0\]\.key/,
    ],
    [
      'a "__proto__" path segment',
      bad({ conditions: [{ source: 'token', key: '__proto__.role', value: 'admin' }] }),
      /rule\.conditions\[0\]\.key: "__proto__" cannot be a path segment/,
    ],
    [
      'a "constructor" path segment',
      bad({ conditions: [{ source: 'subject', key: 'profile.constructor' }] }),
      /rule\.conditions\[0\]\.key: "constructor" cannot be a path segment/,
    ],
    [
      'a "prototype" path segment',
      bad({ conditions: [{ source: 'resource', key: 'a.prototype.b', operator: 'exists' }] }),
      /rule\.conditions\[0\]\.key: "prototype" cannot be a path segment/,
    ],
    [
      'comparison without a comparable value',
      bad({ conditions: [{ source: 'subject', key: 'age', operator: 'gt', value: { n: 1 } }] }),
      /rule\.conditions\[0\]\.value: gt needs a number, bigint, string or Date/,
    ],
    [
      'comparison with no value',
      bad({ conditions: [{ source: 'subject', key: 'age', operator: 'lte' }] }),
      /lte needs/,
    ],
    ['scopes not strings', bad({ scopes: [1] }), /rule\.scopes: expected an array of strings/],
    ['allScopesRequired not boolean', bad({ allScopesRequired: 'yes' }), /rule\.allScopesRequired/],
    ['evaluators not functions', bad({ evaluators: [true] }), /rule\.evaluators/],
    ['evaluators not an array', bad({ evaluators: () => true }), /rule\.evaluators/],
    ['empty reason', bad({ reason: '' }), /rule\.reason: expected a non-empty string/],
    ['non-string reason', bad({ reason: 403 }), /rule\.reason/],
  ]

  for (const [name, rule, message] of cases) {
    void it(`addRule throws a TypeError: ${name}`, () => {
      const engine = new PolicyEngine()
      assert.throws(
        () => engine.addRule(rule as PolicyRule),
        (error: unknown) => {
          assert.ok(error instanceof TypeError)
          assert.match(String(error), message)
          return true
        },
      )
      assert.equal(engine.rules.length, 0, 'nothing was added')
    })
  }

  void it('the constructor names the bad rule by index', () => {
    assert.throws(() => new PolicyEngine({ rules: [base, bad({ effect: 'nope' })] }), {
      name: 'TypeError',
      message: /^rules\[1\]\.effect/,
    })
  })

  void it('the constructor rejects non-array rules and evaluators, and a non-boolean defaultAllow', () => {
    assert.throws(() => new PolicyEngine({ rules: base as unknown as PolicyRule[] }), TypeError)
    assert.throws(() => new PolicyEngine({ evaluators: (() => true) as never }), TypeError)
    assert.throws(
      () => new PolicyEngine({ evaluators: ['x' as never] }),
      /evaluator: expected a function/,
    )
    assert.throws(() => new PolicyEngine({ defaultAllow: 'yes' as never }), /defaultAllow/)
  })

  void it('addEvaluator rejects a non-function', () => {
    assert.throws(() => new PolicyEngine().addEvaluator(null as never), TypeError)
  })

  void it('accepts every valid operator and source, and fills defaults', () => {
    const operators: PolicyOperator[] = [
      'equals',
      'not_equals',
      'in',
      'not_in',
      'contains',
      'gt',
      'gte',
      'lt',
      'lte',
      'exists',
    ]
    const sources: PolicySource[] = ['subject', 'resource', 'environment', 'token']
    const rule = validatePolicyRule({
      ...base,
      conditions: [
        ...operators.map((operator) => ({
          source: 'subject' as const,
          key: 'a',
          operator,
          value: 1,
        })),
        ...sources.map((source) => ({ source, key: 'a.b' })),
        { source: 'environment', key: 'time', operator: 'lt', value: new Date(0) },
        { source: 'environment', key: 'n', operator: 'gt', value: 1n },
        { source: 'environment', key: 's', operator: 'gte', value: 'a' },
      ],
    })
    assert.equal(rule.conditions?.length, operators.length + sources.length + 3)
    assert.equal(rule.conditions?.[operators.length]?.operator, 'equals')
    assert.equal(rule.allScopesRequired, true)
    assert.deepEqual(rule.evaluators, [])
    assert.equal(rule.scopes, undefined)
  })
})

void describe('policy environment', () => {
  void it('has time, UTC hour and weekday with Monday as 0', () => {
    const monday = new Date('2024-01-01T09:30:00Z')
    const env = buildPolicyEnvironment({ now: monday })
    assert.deepEqual(env, { time: monday, hour: 9, weekday: 0 })
    assert.equal(buildPolicyEnvironment({ now: new Date('2024-01-07T23:59:59Z') }).weekday, 6)
    assert.equal(buildPolicyEnvironment({ now: new Date('2024-01-07T23:59:59Z') }).hour, 23)
  })

  void it('defaults the time to now', () => {
    const before = Date.now()
    const env = buildPolicyEnvironment()
    const time = (env.time as Date).getTime()
    assert.ok(time >= before && time <= Date.now())
  })

  void it('adds method, path and client_ip from a request view', () => {
    const view = {
      method: 'DELETE',
      path: '/users/7',
      ip: '10.0.0.1',
    } as unknown as RequestView
    const env = buildPolicyEnvironment({ request: view, now: new Date(0) })
    assert.equal(env.method, 'DELETE')
    assert.equal(env.path, '/users/7')
    assert.equal(env.client_ip, '10.0.0.1')
    const noIp = buildPolicyEnvironment({ request: { method: 'GET', path: '/' } as RequestView })
    assert.equal(Object.hasOwn(noIp, 'client_ip'), false, 'unknown address: no key')
  })

  void it('adds method and path from a Fetch Request', () => {
    const env = buildPolicyEnvironment({
      request: new Request('http://localhost/reports/1?x=1', { method: 'post' }),
    })
    assert.equal(env.method, 'POST')
    assert.equal(env.path, '/reports/1')
  })

  void it('lets overrides replace and extend values, without touching the prototype', () => {
    const overrides = JSON.parse('{"hour": 3, "tenant": "acme", "__proto__": {"x": 1}}') as Record<
      string,
      unknown
    >
    const env = buildPolicyEnvironment({ now: new Date(0), overrides })
    assert.equal(env.hour, 3)
    assert.equal(env.tenant, 'acme')
    assert.equal(Object.getPrototypeOf(env), Object.prototype)
    // The override stays an own key, and like every prototype name it reads as missing.
    assert.ok(Object.hasOwn(env, '__proto__'))
    assert.equal(readPolicyAttribute(env, '__proto__'), undefined)
  })

  void it('is built for evaluate when the context has none, and conditions read it', async () => {
    const engine = new PolicyEngine({
      rules: [
        {
          effect: 'allow',
          actions: ['*'],
          resources: ['*'],
          conditions: [{ source: 'environment', key: 'method', value: 'GET' }],
        },
      ],
    })
    const view = { method: 'GET', path: '/' } as RequestView
    assert.equal(
      (await engine.evaluate({ action: 'a', resource: 'r', request: view })).allowed,
      true,
    )
    const post = { method: 'POST', path: '/' } as RequestView
    assert.equal(
      (await engine.evaluate({ action: 'a', resource: 'r', request: post })).allowed,
      false,
    )
  })

  void it('time conditions compare Dates and hours', async () => {
    const at = (iso: string) => ({ environment: buildPolicyEnvironment({ now: new Date(iso) }) })
    const officeHours: PolicyCondition[] = [
      { source: 'environment', key: 'hour', operator: 'gte', value: 9 },
      { source: 'environment', key: 'hour', operator: 'lt', value: 18 },
      { source: 'environment', key: 'weekday', operator: 'lt', value: 5 },
    ]
    const engine = new PolicyEngine({
      rules: [{ effect: 'allow', actions: ['*'], resources: ['*'], conditions: officeHours }],
    })
    const ctx = { action: 'a', resource: 'r' }
    assert.equal((await engine.evaluate({ ...ctx, ...at('2024-01-03T10:00:00Z') })).allowed, true)
    assert.equal((await engine.evaluate({ ...ctx, ...at('2024-01-03T18:00:00Z') })).allowed, false)
    assert.equal((await engine.evaluate({ ...ctx, ...at('2024-01-06T10:00:00Z') })).allowed, false)
    const before = new PolicyEngine({
      rules: [
        {
          effect: 'allow',
          actions: ['*'],
          resources: ['*'],
          conditions: [
            {
              source: 'environment',
              key: 'time',
              operator: 'lt',
              value: new Date('2025-01-01T00:00:00Z'),
            },
          ],
        },
      ],
    })
    assert.equal((await before.evaluate({ ...ctx, ...at('2024-12-31T23:59:59Z') })).allowed, true)
    assert.equal((await before.evaluate({ ...ctx, ...at('2025-01-01T00:00:00Z') })).allowed, false)
  })
})
