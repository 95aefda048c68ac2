/**
 * Scope guards: AND / OR, `:*` wildcards on the granted side, the 403 body and challenge
 * (AuthX scenarios 68-78).
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { TestApp } from './driver.ts'
import { DRIVERS } from './drivers/index.ts'
import { baseOptions, bearer, expectOk, expectRefused } from './helpers.ts'

for (const driver of DRIVERS) {
  void describe(`scopes [${driver.name}]`, () => {
    let app: TestApp
    const tokenWith = (scopes?: string[]): Record<string, string> =>
      bearer(app.auth.createAccessToken('alice', scopes === undefined ? {} : { scopes }))

    /** Expects a 403 for `granted` on `path` requiring `required`. */
    async function expectForbidden(
      path: string,
      required: string[],
      granted: string[] | undefined,
    ): Promise<void> {
      const provided = granted ?? []
      const list = (scopes: string[]): string => (scopes.length === 0 ? 'none' : scopes.join(', '))
      await expectRefused(
        app,
        { method: 'GET', path, headers: tokenWith(granted) },
        {
          errorType: 'InsufficientScopeError',
          detail: `Missing required scopes: ${list(required)}. Provided: ${list(provided)}`,
          extra: { required_scopes: required, provided_scopes: provided },
          challenge: { kind: 'insufficient_scope', scope: required.join(' ') },
        },
      )
    }

    before(async () => {
      app = await driver.build(baseOptions(), [
        { method: 'GET', path: '/read', guard: { kind: 'scopes', scopes: ['read'] } },
        {
          method: 'GET',
          path: '/read-write',
          guard: { kind: 'scopes', scopes: ['read', 'write'] },
        },
        {
          method: 'GET',
          path: '/admin-or-moderator',
          guard: { kind: 'scopes', scopes: ['admin', 'moderator'], all: false },
        },
        { method: 'GET', path: '/users-read', guard: { kind: 'scopes', scopes: ['users:read'] } },
        { method: 'GET', path: '/admin-users', guard: { kind: 'scopes', scopes: ['admin:users'] } },
        { method: 'GET', path: '/admin', guard: { kind: 'scopes', scopes: ['admin'] } },
        {
          method: 'GET',
          path: '/admin-users-edit',
          guard: { kind: 'scopes', scopes: ['admin:users:edit'] },
        },
        {
          method: 'GET',
          path: '/administrator',
          guard: { kind: 'scopes', scopes: ['administrator'] },
        },
        { method: 'GET', path: '/admin-star', guard: { kind: 'scopes', scopes: ['admin:*'] } },
        { method: 'GET', path: '/none-all', guard: { kind: 'scopes', scopes: [] } },
        { method: 'GET', path: '/none-any', guard: { kind: 'scopes', scopes: [], all: false } },
        {
          method: 'GET',
          path: '/profile',
          guard: { kind: 'scopes', scopes: ['profile:read'] },
        },
      ])
    })
    after(() => app.close())

    void test('68. the required scope opens the route', async () => {
      await expectOk(app, { method: 'GET', path: '/read', headers: tokenWith(['read']) })
      await expectOk(app, { method: 'GET', path: '/read', headers: tokenWith(['write', 'read']) })
    })

    void test('69. another scope: 403 with required_scopes, provided_scopes and the challenge', async () => {
      await expectForbidden('/read', ['read'], ['write'])
    })

    void test('70. AND: every scope is needed', async () => {
      await expectForbidden('/read-write', ['read', 'write'], ['read'])
      await expectOk(app, {
        method: 'GET',
        path: '/read-write',
        headers: tokenWith(['read', 'write']),
      })
    })

    void test('71. OR: any one scope is enough', async () => {
      await expectOk(app, {
        method: 'GET',
        path: '/admin-or-moderator',
        headers: tokenWith(['admin']),
      })
      await expectOk(app, {
        method: 'GET',
        path: '/admin-or-moderator',
        headers: tokenWith(['moderator']),
      })
      await expectForbidden('/admin-or-moderator', ['admin', 'moderator'], ['user'])
    })

    void test('72-73. hierarchical scopes and a granted admin:*', async () => {
      await expectOk(app, {
        method: 'GET',
        path: '/users-read',
        headers: tokenWith(['users:read']),
      })
      await expectOk(app, { method: 'GET', path: '/admin-users', headers: tokenWith(['admin:*']) })
      await expectForbidden('/admin-users', ['admin:users'], ['users:*'])
    })

    void test('74. a token without a scopes claim: 403, provided none', async () => {
      await expectForbidden('/read', ['read'], undefined)
      await expectForbidden('/read', ['read'], [])
    })

    void test('75. the handler sees the scopes in order', async () => {
      const res = await expectOk(app, {
        method: 'GET',
        path: '/profile',
        headers: tokenWith(['profile:read', 'profile:write']),
      })
      assert.deepEqual((res.body as { scopes: string[] }).scopes, ['profile:read', 'profile:write'])
    })

    void test('76. admin:* grants admin, admin:users, admin:users:edit; not administrator', async () => {
      for (const path of ['/admin', '/admin-users', '/admin-users-edit'])
        await expectOk(app, { method: 'GET', path, headers: tokenWith(['admin:*']) })
      await expectForbidden('/administrator', ['administrator'], ['admin:*'])
      await expectForbidden('/read', ['read'], ['*'])
    })

    void test('76. a required admin:* is met by a granted admin:* only (wildcards are granted-side)', async () => {
      await expectOk(app, { method: 'GET', path: '/admin-star', headers: tokenWith(['admin:*']) })
      await expectForbidden('/admin-star', ['admin:*'], ['admin:users'])
      await expectForbidden('/admin-star', ['admin:*'], ['admin'])
    })

    void test('76. scopes are case-sensitive', async () => {
      await expectForbidden('/read', ['read'], ['READ'])
    })

    void test('76. empty required: AND passes, OR fails unless the token has no scopes claim', async () => {
      await expectOk(app, { method: 'GET', path: '/none-all', headers: tokenWith(['x']) })
      await expectOk(app, { method: 'GET', path: '/none-all', headers: tokenWith(undefined) })
      await expectOk(app, { method: 'GET', path: '/none-any', headers: tokenWith(undefined) })
      await expectRefused(
        app,
        { method: 'GET', path: '/none-any', headers: tokenWith(['x']) },
        {
          errorType: 'InsufficientScopeError',
          detail: 'Missing required scopes: none. Provided: x',
          extra: { required_scopes: [], provided_scopes: ['x'] },
          challenge: { kind: 'insufficient_scope', scope: '' },
        },
      )
    })

    void test('77. a refresh token on a scope route: 401 AccessTokenRequiredError first', async () => {
      await expectRefused(
        app,
        {
          method: 'GET',
          path: '/read',
          headers: bearer(app.auth.createRefreshToken('alice', { scopes: ['read'] })),
        },
        { errorType: 'AccessTokenRequiredError' },
      )
    })

    void test('no token on a scope route: 401 MissingTokenError, not 403', async () => {
      await expectRefused(app, { method: 'GET', path: '/read' }, { errorType: 'MissingTokenError' })
    })

    void test('78. the scopes claim is kept exactly: order, [] and absence', async () => {
      const res = await expectOk(app, {
        method: 'GET',
        path: '/none-all',
        headers: tokenWith(['b', 'a', 'b']),
      })
      assert.deepEqual((res.body as { scopes: unknown }).scopes, ['b', 'a', 'b'])
      const empty = await expectOk(app, {
        method: 'GET',
        path: '/none-all',
        headers: tokenWith([]),
      })
      assert.deepEqual((empty.body as { scopes: unknown }).scopes, [])
      const absent = await expectOk(app, { method: 'GET', path: '/none-all', headers: tokenWith() })
      assert.equal((absent.body as { scopes: unknown }).scopes, null)
    })
  })
}
