/**
 * The package as a user installs it: `npm pack`, unpacked into the `node_modules` of a throw-away
 * consumer project, compiled with the oldest TypeScript the README promises (`typescript-min`)
 * and with the current one. Every entry of `exports` is imported, so a declaration that needs a
 * newer compiler, or a file the tarball forgot, fails here. The same tarball must ship no source
 * map (they would point at sources it does not ship), and every relative link of its README and
 * docs must lead to a file it ships.
 *
 * `npm test` builds before it runs the tests; run alone, this test builds first when `dist/` is
 * missing or older than `src/`.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, before, describe, test } from 'node:test'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const installed = (name: string): string => join(ROOT, 'node_modules', name)

/** The compilers every consumer project is checked with: the oldest supported and the current. */
const COMPILERS = ['typescript-min', 'typescript'].map((name) => {
  const pkg = JSON.parse(readFileSync(join(installed(name), 'package.json'), 'utf8')) as {
    version: string
  }
  return { name, version: pkg.version, tsc: join(installed(name), 'bin', 'tsc') }
})

function newestMtime(dir: string): number {
  return Math.max(
    ...readdirSync(dir).map((name) => {
      const path = join(dir, name)
      const stat = statSync(path)
      return stat.isDirectory() ? newestMtime(path) : stat.mtimeMs
    }),
  )
}

function builtAt(): number {
  try {
    return statSync(join(ROOT, 'dist', 'index.js')).mtimeMs
  } catch {
    return -Infinity
  }
}

function run(command: string, args: readonly string[], cwd: string): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8' })
  assert.equal(
    result.status,
    0,
    `${command} ${args.join(' ')} failed:\n${result.stdout}${result.stderr}`,
  )
  return result.stdout
}

/**
 * Compiles a consumer project and returns the errors that are this package's: in its declarations
 * or in the consumer's own files. Errors inside another package's declarations (a framework's
 * types that disagree with a transitive dependency) are that package's to fix, and are left out.
 *
 * @param tsc - the compiler's `bin/tsc`
 * @param project - the tsconfig file
 * @param cwd - the consumer project
 */
