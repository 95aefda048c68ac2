/**
 * Refresh-token rotation with reuse detection (RFC 9700 section 4.14), on both stores: what a
 * refresh carries over, reuse killing the whole family, refresh after logout, no scope growth,
 * the family's absolute lifetime, concurrent refreshes of one token, and the quickstart's token
 * responses. MemoryStore runs on the injected clock; RedisStore runs against the suite's
 * throw-away redis-server under a random prefix removed at the end.
 */
import assert from 'node:assert/strict'
import { performance } from 'node:perf_hooks'
import { after, before, describe, test } from 'node:test'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { buildApp } from '../../examples/quickstart-fastify/app.ts'
import { AuthX } from '../../src/adapters/fastify.ts'
import { InsufficientScopeError, RevokedTokenError, TokenExpiredError } from '../../src/errors.ts'
import { RedisStore } from '../../src/stores/redis.ts'
import { claimsOf, storeSuite } from '../helpers/store-suite.ts'

const { SECRET, START, redis, BACKENDS, world } = await storeSuite('rotation', {
  refreshRotation: true,
})

for (const backend of BACKENDS) {
  void describe(`refresh-token rotation [${backend.name}]`, () => {
    void test('a refresh issues a new pair that keeps sub, custom claims, scopes, aud and sid', async () => {
      const { auth, time } = world(backend, { decodeAudience: 'api' })
      const first = auth.createTokenPair('alice', {
        fresh: true,
        data: { role: 'admin', tenant: 7 },
        audience: 'api',
        accessScopes: ['read'],
        refreshScopes: ['read', 'write'],
        sessionId: 'session-1',
      })
      const old = claimsOf(first.refresh_token)
      assert.equal(typeof old.fam, 'string')
      assert.equal(claimsOf(first.access_token).fam, old.fam, 'the access token joins the family')
      time.now += 60
      const next = await auth.refresh(first.refresh_token)
      assert.equal(next.token_type, 'bearer')
      const access = claimsOf(next.access_token)
      const refresh = claimsOf(next.refresh_token)
      for (const claims of [access, refresh]) {
        assert.equal(claims.sub, 'alice')
        assert.equal(claims.role, 'admin')
        assert.equal(claims.tenant, 7)
        assert.equal(claims.aud, 'api')
        assert.deepEqual(claims.scopes, ['read', 'write'])
        assert.equal(claims.sid, 'session-1')
        assert.equal(claims.fam, old.fam, 'same family')
        assert.equal(claims.iat, START + 60)
      }
      assert.equal(access.type, 'access')
      assert.equal(access.fresh, false, 'a refreshed access token is never fresh')
      assert.equal(refresh.type, 'refresh')
      assert.equal(refresh.fam_exp, old.fam_exp, 'the family deadline does not move')
      assert.notEqual(refresh.jti, old.jti)
      assert.notEqual(next.refresh_token, first.refresh_token)
      // Both new tokens verify (and the new refresh token refreshes in turn).
      assert.equal((await auth.verifyToken(next.access_token)).sub, 'alice')
      assert.equal(claimsOf((await auth.refresh(next.refresh_token)).access_token).sub, 'alice')
    })

    void test('reuse of a spent refresh token: 401 RevokedTokenError and the whole family dies', async () => {
      const { auth, time } = world(backend)
      const first = auth.createTokenPair('alice')
      const otherLogin = auth.createTokenPair('alice')
      time.now += 10
      const second = await auth.refresh(first.refresh_token)
      time.now += 10
      const third = await auth.refresh(second.refresh_token)

      // An attacker (or the victim) presents the spent R1 again.
      await assert.rejects(auth.refresh(first.refresh_token), (error: unknown) => {
        assert.ok(error instanceof RevokedTokenError)
        assert.equal(error.statusCode, 401)
        return true
      })
      // Every token of the family, the newest refresh token included, is refused from now on.
      await assert.rejects(auth.refresh(third.refresh_token), RevokedTokenError)
      await assert.rejects(auth.refresh(second.refresh_token), RevokedTokenError)
      for (const access of [first.access_token, second.access_token, third.access_token])
        await assert.rejects(auth.verifyToken(access), RevokedTokenError)
      // Another login of the same subject is another family and keeps working.
      assert.equal((await auth.verifyToken(otherLogin.access_token)).sub, 'alice')
      const next = await auth.refresh(otherLogin.refresh_token)
      assert.equal((await auth.verifyToken(next.access_token)).sub, 'alice')
    })

    void test('a refresh token revoked at logout cannot be used to refresh', async () => {
      const { auth } = world(backend)
      const pair = auth.createTokenPair('alice')
      await auth.revokeToken(pair.access_token)
      await auth.revokeToken(pair.refresh_token)
      await assert.rejects(auth.refresh(pair.refresh_token), RevokedTokenError)
      await assert.rejects(auth.verifyToken(pair.access_token), RevokedTokenError)
    })

    void test('no scope growth: asking for more is 403, narrower is allowed and sticks', async () => {
      const { auth } = world(backend)
      const pair = auth.createTokenPair('alice', {
        accessScopes: ['read'],
        refreshScopes: ['read', 'write'],
      })
      await assert.rejects(
        auth.refresh(pair.refresh_token, { scopes: ['read', 'admin'] }),
        (error: unknown) => {
          assert.ok(error instanceof InsufficientScopeError)
          assert.equal(error.statusCode, 403)
          return true
        },
      )
      // The refused request did not spend the token: the next (narrower) refresh works.
      const narrower = await auth.refresh(pair.refresh_token, { scopes: ['read'] })
      assert.deepEqual(claimsOf(narrower.access_token).scopes, ['read'])
      assert.deepEqual(claimsOf(narrower.refresh_token).scopes, ['read'])
      // What was given up cannot be asked back.
      await assert.rejects(
        auth.refresh(narrower.refresh_token, { scopes: ['write'] }),
        InsufficientScopeError,
      )
      const same = await auth.refresh(narrower.refresh_token)
      assert.deepEqual(claimsOf(same.access_token).scopes, ['read'])

      // A refresh token without scopes grants none.
      const bare = auth.createTokenPair('bob')
      await assert.rejects(
        auth.refresh(bare.refresh_token, { scopes: ['read'] }),
        InsufficientScopeError,
      )
    })

    void test('absolute family lifetime: no refresh token outlives fam_exp, and refresh then fails', async () => {
      const { auth, time } = world(backend, {
        refreshRotation: { familyLifetime: 3600 },
        refreshTokenExpires: 1800,
      })
      const deadline = START + 3600
      let refresh = auth.createTokenPair('alice').refresh_token
      assert.equal(claimsOf(refresh).fam_exp, deadline)
      assert.equal(claimsOf(refresh).exp, START + 1800)
      for (const at of [1700, 3400, 3599]) {
        time.now = START + at
        refresh = (await auth.refresh(refresh)).refresh_token
        const claims = claimsOf(refresh)
        assert.equal(claims.fam_exp, deadline)
        assert.ok((claims.exp as number) <= deadline, `exp ${String(claims.exp)} at +${at}`)
      }
      assert.equal(claimsOf(refresh).exp, deadline)
      time.now = deadline + 1
      await assert.rejects(auth.refresh(refresh), TokenExpiredError)
    })

    void test('a family lifetime shorter than the refresh lifetime caps the first token too', async () => {
      const { auth } = world(backend, { refreshRotation: { familyLifetime: '1h' } })
      const claims = claimsOf(auth.createRefreshToken('alice'))
      assert.equal(claims.fam_exp, START + 3600)
      assert.equal(claims.exp, START + 3600)
    })

    void test('two concurrent refreshes with one token: exactly one pair', async () => {
      const { auth } = world(backend)
      const pair = auth.createTokenPair('alice')
      const results = await Promise.allSettled([
        auth.refresh(pair.refresh_token),
        auth.refresh(pair.refresh_token),
      ])
      const won = results.filter((r) => r.status === 'fulfilled')
      const lost = results.filter((r) => r.status === 'rejected')
      assert.equal(won.length, 1)
      assert.equal(lost.length, 1)
      assert.ok(lost[0]!.reason instanceof RevokedTokenError)
      // The second presentation is indistinguishable from a replay: the family is revoked, so
      // the pair that won is dead as well. Clients must not refresh one token twice in parallel.
      await assert.rejects(auth.refresh(won[0]!.value.refresh_token), RevokedTokenError)
      await assert.rejects(auth.verifyToken(won[0]!.value.access_token), RevokedTokenError)
    })

    void test('200 concurrent refreshes of one token: exactly one succeeds', async (t) => {
      const { auth } = world(backend)
      const pair = auth.createTokenPair('alice')
      const started = performance.now()
      const results = await Promise.allSettled(
        Array.from({ length: 200 }, () => auth.refresh(pair.refresh_token)),
      )
      const elapsed = performance.now() - started
      const won = results.filter((r) => r.status === 'fulfilled')
      const lost = results.filter((r) => r.status === 'rejected')
      assert.equal(won.length, 1)
      assert.equal(lost.length, 199)
      for (const result of lost) assert.ok(result.reason instanceof RevokedTokenError)
      t.diagnostic(`${backend.name}: 200 concurrent refreshes settled in ${elapsed.toFixed(1)} ms`)
    })

    void test('a refresh token minted before rotation was on starts a family of its own', async () => {
      const { auth, store, time } = world(backend)
      const legacy = new AuthX({ secretKey: SECRET, clock: () => time.now, store })
      const old = legacy.createTokenPair('alice')
      const oldClaims = claimsOf(old.refresh_token)
      assert.equal(oldClaims.fam, undefined)
      const next = await auth.refresh(old.refresh_token)
      const family = `jti:${String(oldClaims.jti)}`
      assert.equal(claimsOf(next.refresh_token).fam, family)
      assert.equal(claimsOf(next.access_token).fam, family)
      // Its deadline is the old token's own expiry: rotation never extends a login.
      assert.equal(claimsOf(next.refresh_token).fam_exp, oldClaims.exp)
      await assert.rejects(auth.refresh(old.refresh_token), RevokedTokenError)
      await assert.rejects(auth.refresh(next.refresh_token), RevokedTokenError)
      await assert.rejects(auth.verifyToken(next.access_token), RevokedTokenError)
    })

    void test('the access tokens of a revoked family stay refused until they expire', async () => {
      const { auth, store, time } = world(backend, { refreshRotation: { familyLifetime: 3600 } })
      const first = auth.createTokenPair('alice')
      time.now = START + 3500
      const second = await auth.refresh(first.refresh_token)
      const accessExp = claimsOf(second.access_token).exp as number
      // The access token ends with its family's deadline, never after it.
      assert.equal(accessExp, START + 3600)
      await assert.rejects(auth.refresh(first.refresh_token), RevokedTokenError)
      if (store instanceof RedisStore) {
        // Redis expires the entry on its own clock: read when it goes instead of waiting.
        const key = `${store.prefix}rev:fam:${String(claimsOf(second.access_token).fam)}`
        const ttl = await redis.pttl(key)
        assert.ok(Date.now() + ttl >= accessExp * 1000, `the entry goes before the token`)
      } else {
        time.now = START + 3599
        await assert.rejects(auth.verifyToken(second.access_token), RevokedTokenError)
        time.now = START + 3601
        await assert.rejects(auth.verifyToken(second.access_token), TokenExpiredError)
      }
    })
  })

  void describe(`quickstart token responses [${backend.name}]`, () => {
    let app: FastifyInstance
    const store = backend.make(() => Date.now() / 1000)

    async function login(): Promise<{ access_token: string; refresh_token: string }> {
      const response = await app.inject({
        method: 'POST',
        url: '/login',
        payload: { username: 'user1', password: 'password1' },
      })
      assert.equal(response.statusCode, 200, response.body)
      assert.equal(response.headers['cache-control'], 'no-store')
      const body = response.json<{
        access_token: string
        refresh_token: string
        token_type: string
      }>()
      assert.equal(body.token_type, 'bearer')
      return body
    }

    function post(url: string, token: string, payload?: object): Promise<LightMyRequestResponse> {
      return app.inject({
        method: 'POST',
        url,
        headers: { authorization: `Bearer ${token}` },
        ...(payload === undefined ? {} : { payload }),
      })
    }

    before(async () => {
      app = await buildApp({ secretKey: SECRET, store })
    })
    after(() => app.close())

    void test('/login and /refresh answer with Cache-Control: no-store; reuse is 401', async () => {
      const first = await login()
      const refreshed = await post('/refresh', first.refresh_token)
      assert.equal(refreshed.statusCode, 200, refreshed.body)
      assert.equal(refreshed.headers['cache-control'], 'no-store')
      const second = refreshed.json<{ access_token: string; refresh_token: string }>()
      assert.notEqual(second.refresh_token, first.refresh_token)
      const protectedOk = await app.inject({
        url: '/protected',
        headers: { authorization: `Bearer ${second.access_token}` },
      })
      assert.equal(protectedOk.statusCode, 200)

      const reused = await post('/refresh', first.refresh_token)
      assert.equal(reused.statusCode, 401)
      assert.deepEqual(reused.json(), {
        detail: 'Token has been revoked',
        error_type: 'RevokedTokenError',
      })
      assert.equal((await post('/refresh', second.refresh_token)).statusCode, 401)
      const dead = await app.inject({
        url: '/protected',
        headers: { authorization: `Bearer ${second.access_token}` },
      })
      assert.equal(dead.statusCode, 401)
      assert.equal(dead.json<{ error_type: string }>().error_type, 'RevokedTokenError')
    })

    void test('/refresh after /logout is 401 RevokedTokenError', async () => {
      const pair = await login()
      const out = await post('/logout', pair.access_token, { refresh_token: pair.refresh_token })
      assert.equal(out.statusCode, 200, out.body)
      const refused = await post('/refresh', pair.refresh_token)
      assert.equal(refused.statusCode, 401)
      assert.equal(refused.json<{ error_type: string }>().error_type, 'RevokedTokenError')
      const me = await app.inject({
        url: '/me',
        headers: { authorization: `Bearer ${pair.access_token}` },
      })
      assert.equal(me.statusCode, 401)
      assert.equal(me.json<{ error_type: string }>().error_type, 'RevokedTokenError')
    })
  })
}
