/**
 * WebSocket authentication (AuthX scenarios 103-104) on Express (`ws` on the Node server's
 * 'upgrade' event) and Hono (@hono/node-ws), with a real `ws` client: the upgrade is refused
 * with 401 before it happens, and the WebSocket handler never runs.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer, request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { after, before, describe, it } from 'node:test'
import express from 'express'
import { Hono } from 'hono'
import { serve } from '@hono/node-server'
import type { ServerType } from '@hono/node-server'
import { createNodeWebSocket } from '@hono/node-ws'
import WebSocket, { WebSocketServer } from 'ws'
import { AuthX as ExpressAuthX } from '../../src/adapters/express.ts'
import { AuthX as HonoAuthX } from '../../src/adapters/hono.ts'
import { MissingTokenError, StoreUnavailableError } from '../../src/errors.ts'

const SECRET = 'websocket-test-secret-at-least-32-bytes'

interface Outcome {
  message?: string
  status?: number
  body?: string
  challenge?: string
}

/** Connects and resolves with the first message, or the HTTP response of a refused upgrade. */
function connect(url: string, headers: Record<string, string> = {}): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers })
    ws.on('message', (data) => {
      resolve({ message: (data as Buffer).toString('utf8') })
      ws.close()
    })
    ws.on('unexpected-response', (_req, res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => {
        const challenge = res.headers['www-authenticate']
        resolve({
          status: res.statusCode ?? 0,
          body,
          ...(challenge === undefined ? {} : { challenge }),
        })
      })
    })
    ws.on('error', reject)
  })
}

/** The refusals both integrations must give, with the `error_type` of each. */
async function refusalCases(
  auth: ExpressAuthX | HonoAuthX,
  base: string,
): Promise<[url: string, errorType: string][]> {
  const revoked = auth.createAccessToken('mallory')
  await auth.revokeToken(revoked)
  return [
    [`${base}/ws`, 'MissingTokenError'],
    [`${base}/ws?token=invalid.jwt.token`, 'JWTDecodeError'],
    [`${base}/ws?token=${auth.createRefreshToken('alice')}`, 'AccessTokenRequiredError'],
    [`${base}/ws?token=${revoked}`, 'RevokedTokenError'],
    [
      `${base}/ws?token=${auth.createAccessToken('alice', { expiresIn: -10 })}`,
      'TokenExpiredError',
    ],
  ]
}