function ownTypeErrors(tsc: string, project: string, cwd: string): string[] {
  const result = spawnSync(process.execPath, [tsc, '-p', project], { cwd, encoding: 'utf8' })
  const errors = result.stdout
    .split('\n')
    .filter((line) => /^\S[^(]*\(\d+,\d+\): error TS\d+/.test(line))
  // A compiler that failed without a diagnostic (a crash, a bad tsconfig) fails the test too.
  if (result.status !== 0 && errors.length === 0) return [`${result.stdout}${result.stderr}`]
  return errors.filter((line) => {
    const file = line.slice(0, line.indexOf('('))
    const foreign = file.startsWith('../') || /(^|\/)node_modules\//.test(file)
    return !foreign || file.startsWith('node_modules/authx-ts/')
  })
}

/** Every file under `dir`, as paths relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((path) =>
    statSync(join(dir, path)).isFile(),
  )
}

/** What a consumer writes against the core entry: a guarded Fetch handler and the audit names. */
const CORE_USAGE = `import { AuthX, AUDIT_CHANNELS, isAuthXError, type TokenIssuedEvent } from 'authx-ts'
import { withAuth } from 'authx-ts/fetch'

const auth = new AuthX({ secretKey: 'a development secret of at least 32 bytes!' })
export const handler = withAuth(auth, { scopes: ['read'] }, (_request, { payload }) =>
  new Response(payload.sub),
)
export const channel: string = AUDIT_CHANNELS.tokenIssued
export type Issued = TokenIssuedEvent
export const isAuthFailure = (error: unknown): boolean => isAuthXError(error)
`

void describe('the packed package in a consumer project', () => {
  let work: string
  let consumer: string
  let unpacked: string
  let entries: string[]

  before(() => {
    if (builtAt() < newestMtime(join(ROOT, 'src'))) run('npm', ['run', 'build'], ROOT)
    work = mkdtempSync(join(tmpdir(), 'authx-ts-consumer-'))
    run('npm', ['pack', '--silent', '--pack-destination', work], ROOT)
    const tarball = readdirSync(work).find((name) => name.endsWith('.tgz'))
    assert.ok(tarball !== undefined, 'npm pack wrote no tarball')
    consumer = join(work, 'consumer')
    unpacked = join(consumer, 'node_modules', 'authx-ts')
    mkdirSync(unpacked, { recursive: true })
    run('tar', ['-xzf', join(work, tarball), '-C', unpacked, '--strip-components=1'], work)
    // The frameworks and @types/node come from this repository's install, linked in by name.
    for (const name of readdirSync(join(ROOT, 'node_modules'))) {
      if (name === 'authx-ts' || name.startsWith('.')) continue
      symlinkSync(join(ROOT, 'node_modules', name), join(consumer, 'node_modules', name))
    }
    writeFileSync(
      join(consumer, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
    )
    const pkg = JSON.parse(readFileSync(join(unpacked, 'package.json'), 'utf8')) as {
      exports: Record<string, unknown>
    }
    entries = Object.keys(pkg.exports)
      .filter((entry) => entry !== './package.json')
      .map((entry) => (entry === '.' ? 'authx-ts' : `authx-ts/${entry.slice(2)}`))
    const imports = entries.map((entry, i) => `import * as entry${i} from '${entry}'`)
    writeFileSync(
      join(consumer, 'entries.ts'),
      `${imports.join('\n')}\nexport const all = [${entries.map((_, i) => `entry${i}`).join(', ')}]\n`,
    )
    writeFileSync(join(consumer, 'core.ts'), CORE_USAGE)
    const compilerOptions = {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      noEmit: true,
      lib: ['ES2022', 'DOM', 'DOM.Iterable'],
    }
    // Every declaration checked, ours and the frameworks', with Node's types.
    writeFileSync(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { ...compilerOptions, skipLibCheck: false, types: ['node'] },
        files: ['entries.ts', 'core.ts'],
      }),
    )
    // A Fetch-runtime project without @types/node, as the README describes it.
    writeFileSync(
      join(consumer, 'tsconfig.no-node.json'),
      JSON.stringify({
        compilerOptions: { ...compilerOptions, skipLibCheck: true, types: [] },
        files: ['core.ts'],
      }),
    )
  })

  after(() => {
    if (work !== undefined) rmSync(work, { recursive: true, force: true })
  })

  for (const compiler of COMPILERS) {
    void test(`every entry's declarations compile with TypeScript ${compiler.version} (${compiler.name})`, () => {
      assert.ok(entries.length >= 6, `entries: ${entries.join(', ')}`)
      assert.deepEqual(ownTypeErrors(compiler.tsc, 'tsconfig.json', consumer), [])
    })

    void test(`the core entries compile without @types/node on TypeScript ${compiler.version}`, () => {
      assert.deepEqual(ownTypeErrors(compiler.tsc, 'tsconfig.no-node.json', consumer), [])
    })
  }

  void test('the oldest compiler checked is the one the README states', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
    const oldest = COMPILERS[0]!.version.split('.').slice(0, 2).join('.')
    assert.match(readme, new RegExp(`TypeScript ${oldest.replace('.', '\\.')} or newer`))
  })

  void test('the tarball ships no source map', () => {
    const maps = filesUnder(unpacked).filter((path) => path.endsWith('.map'))
    assert.deepEqual(maps, [])
  })

  void test('every relative link of the shipped README and docs leads to a shipped file', () => {
    const pages = ['README.md', ...filesUnder(join(unpacked, 'docs')).map((p) => join('docs', p))]
    const shipped = new Set(filesUnder(unpacked))
    const broken: string[] = []
    for (const page of pages.filter((path) => path.endsWith('.md'))) {
      const text = readFileSync(join(unpacked, page), 'utf8')
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (target === undefined || /^[a-z]+:/i.test(target) || target.startsWith('#')) continue
        const file = relative(unpacked, resolve(unpacked, dirname(page), target.split('#')[0]!))
        if (!shipped.has(file)) broken.push(`${page}: ${target}`)
      }
    }
    assert.deepEqual(broken, [])
  })
})
