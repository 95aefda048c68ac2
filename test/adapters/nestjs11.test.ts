/**
 * The NestJS binding supports NestJS 11 and 12. The project's own devDependencies are NestJS 12;
 * this test replays, on NestJS 11, every suite that runs the NestJS binding: the conformance and
 * security suites that loop over the drivers (restricted to the NestJS ones with
 * `AUTHX_TEST_DRIVERS`), and the suites that import NestJS themselves. They run in a child
 * `node --test` whose runner and test-file processes load, with `--import`, the resolve hook of
 * `test/helpers/nestjs11-register.ts`, which loads every `@nestjs/*` package from
 * `test/fixtures/nestjs11/`, where a lockfile pins the latest NestJS 11. A check run in the same
 * child (`nestjs11/loaded-version.ts`) proves the NestJS it got is the fixture's 11.x.
 *
 * The hook is given on the command line, not in `NODE_OPTIONS`: through `NODE_OPTIONS`, on a
 * checkout whose files tsx has not cached yet, Node 20 hung importing `@nestjs/platform-express`.
 * So the seed session (`test/examples/seed-http.test.ts`), whose quickstarts are processes of
 * their own that only `NODE_OPTIONS` would reach, is not replayed here.
 */
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { after, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { NESTJS11_FIXTURE_DIR, NESTJS11_INSTALL_COMMAND } from '../helpers/nestjs11.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const THIS_FILE = relative(ROOT, fileURLToPath(import.meta.url))
const NEST_DRIVERS = ['nestjs-express', 'nestjs-fastify']
/**
 * Fewer results than this means suites were lost on the way: the conformance cases alone are
 * over 400 on the two NestJS drivers.
 */
const MINIMUM_TESTS = 500
/** Only so that a hung child cannot outlive the run; the replay normally takes well under this. */
const CHILD_LIMIT_MS = 240_000

/** The `*.test.ts` files under `dir`, relative to the repository's root, as the runner finds them. */
function testFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir))
    .sort()
    .flatMap((name) => {
      if (name === 'node_modules') return [] // the fixture's dependencies
      const path = join(dir, name)
      if (statSync(join(ROOT, path)).isDirectory()) return testFiles(path)
      return name.endsWith('.test.ts') ? [path] : []
    })
}

/**
 * The suites that run the NestJS binding: those that loop over the conformance drivers, and
 * those that import NestJS themselves. Found by their imports, so a new one joins by itself.
 */
function nestSuites(): string[] {
  return testFiles('test').filter((path) => {
    if (path === THIS_FILE) return false
    const source = readFileSync(join(ROOT, path), 'utf8')
    return source.includes("/drivers/index.ts'") || source.includes("from '@nestjs/")
  })
}

/** Why the fixture needs `npm ci`, or null when its node_modules matches its lockfile. */
function fixtureStaleReason(): string | null {
  const check = spawnSync(
    process.execPath,
    [join(ROOT, 'scripts/ensure-installed.mjs'), '--check', NESTJS11_FIXTURE_DIR],
    { encoding: 'utf8' },
  )
  return check.status === 0 ? null : check.stdout.trim() || `the check exited with ${check.status}`
}

/** A TAP summary count (`# pass 12`) of the child's output. */
function count(output: string, name: string): number {
  const match = new RegExp(`^# ${name} (\\d+)$`, 'm').exec(output)
  assert.ok(match !== null, `the child printed no "# ${name}" line:\n${output.slice(-4000)}`)
  return Number(match[1])
}

let child: ChildProcess | undefined

after(() => {
  // The child leads its own process group (its test files run in processes of their own).
  if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
    process.kill(-child.pid, 'SIGKILL')
  }
})

void test('the NestJS binding passes its suites on NestJS 11', async (t) => {
  const stale = fixtureStaleReason()
  assert.equal(
    stale,
    null,
    `The NestJS 11 fixture is not installed (${stale}): run \`${NESTJS11_INSTALL_COMMAND}\` ` +
      'from the repository root (`npm test` runs it by itself).',
  )
  const suites = nestSuites()
  assert.ok(suites.includes('test/adapters/nestjs-specific.test.ts'), suites.join(', '))
  const env: NodeJS.ProcessEnv = { ...process.env, AUTHX_TEST_DRIVERS: NEST_DRIVERS.join(',') }
  // Set by the runner around this file: the child is a runner of its own, not one of its files.
  delete env['NODE_TEST_CONTEXT']
  const started = spawn(
    process.execPath,
    [
      // The runner hands both to each test file's process; tsx first, as the hook is TypeScript.
      '--import',
      'tsx',
      '--import',
      './test/helpers/nestjs11-register.ts',
      '--test',
      '--test-concurrency=1',
      '--test-reporter=tap',
      'test/adapters/nestjs11/loaded-version.ts',
      ...suites,
    ],
    { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  )
  child = started
  let output = ''
  started.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  started.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const limit = setTimeout(() => {
    if (started.pid !== undefined) process.kill(-started.pid, 'SIGKILL')
  }, CHILD_LIMIT_MS)
  const code = await new Promise<number | null>((resolve, reject) => {
    started.once('error', reject)
    started.once('close', (exitCode) => resolve(exitCode))
  }).finally(() => clearTimeout(limit))

  const failures = output
    .split('\n')
    .filter((line) => /^\s*not ok /.test(line))
    .join('\n')
  assert.equal(
    code,
    0,
    `the NestJS 11 run exited with ${code}:\n${failures}\n${output.slice(-4000)}`,
  )
  const tests = count(output, 'tests')
  assert.equal(count(output, 'fail'), 0, failures)
  assert.equal(count(output, 'cancelled'), 0)
  assert.equal(count(output, 'skipped'), 0)
  assert.equal(count(output, 'todo'), 0)
  assert.equal(count(output, 'pass'), tests)
  assert.ok(tests >= MINIMUM_TESTS, `only ${tests} tests ran on NestJS 11`)
  for (const driver of NEST_DRIVERS) {
    assert.match(output, new RegExp(`^# Subtest: .*\\[${driver}\\]`, 'm'), `no ${driver} suite ran`)
  }
  const loaded = /^# loaded @nestjs\/core ((\d+)\.\d+\.\d+)/m.exec(output)
  assert.ok(loaded !== null, 'the child did not report the @nestjs/core it loaded')
  assert.equal(loaded[2], '11')
  t.diagnostic(`${tests} tests passed on @nestjs/core ${loaded[1]} (${suites.length + 1} files)`)
})
