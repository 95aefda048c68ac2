/**
 * What only the Koa binding has to get right: the payload and subject land on `ctx.state`; the
 * error middleware goes first (it wraps what comes after it) and lets other errors through to
 * Koa; a body the guard read for a JSON token stays on `ctx.request.body` for the handler; a
 * router prefix is part of the rate-limit route and of the OpenAPI paths; the raw request of an
 * upgrade is not mistaken for a context.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer, IncomingMessage } from 'node:http'
import type { Server } from 'node:http'
import { Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import { after, before, describe, test } from 'node:test'
import Koa from 'koa'
import type { Context } from 'koa'
import Router from '@koa/router'
import { AuthX } from '../../src/adapters/koa.ts'
import type { AuthXState } from '../../src/adapters/koa.ts'
import { baseOptions, bearer } from './helpers.ts'

/** Serves a Koa app on 127.0.0.1 port 0. */
async function serve(app: Koa): Promise<{ url: string; server: Server }> {
  const listener = app.callback()
  const server = createServer((req, res) => {
    void listener(req, res)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server }
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections()
  server.close()
  await once(server, 'close')
}

class PlainFailure extends Error {
  override readonly name = 'PlainFailure'
}

void describe('the Koa binding', () => {
  const auth = new AuthX(baseOptions({ tokenLocation: ['headers', 'json'] }))
  auth.setSubjectGetter((sub) => ({ name: sub }))
  const seen: { state?: AuthXState; body?: unknown; koaErrors: unknown[] } = { koaErrors: [] }
  let url = ''
  let server: Server
  before(async () => {
    const app = new Koa()
    app.silent = true
    app.on('error', (error: unknown) => seen.koaErrors.push(error))
    auth.handleErrors(app)
    const router = new Router({ prefix: '/api' })
    router.get('/state', auth.currentSubject, (ctx: Context) => {
      seen.state = ctx.state
      ctx.body = { sub: auth.payload(ctx).sub }
    })
    router.post('/json', auth.accessTokenRequired, (ctx: Context) => {
      seen.body = (ctx.request as { body?: unknown }).body
      ctx.body = { ok: true }
    })
    router.get('/plain', () => {
      throw new PlainFailure('db exploded: secret=hunter2')
    })
    router.get('/users/:id', auth.rateLimited({ max: 1, window: 60 }), (ctx: Context) => {
      ctx.body = { id: ctx.params.id }
    })
    app.use(router.routes())
    ;({ url, server } = await serve(app))
  })
  after(() => close(server))

  void test('the guard puts the payload and the subject on ctx.state', async () => {
    const res = await fetch(`${url}/api/state`, {
      headers: bearer(auth.createAccessToken('alice')),
    })
    assert.equal(res.status, 200)
    assert.deepEqual(await res.json(), { sub: 'alice' })
    assert.equal(seen.state?.payload?.sub, 'alice')
    assert.deepEqual(seen.state?.subject, { name: 'alice' })
  })

  void test('a JSON body the guard read for the token stays on ctx.request.body', async () => {
    const token = auth.createAccessToken('alice')
    const res = await fetch(`${url}/api/json`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ access_token: token, note: 'kept' }),
    })
    assert.equal(res.status, 200)
    assert.deepEqual(seen.body, { access_token: token, note: 'kept' })
  })

  void test('an error that is not AuthX`s goes to Koa untouched: a bare 500, nothing leaked', async () => {
    const res = await fetch(`${url}/api/plain`)
    assert.equal(res.status, 500)
    assert.doesNotMatch(await res.text(), /hunter2/)
    assert.equal((seen.koaErrors.at(-1) as Error).name, 'PlainFailure')
  })

  void test('the router prefix is part of the route: /api/users/1 and /api/users/2 share a bucket', async () => {
    assert.equal((await fetch(`${url}/api/users/1`)).status, 200)
    const limited = await fetch(`${url}/api/users/2`)
    assert.equal(limited.status, 429)
    assert.equal(
      ((await limited.json()) as { error_type: string }).error_type,
      'RateLimitExceededError',
    )
  })

  void test('openapi(router) writes the prefixed paths with {param} syntax', () => {
    const router = new Router({ prefix: '/v1' })
    router.get('/items/:id', auth.accessTokenRequired, () => undefined)
    router.post('/open', () => undefined)
    const paths = auth.openapi(router)
    assert.deepEqual(paths['/v1/items/{id}']?.get?.security, [{ AuthXBearer: [] }])
    assert.equal(paths['/v1/items/{id}']?.head, undefined)
    assert.equal(paths['/v1/open']?.post?.security, undefined)
  })

  void test('auth.payload(req) of an upgrade request AuthX did not authenticate is a TypeError', () => {
    const req = new IncomingMessage(new Socket())
    assert.throws(() => auth.payload(req), {
      name: 'TypeError',
      message: /upgrade request AuthX authenticated/,
    })
  })
})
