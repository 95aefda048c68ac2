/**
 * WebSocket authentication (AuthX scenarios 103-104) with a real `ws` client against
 * `@fastify/websocket`: the upgrade is refused with 401 before it happens.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import Fastify from 'fastify'
import websocket from '@fastify/websocket'
import WebSocket from 'ws'
import { AuthX } from '../../src/adapters/fastify.ts'

const SECRET = 'websocket-test-secret-at-least-32-bytes'

/** Connects and resolves with the first message, or the HTTP status of a refused upgrade. */
function connect(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ message?: string; status?: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers })
    ws.on('message', (data) => {
      resolve({ message: (data as Buffer).toString('utf8') })
      ws.close()
    })
    ws.on('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0 })
      res.resume()
    })
    ws.on('error', reject)
  })
}

describe('WebSocket authentication on Fastify', () => {
  const auth = new AuthX({ secretKey: SECRET, queryStringName: 'token' })
  const app = Fastify()
  let base = ''
  let handlerRuns = 0

  before(async () => {
    await app.register(websocket)
    app.register(async (scoped) => {
      scoped.get(
        '/ws',
        { websocket: true, preValidation: auth.webSocketRequired },
        (socket, request) => {
          handlerRuns++
          socket.send(`hello ${auth.payload(request).sub}`)
        },
      )
    })
    const address = await app.listen({ port: 0, host: '127.0.0.1' })
    base = address.replace('http', 'ws')
  })
  after(() => app.close())

  it('accepts a token in the query parameter', async () => {
    const token = auth.createAccessToken('alice')
    assert.deepEqual(await connect(`${base}/ws?token=${token}`), { message: 'hello alice' })
  })

  it('accepts a token in the Authorization header', async () => {
    const token = auth.createAccessToken('bob')
    assert.deepEqual(await connect(`${base}/ws`, { authorization: `Bearer ${token}` }), {
      message: 'hello bob',
    })
  })

  it('prefers the query token over the header', async () => {
    const q = auth.createAccessToken('query-user')
    const h = auth.createAccessToken('header-user')
    assert.deepEqual(await connect(`${base}/ws?token=${q}`, { authorization: `Bearer ${h}` }), {
      message: 'hello query-user',
    })
  })

  it('refuses the upgrade with 401 when there is no token, a bad one, a refresh token or a revoked one', async () => {
    const runs = handlerRuns
    const revoked = auth.createAccessToken('mallory')
    await auth.revokeToken(revoked)
    for (const url of [
      `${base}/ws`,
      `${base}/ws?token=invalid.jwt.token`,
      `${base}/ws?token=${auth.createRefreshToken('alice')}`,
      `${base}/ws?token=${revoked}`,
      `${base}/ws?token=${auth.createAccessToken('alice', { expiresIn: -10 })}`,
    ]) {
      assert.deepEqual(await connect(url), { status: 401 }, url)
    }
    assert.equal(handlerRuns, runs)
  })
})