describe('WebSocket authentication on Express with ws', () => {
  const auth = new ExpressAuthX({ secretKey: SECRET, queryStringName: 'token' })
  const app = express()
  app.get('/plain', (_req, res) => {
    res.send('ok')
  })
  const wss = new WebSocketServer({ noServer: true })
  const server = createServer(app)
  let base = ''
  let handlerRuns = 0

  before(async () => {
    wss.on('connection', (ws, req) => {
      handlerRuns++
      ws.send(`hello ${auth.payload(req).sub}`)
    })
    server.on('upgrade', auth.webSocketUpgrade(wss))
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    base = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  after(async () => {
    wss.close()
    server.closeAllConnections()
    server.close()
    await once(server, 'close')
  })

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

  it('refuses with 401, the JSON contract and WWW-Authenticate: no token, invalid, refresh, revoked, expired', async () => {
    const runs = handlerRuns
    for (const [url, errorType] of await refusalCases(auth, base)) {
      const outcome = await connect(url)
      assert.equal(outcome.status, 401, url)
      assert.equal(outcome.message, undefined, url)
      assert.equal(outcome.challenge?.startsWith('Bearer'), true, url)
      const body = JSON.parse(outcome.body ?? '') as { detail?: unknown; error_type?: unknown }
      assert.equal(body.error_type, errorType, url)
      assert.equal(typeof body.detail, 'string', url)
    }
    assert.equal(handlerRuns, runs)
  })

  it('still serves ordinary Express routes on the same server', async () => {
    const res = await fetch(`${base.replace('ws', 'http')}/plain`)
    assert.equal(await res.text(), 'ok')
  })
})

describe('rejectUpgrade on Express', () => {
  /** A server whose upgrade listener authenticates, then refuses with whatever `fail` throws. */
  async function refusing(fail: () => Promise<never>) {
    const auth = new ExpressAuthX({ secretKey: SECRET })
    const server = createServer()
    server.on('upgrade', (_req, socket: Duplex) => {
      fail().catch((error: unknown) => {
        auth.rejectUpgrade(socket, error)
      })
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const port = (server.address() as AddressInfo).port
    return { port, close: () => new Promise((resolve) => server.close(resolve)) }
  }

  it('answers 503 with the contract when a store is down (fail closed)', async () => {
    const { port, close } = await refusing(() => Promise.reject(new StoreUnavailableError()))
    const outcome = await connect(`ws://127.0.0.1:${port}/ws`)
    await close()
    assert.equal(outcome.status, 503)
    assert.equal(
      (JSON.parse(outcome.body ?? '') as { error_type: unknown }).error_type,
      'StoreUnavailableError',
    )
  })

  it('answers a bare 500 without the details of an error that is not AuthX', async () => {
    const { port, close } = await refusing(() =>
      Promise.reject(new Error('secret database password in message')),
    )
    const outcome = await connect(`ws://127.0.0.1:${port}/ws`)
    await close()
    assert.equal(outcome.status, 500)
    assert.deepEqual(JSON.parse(outcome.body ?? ''), { detail: 'Internal Server Error' })
  })

  it('does not throw on a socket the client already closed', async () => {
    const auth = new ExpressAuthX({ secretKey: SECRET })
    const server = createServer()
    const settled = new Promise<unknown>((resolve) => {
      server.on('upgrade', (_req, socket: Duplex) => {
        socket.destroy()
        try {
          auth.rejectUpgrade(socket, new Error('late'))
          resolve(undefined)
        } catch (error) {
          resolve(error)
        }
      })
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const port = (server.address() as AddressInfo).port
    const req = httpRequest({
      port,
      host: '127.0.0.1',
      headers: { connection: 'Upgrade', upgrade: 'websocket' },
    })
    req.on('error', () => undefined)
    req.end()
    assert.equal(await settled, undefined)
    await new Promise((resolve) => server.close(resolve))
  })

  it('closes a socket that can no longer be written instead of writing to it', async () => {
    const auth = new ExpressAuthX({ secretKey: SECRET })
    const server = createServer()
    const destroyed = new Promise<boolean>((resolve) => {
      server.on('upgrade', (_req, socket: Duplex) => {
        socket.end()
        auth.rejectUpgrade(socket, new MissingTokenError())
        resolve(socket.destroyed)
      })
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const port = (server.address() as AddressInfo).port
    const req = httpRequest({
      port,
      host: '127.0.0.1',
      headers: { connection: 'Upgrade', upgrade: 'websocket' },
    })
    req.on('error', () => undefined)
    req.end()
    assert.equal(await destroyed, true)
    await new Promise((resolve) => server.close(resolve))
  })

  it('strips line breaks from header values so a response cannot be split', async () => {
    const auth = new ExpressAuthX({ secretKey: SECRET })
    class Injected extends MissingTokenError {
      override extraHeaders(): Record<string, string> {
        return { 'x-note': 'a\r\nset-cookie: stolen=1' }
      }
    }
    const server = createServer()
    server.on('upgrade', (_req, socket: Duplex) => auth.rejectUpgrade(socket, new Injected()))
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const port = (server.address() as AddressInfo).port
    const res = await new Promise<{ headers: Record<string, unknown>; status: number }>(
      (resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`)
        ws.on('unexpected-response', (_req, response) => {
          response.resume()
          resolve({ headers: response.headers, status: response.statusCode ?? 0 })
        })
        ws.on('error', reject)
      },
    )
    await new Promise((resolve) => server.close(resolve))
    assert.equal(res.status, 401)
    assert.equal(res.headers['set-cookie'], undefined)
    assert.equal(res.headers['x-note'], 'a set-cookie: stolen=1')
  })
})

describe('WebSocket authentication on Hono with @hono/node-ws', () => {
  const auth = new HonoAuthX({ secretKey: SECRET, queryStringName: 'token' })
  const app = new Hono()
  const nodeWs = createNodeWebSocket({ app })
  const upgradeWebSocket = nodeWs.upgradeWebSocket
  let server: ServerType
  let base = ''
  let handlerRuns = 0

  before(async () => {
    app.get(
      '/ws',
      auth.webSocketRequired,
      upgradeWebSocket((c) => {
        handlerRuns++
        const sub = auth.payload(c).sub
        return {
          onOpen: (_event, ws) => {
            ws.send(`hello ${sub}`)
          },
        }
      }),
    )
    await new Promise<void>((resolve) => {
      server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve())
    })
    nodeWs.injectWebSocket(server)
    base = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  after(async () => {
    await new Promise((resolve) => server.close(resolve))
  })

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

  it('refuses the upgrade with 401: no token, invalid, refresh, revoked, expired', async () => {
    const runs = handlerRuns
    for (const [url] of await refusalCases(auth, base)) {
      const outcome = await connect(url)
      assert.equal(outcome.status, 401, url)
      assert.equal(outcome.message, undefined, url)
    }
    assert.equal(handlerRuns, runs)
  })

  it('answers each refusal with the JSON contract (seen through app.request: @hono/node-ws sends the status only)', async () => {
    const runs = handlerRuns
    for (const [url, errorType] of await refusalCases(auth, 'http://localhost')) {
      const res = await app.request(url, {
        headers: { upgrade: 'websocket', connection: 'Upgrade' },
      })
      assert.equal(res.status, 401, url)
      assert.equal(res.headers.get('www-authenticate')?.startsWith('Bearer'), true, url)
      assert.equal(((await res.json()) as { error_type?: unknown }).error_type, errorType, url)
    }
    assert.equal(handlerRuns, runs)
  })
})
