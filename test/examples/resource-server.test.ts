/**
 * The resource-server example run as a user runs it (`npm run example:resource-server` is
 * `tsx examples/resource-server/main.ts`): one process, the auth service publishing its JWK Set
 * and the orders API verifying with it, on free ports. The session its printed curl lines
 * describe is replayed with `fetch` over real HTTP.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { after, before, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { freePort } from '../helpers/processes.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
/** How long the example may take to compile and start on a loaded machine: a liveness bound. */
const START_WITHIN_MS = 90_000

interface Answer {
  readonly status: number
  readonly headers: Headers
  readonly body: unknown
}

async function call(
  url: string,
  options: { method?: 'GET' | 'POST'; token?: string; json?: unknown } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {}
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`
  if (options.json !== undefined) headers['content-type'] = 'application/json'
  const response = await fetch(url, {
    method: options.method ?? 'GET',
    headers,
    ...(options.json === undefined ? {} : { body: JSON.stringify(options.json) }),
  })
  return { status: response.status, headers: response.headers, body: await response.json() }
}

void describe('the resource-server example (npm run example:resource-server)', () => {
  let child: ChildProcess | undefined
  let output = ''
  let authBase = ''
  let apiBase = ''

  before(async () => {
    const [authPort, apiPort] = [await freePort(), await freePort()]
    authBase = `http://localhost:${authPort}`
    apiBase = `http://localhost:${apiPort}`
    child = spawn(process.execPath, ['--import', 'tsx', 'examples/resource-server/main.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        HOST: '127.0.0.1',
        AUTH_PORT: String(authPort),
        API_PORT: String(apiPort),
        AUTH_SIGNING_JWKS: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
    const deadline = Date.now() + START_WITHIN_MS
    while (!output.includes('Try:')) {
      if (child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`the example did not start:\n${output}`)
      }
      await sleep(50)
    }
  })

  after(async () => {
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return
    const exited = once(child, 'exit')
    child.kill('SIGKILL')
    await exited
  })

  void test('it says what it started, warns about its development key, and prints curl lines', () => {
    assert.match(output, /auth service \(Fastify\) listening on http:\/\/localhost:\d+/)
    assert.match(output, /orders API \(Express\) listening on http:\/\/localhost:\d+/)
    assert.match(output, /AUTH_SIGNING_JWKS is not set: using a new DEVELOPMENT Ed25519 key/)
    const curls = output.split('\n').filter((line) => line.includes('curl '))
    assert.ok(curls.length >= 5, output)
    for (const line of curls) {
      for (const url of line.match(/http:\/\/[^\s'"]+/g) ?? []) {
        assert.ok(url.startsWith(authBase) || url.startsWith(apiBase), `${url} in ${line}`)
      }
    }
  })

  void test('the auth service publishes its public key, cacheable', async () => {
    const answer = await call(`${authBase}/.well-known/jwks.json`)
    assert.equal(answer.status, 200)
    assert.equal(answer.headers.get('content-type'), 'application/jwk-set+json')
    assert.equal(answer.headers.get('cache-control'), 'public, max-age=600')
    const { keys } = answer.body as { keys: Record<string, unknown>[] }
    assert.equal(keys.length, 1)
    assert.equal(keys[0]?.alg, 'EdDSA')
    assert.equal(keys[0]?.use, 'sig')
    assert.equal(keys[0]?.d, undefined, 'the private part is published')
  })

  void test('the session of the curl lines: read and write with user1, read only with user2', async () => {
    const login = async (username: string, password: string) => {
      const answer = await call(`${authBase}/login`, {
        method: 'POST',
        json: { username, password },
      })
      assert.equal(answer.status, 200, JSON.stringify(answer.body))
      return (answer.body as { access_token: string }).access_token
    }
    const writer = await login('user1', 'password1')
    const list = await call(`${apiBase}/orders`, { token: writer })
    assert.equal(list.status, 200)
    assert.deepEqual(list.body, [{ id: 1, owner: 'user1', item: 'coffee beans' }])
    const created = await call(`${apiBase}/orders`, { method: 'POST', token: writer })
    assert.equal(created.status, 201)
    assert.equal((created.body as { owner: string }).owner, 'user1')

    const reader = await login('user2', 'password2')
    assert.equal((await call(`${apiBase}/orders`, { token: reader })).status, 200)
    const refused = await call(`${apiBase}/orders`, { method: 'POST', token: reader })
    assert.equal(refused.status, 403)
    assert.equal((refused.body as { error_type: string }).error_type, 'InsufficientScopeError')
    assert.equal(
      refused.headers.get('www-authenticate'),
      'Bearer error="insufficient_scope", scope="orders:write"',
    )
  })

  void test('the API refuses no token, a bad password, and a token it cannot verify', async () => {
    const none = await call(`${apiBase}/orders`)
    assert.equal(none.status, 401)
    assert.equal((none.body as { error_type: string }).error_type, 'MissingTokenError')

    const badLogin = await call(`${authBase}/login`, {
      method: 'POST',
      json: { username: 'user1', password: 'wrong' },
    })
    assert.equal(badLogin.status, 401)

    const good = (
      (
        await call(`${authBase}/login`, {
          method: 'POST',
          json: { username: 'user1', password: 'password1' },
        })
      ).body as { access_token: string }
    ).access_token
    const [header, payload, signature] = good.split('.') as [string, string, string]
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
    claims.sub = 'user2'
    const forged = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`
    const refused = await call(`${apiBase}/orders`, { token: forged })
    assert.equal(refused.status, 401)
    assert.equal((refused.body as { error_type: string }).error_type, 'TokenInvalidSignatureError')
  })
})
