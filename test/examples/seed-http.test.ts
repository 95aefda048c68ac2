/**
 * The seed's curl session, replayed with `fetch` over real HTTP against each quickstart started
 * as its own process, exactly as a user runs it (`node --import tsx examples/.../main.ts`).
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { freePort } from '../helpers/processes.ts'

/** The repository root: entries are resolved from it, whatever the working directory. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/**
 * The quickstarts. The Express and Hono ones are written separately and join this session as
 * soon as their entry file exists; until then only the ones present are run.
 */
const ENTRIES = [
  'examples/quickstart-fastify/main.ts',
  'examples/quickstart-express/main.ts',
  'examples/quickstart-hono/main.ts',
  'examples/fetch/main.ts',
  'examples/quickstart-koa/main.ts',
  'examples/quickstart-nestjs/main.ts',
].filter((entry) => existsSync(join(ROOT, entry)))

/** Starts a quickstart and resolves once it prints that it listens. */
async function start(entry: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      JWT_SECRET_KEY: 'seed-session-secret-of-at-least-32-bytes',
      REDIS_URL: '',
    },
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString()
      if (/listening/i.test(output)) resolve()
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('exit', (code) => reject(new Error(`${entry} exited with ${code}:\n${output}`)))
    child.once('error', reject)
  })
  return child
}

for (const entry of ENTRIES) {
  void describe(`the seed session over HTTP (${entry})`, () => {
    let child: ChildProcess | undefined
    let base = ''

    before(async () => {
      const port = await freePort()
      base = `http://127.0.0.1:${port}`
      child = await start(entry, port)
    })

    after(async () => {
      if (child === undefined || child.exitCode !== null) return
      const exited = new Promise((resolve) => child?.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    })

    async function call(
      method: string,
      path: string,
      init: { token?: string; json?: unknown } = {},
    ): Promise<{ status: number; body: unknown; headers: Headers }> {
      const headers: Record<string, string> = {}
      if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`
      if (init.json !== undefined) headers['content-type'] = 'application/json'
      const res = await fetch(`${base}${path}`, {
        method,
        headers,
        ...(init.json === undefined ? {} : { body: JSON.stringify(init.json) }),
      })
      return { status: res.status, body: (await res.json()) as unknown, headers: res.headers }
    }

    void test('the curl session: login, protected, me, refresh, and the failures', async () => {
      // curl http://localhost:8000/protected
      const anonymous = await call('GET', '/protected')
      assert.equal(anonymous.status, 401)
      assert.deepEqual(anonymous.body, {
        detail: 'Missing JWT in request',
        error_type: 'MissingTokenError',
      })
      assert.equal(anonymous.headers.get('www-authenticate'), 'Bearer')

      // curl -X POST /login -d '{"username":"user1","password":"password1"}'
      const login = await call('POST', '/login', {
        json: { username: 'user1', password: 'password1' },
      })
      assert.equal(login.status, 200)
      const tokens = login.body as Record<string, unknown>
      assert.equal(tokens.token_type, 'bearer')
      assert.equal(typeof tokens.access_token, 'string')
      assert.equal(typeof tokens.refresh_token, 'string')
      const access = tokens.access_token as string
      const refresh = tokens.refresh_token as string

      // curl -H "Authorization: Bearer $ACCESS" /protected
      const protectedRes = await call('GET', '/protected', { token: access })
      assert.equal(protectedRes.status, 200)
      assert.deepEqual(protectedRes.body, { message: 'You have access to this protected resource' })

      // curl -H "Authorization: Bearer $ACCESS" /me
      const me = await call('GET', '/me', { token: access })
      assert.equal(me.status, 200)
      assert.deepEqual(me.body, { user_id: 'user1', email: 'user1@example.com' })

      // The access token is not a refresh token, and the refresh token opens no resource.
      const wrongType = await call('POST', '/refresh', { token: access })
      assert.equal(wrongType.status, 401)
      assert.equal(
        (wrongType.body as { error_type: string }).error_type,
        'RefreshTokenRequiredError',
      )
      const refreshAsAccess = await call('GET', '/protected', { token: refresh })
      assert.equal(refreshAsAccess.status, 401)
      assert.equal(
        (refreshAsAccess.body as { error_type: string }).error_type,
        'AccessTokenRequiredError',
      )

      // curl -X POST -H "Authorization: Bearer $REFRESH" /refresh
      const refreshed = await call('POST', '/refresh', { token: refresh })
      assert.equal(refreshed.status, 200)
      const next = refreshed.body as Record<string, unknown>
      assert.equal(next.token_type, 'bearer')
      assert.equal(typeof next.access_token, 'string')
      assert.notEqual(next.access_token, access)
      const again = await call('GET', '/protected', { token: next.access_token as string })
      assert.equal(again.status, 200)
      assert.deepEqual(again.body, { message: 'You have access to this protected resource' })

      // A garbage token.
      const garbage = await call('GET', '/protected', { token: 'garbage' })
      assert.equal(garbage.status, 401)
      assert.deepEqual(garbage.body, { detail: 'Invalid Token', error_type: 'JWTDecodeError' })
      assert.match(garbage.headers.get('www-authenticate') ?? '', /^Bearer error="invalid_token"/)

      // A wrong password.
      const wrong = await call('POST', '/login', { json: { username: 'user1', password: 'nope' } })
      assert.equal(wrong.status, 401)
      assert.deepEqual(wrong.body, { detail: 'Invalid credentials' })
      const unknown = await call('POST', '/login', {
        json: { username: 'mallory', password: 'password1' },
      })
      assert.equal(unknown.status, 401)
      assert.deepEqual(unknown.body, { detail: 'Invalid credentials' })
    })
  })
}
