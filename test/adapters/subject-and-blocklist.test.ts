/**
 * The subject getter behind `currentSubject`, and revocation: the blocklist callback (sync and
 * async) and `revokeToken` (AuthX scenarios 55-67, with our fixes: revocation is decided after
 * the signature check, and a getter that finds nothing gives 401).
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { TestApp } from './driver.ts'
import { DRIVERS } from './drivers/index.ts'
import { baseOptions, bearer, cookies, csrfOf, expectOk, expectRefused } from './helpers.ts'

const USERS: Record<string, { uid: string; email: string }> = {
  test: { uid: 'test', email: 'test@test.com' },
  foo: { uid: 'foo', email: 'foo@bar.com' },
}

for (const driver of DRIVERS) {
  for (const mode of ['sync', 'async'] as const) {
    void describe(`subject getter, ${mode} [${driver.name}]`, () => {
      let app: TestApp
      const seen: string[] = []

      before(async () => {
        app = await driver.build(
          baseOptions(),
          [{ method: 'GET', path: '/entity/subject', guard: { kind: 'subject' } }],
          {
            setup: (auth) => {
              auth.setSubjectGetter((sub) => {
                seen.push(sub)
                const user = USERS[sub] ?? null
                return mode === 'sync' ? user : Promise.resolve(user)
              })
            },
          },
        )
      })
      after(() => app.close())

      void test('62. no token: 401 MissingTokenError, the getter is not called', async () => {
        seen.length = 0
        await expectRefused(
          app,
          { method: 'GET', path: '/entity/subject' },
          { errorType: 'MissingTokenError' },
        )
        assert.deepEqual(seen, [])
      })

      void test('63/67. an access token: 200 with the subject the getter returned', async () => {
        const res = await expectOk(app, {
          method: 'GET',
          path: '/entity/subject',
          headers: bearer(app.auth.createAccessToken('test')),
        })
        assert.deepEqual(res.body, { subject: { uid: 'test', email: 'test@test.com' } })
      })

      void test('64. a refresh token: 401 AccessTokenRequiredError', async () => {
        await expectRefused(
          app,
          {
            method: 'GET',
            path: '/entity/subject',
            headers: bearer(app.auth.createRefreshToken('test')),
          },
          { errorType: 'AccessTokenRequiredError' },
        )
      })

      void test('65. the getter finds nothing: 401 SubjectNotFoundError', async () => {
        await expectRefused(
          app,
          {
            method: 'GET',
            path: '/entity/subject',
            headers: bearer(app.auth.createAccessToken('ghost')),
          },
          { errorType: 'SubjectNotFoundError' },
        )
      })
    })
  }

  void describe(`subject getter missing [${driver.name}]`, () => {
    void test('66. no getter registered: a server error, never a 200', async () => {
      const app = await driver.build(baseOptions(), [
        { method: 'GET', path: '/s', guard: { kind: 'subject' } },
      ])
      try {
        const res = await app.request({
          method: 'GET',
          path: '/s',
          headers: bearer(app.auth.createAccessToken('test')),
        })
        assert.equal(res.status, 500)
        assert.equal(app.handlerRuns('/s'), 0)
        assert.doesNotMatch(res.text, /eyJ/)
      } finally {
        await app.close()
      }
    })
  })

  for (const mode of ['sync', 'async'] as const) {
    void describe(`blocklist callback, ${mode} [${driver.name}]`, () => {
      let app: TestApp
      const blocked = new Set<string>()
      const calls: string[] = []

      before(async () => {
        app = await driver.build(
          baseOptions({ tokenLocation: ['headers', 'cookies'] }),
          [
            { method: 'POST', path: '/protected/access', guard: { kind: 'access' } },
            { method: 'POST', path: '/protected/refresh', guard: { kind: 'refresh' } },
          ],
          {
            setup: (auth) => {
              auth.setTokenBlocklist((token, payload) => {
                calls.push(token)
                const hit = blocked.has(payload.jti ?? '') || blocked.has(token)
                return mode === 'sync' ? hit : Promise.resolve(hit)
              })
            },
          },
        )
      })
      after(() => app.close())

      void test('55. a token works until its jti is blocked, then 401 RevokedTokenError', async () => {
        const token = app.auth.createAccessToken('alice')
        await expectOk(app, { method: 'POST', path: '/protected/access', headers: bearer(token) })
        blocked.add(String((await app.auth.verifyToken(token)).jti))
        await expectRefused(
          app,
          { method: 'POST', path: '/protected/access', headers: bearer(token) },
          { errorType: 'RevokedTokenError' },
        )
        // Other tokens of the same subject are untouched.
        await expectOk(app, {
          method: 'POST',
          path: '/protected/access',
          headers: bearer(app.auth.createAccessToken('alice')),
        })
      })

      void test('56. a blocked refresh token from a cookie: 401 RevokedTokenError', async () => {
        const refresh = app.auth.createRefreshToken('alice')
        blocked.add(refresh)
        await expectRefused(
          app,
          {
            method: 'POST',
            path: '/protected/refresh',
            headers: {
              ...cookies({ refresh_token_cookie: refresh }),
              'x-csrf-token': csrfOf(refresh),
            },
          },
          { errorType: 'RevokedTokenError' },
        )
      })

      void test('60. the callback runs after the signature check: garbage is JWTDecodeError', async () => {
        blocked.add('garbage')
        calls.length = 0
        await expectRefused(
          app,
          { method: 'POST', path: '/protected/access', headers: bearer('garbage') },
          { errorType: 'JWTDecodeError' },
        )
        assert.deepEqual(calls, [], 'an unverified token never reaches the callback')
      })
    })
  }

  void describe(`blocklist edge cases [${driver.name}]`, () => {
    void test('58. no callback: nothing is revoked', async () => {
      const app = await driver.build(baseOptions(), [
        { method: 'GET', path: '/p', guard: { kind: 'access' } },
      ])
      try {
        await expectOk(app, {
          method: 'GET',
          path: '/p',
          headers: bearer(app.auth.createAccessToken('alice')),
        })
      } finally {
        await app.close()
      }
    })

    void test('59. a callback answering null or undefined means not revoked', async () => {
      for (const answer of [null, undefined]) {
        const app = await driver.build(
          baseOptions(),
          [{ method: 'GET', path: '/p', guard: { kind: 'access' } }],
          // A JavaScript callback may return nothing; that is "not revoked".
          { setup: (auth) => auth.setTokenBlocklist(() => answer as unknown as boolean) },
        )
        try {
          await expectOk(app, {
            method: 'GET',
            path: '/p',
            headers: bearer(app.auth.createAccessToken('alice')),
          })
        } finally {
          await app.close()
        }
      }
    })

    void test('a callback that throws or rejects fails closed: 503 StoreUnavailableError', async () => {
      for (const callback of [
        (): boolean => {
          throw new Error('db down')
        },
        (): Promise<boolean> => Promise.reject(new Error('db down')),
      ]) {
        const app = await driver.build(
          baseOptions(),
          [{ method: 'GET', path: '/p', guard: { kind: 'access' } }],
          { setup: (auth) => auth.setTokenBlocklist(callback) },
        )
        try {
          const res = await expectRefused(
            app,
            { method: 'GET', path: '/p', headers: bearer(app.auth.createAccessToken('alice')) },
            { status: 503, errorType: 'StoreUnavailableError' },
          )
          assert.doesNotMatch(res.text, /db down/, 'the cause stays on the server')
        } finally {
          await app.close()
        }
      }
    })

    void test('revokeToken revokes by jti through the store', async () => {
      const app = await driver.build(baseOptions(), [
        { method: 'GET', path: '/p', guard: { kind: 'access' } },
      ])
      try {
        const token = app.auth.createAccessToken('alice')
        const other = app.auth.createAccessToken('alice')
        await expectOk(app, { method: 'GET', path: '/p', headers: bearer(token) })
        await app.auth.revokeToken(token)
        await expectRefused(
          app,
          { method: 'GET', path: '/p', headers: bearer(token) },
          { errorType: 'RevokedTokenError' },
        )
        await expectOk(app, { method: 'GET', path: '/p', headers: bearer(other) })
      } finally {
        await app.close()
      }
    })
  })
}
