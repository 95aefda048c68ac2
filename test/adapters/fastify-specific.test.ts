/**
 * What only Fastify does: its body parsers answer before any `preHandler` guard, `@fastify/cookie`
 * is used when registered, `handleErrors` chaining to a previous error handler,
 * and what happens without `handleErrors` when a handler throws.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fastifyCookie from '@fastify/cookie'
import Fastify from 'fastify'
import { AuthX } from '../../src/adapters/fastify.ts'
import { TokenExpiredError } from '../../src/index.ts'
import { SECRET, baseOptions, csrfOf } from './helpers.ts'

async function appWith(options: Parameters<typeof baseOptions>[0] = {}) {
  const app = Fastify()
  const auth = new AuthX(baseOptions(options))
  let runs = 0
  app.post('/p', { preHandler: auth.accessTokenRequired }, async () => {
    runs += 1
    return { ok: true }
  })
  await app.ready()
  return { app, auth, runs: () => runs }
}

void describe('Fastify body parsers run before the guard', () => {
  void test('an empty JSON body is Fastify 400 FST_ERR_CTP_EMPTY_JSON_BODY, the handler never runs', async () => {
    const { app, auth, runs } = await appWith({ tokenLocation: ['json', 'cookies'] })
    const token = auth.createAccessToken('alice')
    const res = await app.inject({
      method: 'POST',
      url: '/p',
      headers: { 'content-type': 'application/json', cookie: `access_token_cookie=${token}` },
    })
    assert.equal(res.statusCode, 400)
    assert.equal(res.json<{ code: string }>().code, 'FST_ERR_CTP_EMPTY_JSON_BODY')
    assert.equal(runs(), 0)
    await app.close()
  })

  void test('an unparsable JSON body is Fastify 400, the handler never runs', async () => {
    const { app, runs } = await appWith({ tokenLocation: ['json'] })
    const res = await app.inject({
      method: 'POST',
      url: '/p',
      headers: { 'content-type': 'application/json' },
      payload: '{"access_token":',
    })
    assert.equal(res.statusCode, 400)
    assert.equal(res.json<{ code: string }>().code, 'FST_ERR_CTP_INVALID_JSON_BODY')
    assert.equal(runs(), 0)
    await app.close()
  })

  void test('+json and urlencoded bodies are 415 until the app registers a parser', async () => {
    const { app, auth, runs } = await appWith({ tokenLocation: ['json'] })
    for (const type of ['application/vnd.api+json', 'application/x-www-form-urlencoded']) {
      const res = await app.inject({
        method: 'POST',
        url: '/p',
        headers: { 'content-type': type },
        payload: JSON.stringify({ access_token: auth.createAccessToken('alice') }),
      })
      assert.equal(res.statusCode, 415, type)
    }
    assert.equal(runs(), 0)
    await app.close()
  })
})

void describe('Fastify specifics', () => {
  void test('@fastify/cookie parsed cookies are used when registered', async () => {
    const app = Fastify()
    await app.register(fastifyCookie)
    const auth = new AuthX(baseOptions({ tokenLocation: ['cookies'] }))
    app.post('/p', { preHandler: auth.accessTokenRequired }, async (request) => ({
      sub: auth.payload(request).sub,
    }))
    const token = auth.createAccessToken('alice')
    const ok = await app.inject({
      method: 'POST',
      url: '/p',
      cookies: { access_token_cookie: token },
      headers: { 'x-csrf-token': csrfOf(token) },
    })
    assert.equal(ok.statusCode, 200)
    assert.deepEqual(ok.json(), { sub: 'alice' })
    await app.close()
  })

  void test('handleErrors hands non-AuthX errors to the error handler set before it', async () => {
    const app = Fastify()
    app.setErrorHandler((error, _request, reply) =>
      reply.code(418).send({ mine: (error as Error).message }),
    )
    const auth = new AuthX(baseOptions())
    auth.handleErrors(app)
    app.get('/plain', async () => {
      throw new Error('boom')
    })
    app.get('/authx', async () => {
      throw new TokenExpiredError()
    })
    const plain = await app.inject({ method: 'GET', url: '/plain' })
    assert.equal(plain.statusCode, 418)
    assert.deepEqual(plain.json(), { mine: 'boom' })
    const authx = await app.inject({ method: 'GET', url: '/authx' })
    assert.equal(authx.statusCode, 401)
    assert.deepEqual(authx.json(), { detail: 'Token has expired', error_type: 'TokenExpiredError' })
    await app.close()
  })

  void test('without handleErrors, an AuthX error thrown by a handler keeps its status in Fastify’s shape', async () => {
    const app = Fastify()
    app.get('/authx', async () => {
      throw new TokenExpiredError()
    })
    const res = await app.inject({ method: 'GET', url: '/authx' })
    assert.equal(res.statusCode, 401)
    const body = res.json<Record<string, unknown>>()
    assert.equal(body.code, 'ERR_AUTHX_TOKEN_EXPIRED')
    assert.equal(body.message, 'Token has expired')
    assert.equal(body.error_type, undefined, 'the contract needs handleErrors')
    await app.close()
  })

  void test('auth.payload on a route without a guard is a programming error (TypeError, 500)', async () => {
    const app = Fastify()
    const auth = new AuthX({ secretKey: SECRET })
    app.get('/unguarded', async (request) => auth.payload(request))
    const res = await app.inject({ method: 'GET', url: '/unguarded' })
    assert.equal(res.statusCode, 500)
    await app.close()
  })

  void test('auth.view exposes the path without the query string', async () => {
    const app = Fastify()
    const auth = new AuthX({ secretKey: SECRET })
    app.get('/where', async (request) => ({ path: auth.view(request).path }))
    const res = await app.inject({ method: 'GET', url: '/where?token=x&y=1' })
    assert.deepEqual(res.json(), { path: '/where' })
    await app.close()
  })
})

void describe('Fastify guards answer without a promise when they can, and await when they must', () => {
  // A stateless guard finishes in the callback style; a blocklist makes it await. Both must
  // behave the same wherever Fastify accepts a hook.
  const modes = [
    { name: 'stateless (synchronous)', blocklist: false },
    { name: 'with a blocklist (awaited)', blocklist: true },
  ]
  for (const mode of modes) {
    void test(`${mode.name}: as onRequest, as preHandler after another hook, and with a subject`, async () => {
      const app = Fastify()
      const auth = new AuthX(baseOptions())
      if (mode.blocklist) auth.setTokenBlocklist(async () => false)
      auth.setSubjectGetter(async (sub) => ({ name: sub }))
      const runs: string[] = []
      app.get('/on-request', { onRequest: auth.accessTokenRequired }, async (request) => {
        runs.push('on-request')
        return { sub: auth.payload(request).sub }
      })
      const before = (_request: unknown, _reply: unknown, done: () => void) => done()
      app.get(
        '/chain',
        { preHandler: [before, auth.accessTokenRequired, auth.scopesRequired(['read'])] },
        async (request) => {
          runs.push('chain')
          return { sub: auth.payload(request).sub }
        },
      )
      app.get('/subject', { preHandler: auth.currentSubject }, async (request) => {
        runs.push('subject')
        return auth.subject(request)
      })
      const token = auth.createAccessToken('alice', { scopes: ['read'] })
      const headers = { authorization: `Bearer ${token}` }
      for (const url of ['/on-request', '/chain']) {
        const ok = await app.inject({ method: 'GET', url, headers })
        assert.equal(ok.statusCode, 200, url)
        assert.deepEqual(ok.json(), { sub: 'alice' })
      }
      const subject = await app.inject({ method: 'GET', url: '/subject', headers })
      assert.deepEqual(subject.json(), { name: 'alice' })
      assert.deepEqual(runs, ['on-request', 'chain', 'subject'])

      const unscoped = auth.createAccessToken('bob')
      const refused = await app.inject({
        method: 'GET',
        url: '/chain',
        headers: { authorization: `Bearer ${unscoped}` },
      })
      assert.equal(refused.statusCode, 403)
      assert.equal(refused.json<{ error_type: string }>().error_type, 'InsufficientScopeError')
      for (const url of ['/on-request', '/chain', '/subject']) {
        const res = await app.inject({ method: 'GET', url, headers: { authorization: 'Bearer x' } })
        assert.equal(res.statusCode, 401, url)
        assert.deepEqual(res.json(), { detail: 'Invalid Token', error_type: 'JWTDecodeError' })
      }
      assert.deepEqual(runs, ['on-request', 'chain', 'subject'], 'no handler ran on a refusal')
      await app.close()
    })

    void test(`${mode.name}: an error that is not an AuthX error reaches Fastify's error handler`, async () => {
      let failing = false
      const auth = new AuthX(
        baseOptions({
          clock: () => {
            if (failing) throw new Error('clock broke')
            return Math.floor(Date.now() / 1000)
          },
        }),
      )
      if (mode.blocklist) auth.setTokenBlocklist(() => false)
      const token = auth.createAccessToken('alice')
      failing = true
      const app = Fastify()
      app.setErrorHandler((error, _request, reply) =>
        reply.code(500).send({ handled: (error as Error).message }),
      )
      let runs = 0
      app.get('/p', { preHandler: auth.accessTokenRequired }, async () => {
        runs += 1
        return 'ran'
      })
      const res = await app.inject({
        method: 'GET',
        url: '/p',
        headers: { authorization: `Bearer ${token}` },
      })
      assert.equal(res.statusCode, 500)
      assert.deepEqual(res.json(), { handled: 'clock broke' })
      assert.equal(runs, 0)
      await app.close()
    })
  }
})
