// Runs every test file under test/ with node:test through tsx, under c8's coverage gate.
// Node 20's test runner takes file paths, not globs, so the list is built here.
//
// The Redis tests never use a server that happens to be running: one throw-away redis-server is
// started here on a free loopback port, keeping nothing on disk, and its URL is passed to every
// test file in AUTHX_TEST_REDIS_URL (test/helpers/redis-server.ts starts its own when a file runs
// alone). It is killed when the run ends, whatever the outcome.
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { createServer, connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

function findTests(dir) {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name)
      // Fixture projects (with their own node_modules) are run by the tests that use them.
      if (statSync(path).isDirectory()) return name === 'fixtures' ? [] : findTests(path)
      return name.endsWith('.test.ts') ? [path] : []
    })
}

async function freePort() {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address()
  server.close()
  await once(server, 'close')
  return port
}

async function accepts(port) {
  const socket = connect(port, '127.0.0.1')
  try {
    await once(socket, 'connect')
    return true
  } catch {
    return false
  } finally {
    socket.destroy()
  }
}

/** Starts the run's redis-server; exits with a message naming the package when there is none. */
async function startRedis() {
  const probe = spawnSync('redis-server', ['--version'], { stdio: 'ignore' })
  if (probe.error !== undefined || probe.status !== 0) {
    console.error(
      'The tests start their own redis-server, which is not installed: ' +
        'install the Debian package redis-server (apt-get install redis-server redis-tools).',
    )
    process.exit(1)
  }
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'authx-redis-'))
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
    ],
    { stdio: 'ignore' },
  )
  const deadline = Date.now() + 15_000
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL')
      console.error(`redis-server did not start on port ${port}`)
      process.exit(1)
    }
    await sleep(20)
  }
  return { child, dir, url: `redis://127.0.0.1:${port}` }
}

const only = process.argv.slice(2)
const files = only.length > 0 ? only : findTests('test')
const redis = await startRedis()
const stopRedis = () => {
  redis.child.kill('SIGKILL')
  rmSync(redis.dir, { recursive: true, force: true })
}
process.on('exit', stopRedis)
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130))
const runner = spawn(
  'npx',
  [
    'c8',
    '--check-coverage',
    '--lines=95',
    '--include=src/**',
    '--reporter=text-summary',
    'node',
    '--import=tsx',
    '--test',
    '--test-concurrency=2',
    // A hung test must fail the run, not hold it until CI's own limit.
    '--test-timeout=300000',
    ...files,
  ],
  { stdio: 'inherit', env: { ...process.env, AUTHX_TEST_REDIS_URL: redis.url } },
)
const [code] = await once(runner, 'exit')
process.exit(code ?? 1)
