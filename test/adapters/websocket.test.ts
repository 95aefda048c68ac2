/**
 * WebSocket authentication (AuthX scenarios 103-104) on every driver whose binding has it, with a
 * real `ws` client: the token comes from the query parameter, then the header; a refused upgrade
 * is answered before it happens and the WebSocket handler never runs. Fastify guards the route
 * (`webSocketRequired` with @fastify/websocket), Hono too (@hono/node-ws), Express authenticates
 * the Node server's `'upgrade'` event (`webSocketUpgrade` with `ws`). The Node upgrade helpers'
 * own refusals (`rejectUpgrade`) are checked at the end.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer, request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { after, before, describe, it } from 'node:test'
import WebSocket from 'ws'
import { AuthX as ExpressAuthX } from '../../src/adapters/express.ts'
import { MissingTokenError, StoreUnavailableError } from '../../src/errors.ts'
import type { AuthX as CoreAuthX } from '../../src/index.ts'
import { isMissing } from './driver.ts'
import type { WebSocketApp } from './driver.ts'
import { DRIVERS } from './drivers/index.ts'

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

/** The refusals every binding must give, with the `error_type` of each. */
async function refusalCases(
  auth: CoreAuthX,
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

for (const driver of DRIVERS) {
  const capability = driver.webSocket
  if (isMissing(capability)) {
    describe(`WebSocket authentication [${driver.name}]`, () => {
      it('is declared missing, with the reason, and the binding really has none', async () => {
        assert.match(capability.missing, /\w{10}/)
        const surface = await driver.surface()
        for (const name of capability.absent) assert.equal(surface.has(name), false, name)
      })
    })
    continue
  }

  describe(`WebSocket authentication [${driver.name}]`, () => {
    let app: WebSocketApp
    before(async () => {
      app = await capability.serve({ secretKey: SECRET, queryStringName: 'token' })
    })
    after(() => app.close())

    it('accepts a token in the query parameter', async () => {
      const token = app.auth.createAccessToken('alice')
      assert.deepEqual(await connect(`${app.base}/ws?token=${token}`), { message: 'hello alice' })
    })

    it('accepts a token in the Authorization header', async () => {
      const token = app.auth.createAccessToken('bob')
      assert.deepEqual(await connect(`${app.base}/ws`, { authorization: `Bearer ${token}` }), {
        message: 'hello bob',
      })
    })

    it('prefers the query token over the header', async () => {
      const q = app.auth.createAccessToken('query-user')
      const h = app.auth.createAccessToken('header-user')
      assert.deepEqual(
        await connect(`${app.base}/ws?token=${q}`, { authorization: `Bearer ${h}` }),
        { message: 'hello query-user' },
      )
    })

    it(
      capability.refusalBody
        ? 'refuses with 401, the JSON contract and WWW-Authenticate: no token, invalid, refresh, revoked, expired'
        : 'refuses the upgrade with 401: no token, invalid, refresh, revoked, expired',
      async () => {
        const runs = app.handlerRuns()
        for (const [url, errorType] of await refusalCases(app.auth, app.base)) {
          const outcome = await connect(url)
          assert.equal(outcome.status, 401, url)
          assert.equal(outcome.message, undefined, url)
          if (!capability.refusalBody) continue
          assert.equal(outcome.challenge?.startsWith('Bearer'), true, url)
          const body = JSON.parse(outcome.body ?? '') as { detail?: unknown; error_type?: unknown }
          assert.equal(body.error_type, errorType, url)
          assert.equal(typeof body.detail, 'string', url)
        }
        assert.equal(app.handlerRuns(), runs)
      },
    )

    if (!capability.refusalBody) {
      it('answers each refusal with the JSON contract (seen in process: the socket carries the status only)', async () => {
        const inProcess = app.inProcess
        assert.ok(
          inProcess !== undefined,
          'a binding whose socket carries no body shows it in process',
        )
        const runs = app.handlerRuns()
        for (const [path, errorType] of await refusalCases(app.auth, '')) {
          const res = await inProcess(path)
          assert.equal(res.status, 401, path)
          assert.equal(res.headers['www-authenticate']?.startsWith('Bearer'), true, path)
          assert.equal((res.body as { error_type?: unknown }).error_type, errorType, path)
        }
        assert.equal(app.handlerRuns(), runs)
      })
    }

    it('still serves ordinary routes on the same server', async () => {
      const res = await fetch(`${app.base.replace('ws', 'http')}/plain`)
      assert.equal(await res.text(), 'ok')
    })
  })
}

describe('rejectUpgrade (the Node upgrade helpers of the Express binding)', () => {
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
