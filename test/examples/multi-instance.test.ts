/**
 * Two instances of the Fastify quickstart behind an imaginary load balancer: two real processes
 * (`node --import tsx examples/quickstart-fastify/main.ts`) on two ports, with the same
 * JWT_SECRET_KEY and REDIS_URL, talking HTTP. The Redis server is the test's own (a free port, no
 * persistence), so nothing clashes with other suites. A logout on one instance is seen by the
 * other on its next request; a refresh-token reuse detected on one kills the family on the
 * other; concurrent refreshes across instances yield one pair; the login rate limit is shared.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { after, before, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { freePort, startRedis } from '../helpers/processes.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const SECRET = randomBytes(32).toString('hex')
/** How long a child may take to compile and start on a loaded machine: a liveness bound. */
const START_WITHIN_MS = 90_000

/** One quickstart process, started and ready. */
interface Instance {
  readonly name: string
  readonly child: ChildProcess
  readonly base: string
  /** What the process printed, for failure messages. */
  readonly output: () => string
}

async function startQuickstart(name: string, redisUrl: string): Promise<Instance> {
  const port = await freePort()
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'examples/quickstart-fastify/main.ts'],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        JWT_SECRET_KEY: SECRET,
        REDIS_URL: redisUrl,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')))
  const deadline = Date.now() + START_WITHIN_MS
  while (!output.includes('listening on')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`quickstart ${name} did not start:\n${output}`)
    }
    await sleep(50)
  }
  assert.match(output, /\(Redis store\)/)
  return { name, child, base: `http://127.0.0.1:${port}`, output: () => output }
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGKILL')
  await exited
}

interface Answer {
  readonly status: number
  readonly body: Record<string, unknown>
}

async function call(
  instance: Instance,
  method: 'GET' | 'POST',
  path: string,
  options: { token?: string; json?: unknown } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {}
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`
  if (options.json !== undefined) headers['content-type'] = 'application/json'
  const response = await fetch(`${instance.base}${path}`, {
    method,
    headers,
    ...(options.json === undefined ? {} : { body: JSON.stringify(options.json) }),
  })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

interface Pair {
  readonly access_token: string
  readonly refresh_token: string
}

function asPair(answer: Answer): Pair {
  assert.equal(answer.status, 200, JSON.stringify(answer.body))
  assert.equal(typeof answer.body.access_token, 'string')
  assert.equal(typeof answer.body.refresh_token, 'string')
  return answer.body as unknown as Pair
}

function assertRevoked(answer: Answer, what: string): void {
  assert.equal(answer.status, 401, `${what}: ${JSON.stringify(answer.body)}`)
  assert.deepEqual(
    answer.body,
    { detail: 'Token has been revoked', error_type: 'RevokedTokenError' },
    what,
  )
}

void describe('two quickstart instances sharing one Redis', () => {
  let redis: ChildProcess | undefined
  let a: Instance
  let b: Instance
  /** Logins sent so far: they count against the shared limit of ten a minute per client. */
  let logins = 0

  async function login(instance: Instance, password = 'password1'): Promise<Answer> {
    logins += 1
    return call(instance, 'POST', '/login', { json: { username: 'user1', password } })
  }

  before(async () => {
    const port = await freePort()
    redis = await startRedis(port)
    const url = `redis://127.0.0.1:${port}`
    ;[a, b] = await Promise.all([startQuickstart('A', url), startQuickstart('B', url)])
  })

  after(async () => {
    await Promise.all([stop(a?.child), stop(b?.child)])
    await stop(redis)
  })

  void test('log in on A, use on B; log out on B, refused on A at once', async () => {
    const pair = asPair(await login(a))
    const onB = await call(b, 'GET', '/me', { token: pair.access_token })
    assert.equal(onB.status, 200)
    assert.deepEqual(onB.body, { user_id: 'user1', email: 'user1@example.com' })

    const out = await call(b, 'POST', '/logout', {
      token: pair.access_token,
      json: { refresh_token: pair.refresh_token },
    })
    assert.equal(out.status, 200, JSON.stringify(out.body))
    assertRevoked(await call(a, 'GET', '/protected', { token: pair.access_token }), 'access on A')
    assertRevoked(
      await call(a, 'POST', '/refresh', { token: pair.refresh_token }),
      'refresh on A after logout on B',
    )
  })

  void test('a reuse detected on A kills the family on B', async () => {
    const first = asPair(await login(a))
    const second = asPair(await call(a, 'POST', '/refresh', { token: first.refresh_token }))
    assert.equal((await call(b, 'GET', '/protected', { token: second.access_token })).status, 200)

    assertRevoked(await call(a, 'POST', '/refresh', { token: first.refresh_token }), 'reuse on A')
    assertRevoked(
      await call(b, 'POST', '/refresh', { token: second.refresh_token }),
      'newest refresh token on B',
    )
    assertRevoked(
      await call(b, 'GET', '/protected', { token: second.access_token }),
      'the family’s access token on B',
    )
    assertRevoked(
      await call(b, 'GET', '/protected', { token: first.access_token }),
      'the first access token on B',
    )
  })

  void test('one refresh token sent to A and B at the same time: exactly one pair', async () => {
    const pair = asPair(await login(b))
    const answers = await Promise.all([
      call(a, 'POST', '/refresh', { token: pair.refresh_token }),
      call(b, 'POST', '/refresh', { token: pair.refresh_token }),
    ])
    const statuses = answers.map((answer) => answer.status).sort()
    assert.deepEqual(statuses, [200, 401], JSON.stringify(answers))
  })

  void test('the login limit is one budget across instances', async () => {
    // Wrong passwords, alternating instances, up to the limit of ten per client a minute.
    while (logins < 10) {
      const answer = await login(logins % 2 === 0 ? a : b, 'wrong')
      assert.equal(answer.status, 401, JSON.stringify(answer.body))
    }
    for (const instance of [a, b]) {
      const limited = await login(instance)
      assert.equal(limited.status, 429, `${instance.name}: ${JSON.stringify(limited.body)}`)
      assert.equal(limited.body.error_type, 'RateLimitExceededError')
    }
  })

  void test('both processes are still alive and printed no error', () => {
    for (const instance of [a, b]) {
      assert.equal(instance.child.exitCode, null, instance.name)
      assert.doesNotMatch(instance.output(), /error/i, instance.output())
    }
  })
})
