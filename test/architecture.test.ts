/**
 * Dependencies point one way: adapters -> core, stores -> store interface. The core never loads a
 * framework, ioredis or `node:http`, so `import { AuthX } from 'authx-ts'` works in any runtime and
 * costs nothing extra. Checked statically (every import of every file, comments ignored) and at
 * run time (importing the core barrel with a resolve hook that refuses the forbidden modules).
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { after, describe, test } from 'node:test'
import ts from 'typescript'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const SRC = join(ROOT, 'src')

/** Module specifiers only adapters (and the Redis store) may import. */
const FORBIDDEN = [
  /^fastify(\/|$)/,
  /^fastify-plugin$/,
  /^@fastify\//,
  /^express(\/|$)/,
  /^hono(\/|$)/,
  /^@hono\//,
  /^koa(\/|$)/,
  /^@koa\//,
  /^@nestjs\//,
  /^ioredis(\/|$)/,
  /^(node:)?https?$/,
  /^(node:)?http2$/,
  /^authx-ts\/(fastify|express|hono|koa|nestjs|redis)$/,
]
const isForbidden = (specifier: string): boolean => FORBIDDEN.some((re) => re.test(specifier))

/** Files allowed to import them. */
const isExempt = (file: string): boolean => {
  const path = relative(SRC, file).split(sep).join('/')
  return path.startsWith('adapters/') || path === 'stores/redis.ts'
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name)
      if (statSync(path).isDirectory()) return sourceFiles(path)
      return name.endsWith('.ts') ? [path] : []
    })
}

/** Every module a file imports: static, `export from`, `import type` and dynamic `import()`. */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true)
  return info.importedFiles.map((f) => f.fileName)
}

/**
 * The layers of `src/`, lowest first: a module may import its own layer and the ones below, never
 * one above. The shared vocabulary sits at the bottom and the framework bindings at the top; the
 * facade (`authx.ts`) sits above the features it delegates to and below `authz/`, whose
 * `AuthManager` registers AuthX instances.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['types.ts', 'errors.ts', 'scopes.ts', 'internal'],
  ['token'],
  ['stores'],
  ['config'],
  ['request', 'response'],
  ['core'],
  ['features'],
  ['authx.ts'],
  ['authz'],
  ['adapters', 'index.ts'],
  // The test kit (`authx-ts/testing`) mints through the core; production code never imports it.
  ['testing'],
  // The command line (`npx authx-ts`) drives the library from outside, and nothing imports it.
  ['cli'],
]

/**
 * Imports that still point up, each to be removed by the change that fixes it (a ratchet: the
 * test fails when one is fixed and not removed here, and when a new one appears).
 */
const KNOWN_UPWARD: readonly string[] = []

/** The top-level unit of a source file: its folder under `src/`, or its own name. */
function unitOf(file: string): string {
  return relative(SRC, file).split(sep)[0] as string
}

function layerOf(file: string): number {
  const unit = unitOf(file)
  const index = LAYERS.findIndex((layer) => layer.includes(unit))
  assert.notEqual(index, -1, `${unit} is in no layer: add it to LAYERS`)
  return index
}

/** The source files a file imports by relative path. */
function localImportsOf(file: string): string[] {
  return importsOf(file)
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => resolve(dirname(file), specifier))
}

void describe('architecture', () => {
  const files = sourceFiles(SRC)

  void test('layers point one way: no module imports a layer above its own', () => {
    const upward = files.flatMap((file) =>
      localImportsOf(file)
        .filter((target) => layerOf(target) > layerOf(file))
        .map((target) => `${relative(SRC, file)} -> ${relative(SRC, target)}`.split(sep).join('/')),
    )
    assert.deepEqual(upward, KNOWN_UPWARD)
  })

  void test('no cycles between folders', () => {
    const edges = new Map<string, Set<string>>()
    for (const file of files) {
      for (const target of localImportsOf(file)) {
        const from = unitOf(file)
        const to = unitOf(target)
        if (from !== to) edges.set(from, (edges.get(from) ?? new Set()).add(to))
      }
    }
    const cycles: string[] = []
    const visit = (unit: string, path: readonly string[]): void => {
      if (path.includes(unit)) {
        cycles.push([...path.slice(path.indexOf(unit)), unit].join(' -> '))
        return
      }
      for (const next of edges.get(unit) ?? []) visit(next, [...path, unit])
    }
    for (const unit of edges.keys()) visit(unit, [])
    assert.deepEqual(cycles, [])
  })

  void test('only the test kit itself imports the test kit', () => {
    const importers = files
      .filter((file) => unitOf(file) !== 'testing')
      .filter((file) => localImportsOf(file).some((target) => unitOf(target) === 'testing'))
      .map((file) => relative(SRC, file).split(sep).join('/'))
    assert.deepEqual(importers, [])
    assert.ok(
      files.some((file) => unitOf(file) === 'testing'),
      'the scan must find the kit',
    )
  })

  void test('the layer check can fail', () => {
    assert.ok(layerOf(join(SRC, 'adapters', 'fastify.ts')) > layerOf(join(SRC, 'authx.ts')))
    assert.ok(layerOf(join(SRC, 'types.ts')) < layerOf(join(SRC, 'token', 'jws.ts')))
    assert.throws(() => layerOf(join(SRC, 'nowhere', 'x.ts')))
  })

  void test('the scanner sees every kind of import and ignores comments', () => {
    const dir = mkdtempSync(join(tmpdir(), 'authx-arch-'))
    try {
      const probe = join(dir, 'probe.ts')
      writeFileSync(
        probe,
        [
          "import a from 'fastify'",
          "import type { B } from 'express'",
          "export { c } from 'hono/cookie'",
          "const d = await import('ioredis')",
          "import 'node:http'",
          "// import x from '@hono/node-server'",
          "/** import { y } from 'authx-ts/redis' */",
        ].join('\n'),
      )
      assert.deepEqual(importsOf(probe), [
        'fastify',
        'express',
        'hono/cookie',
        'ioredis',
        'node:http',
      ])
      assert.ok(importsOf(probe).every(isForbidden))
      assert.ok(!isForbidden('node:crypto'))
      assert.ok(!isForbidden('cookie'))
      assert.ok(!isForbidden('jose'))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  void test('no core file imports a framework, ioredis or node:http', () => {
    assert.ok(files.length > 10, 'the scan must find the sources')
    const violations = files
      .filter((file) => !isExempt(file))
      .flatMap((file) =>
        importsOf(file)
          .filter(isForbidden)
          .map((specifier) => `${relative(ROOT, file)} imports ${specifier}`),
      )
    assert.deepEqual(violations, [])
  })

  void test('the core barrel never reaches an adapter or the Redis store', () => {
    const seen = new Set<string>()
    const bare = new Set<string>()
    const visit = (file: string): void => {
      if (seen.has(file)) return
      seen.add(file)
      for (const specifier of importsOf(file)) {
        if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier))
        else bare.add(specifier)
      }
    }
    visit(join(SRC, 'index.ts'))
    assert.ok(seen.has(join(SRC, 'authx.ts')), 'the graph must include the AuthX class')
    const reached = [...seen].map((f) => relative(SRC, f).split(sep).join('/'))
    assert.deepEqual(
      reached.filter((f) => f.startsWith('adapters/') && f !== 'adapters/fetch.ts'),
      [],
    )
    assert.equal(reached.includes('stores/redis.ts'), false)
    assert.deepEqual([...bare].filter(isForbidden), [])
    // What the core may load at all: Node built-ins and its two dependencies.
    const allowed = /^(node:[a-z_/]+|cookie|jose)$/
    assert.deepEqual(
      [...bare].filter((s) => !allowed.test(s)),
      [],
      `unexpected dependencies of the core: ${[...bare].join(', ')}`,
    )
  })

  void describe('at run time', () => {
    const dir = mkdtempSync(join(tmpdir(), 'authx-arch-'))
    after(() => rmSync(dir, { recursive: true, force: true }))
    // A resolve hook that refuses the forbidden modules, registered ahead of tsx's.
    const hook = join(dir, 'hook.mjs')
    writeFileSync(
      hook,
      `const FORBIDDEN = [${FORBIDDEN.map(String).join(', ')}]
export async function resolve(specifier, context, next) {
  if (FORBIDDEN.some((re) => re.test(specifier))) {
    throw new Error('forbidden import ' + specifier + ' from ' + context.parentURL)
  }
  return next(specifier, context)
}
`,
    )
    const register = join(dir, 'register.mjs')
    writeFileSync(
      register,
      `import { register } from 'node:module'\nregister(${JSON.stringify(pathToFileURL(hook).href)})\n`,
    )
    const load = (entry: string) =>
      spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          '--import',
          pathToFileURL(register).href,
          '--input-type=module',
          '-e',
          `const m = await import(${JSON.stringify(pathToFileURL(join(ROOT, entry)).href)}); console.log(Object.keys(m).length)`,
        ],
        { cwd: ROOT, encoding: 'utf8' },
      )

    void test('importing src/index.ts loads no framework', () => {
      const result = load('src/index.ts')
      assert.equal(result.status, 0, result.stderr)
      assert.ok(Number(result.stdout.trim()) > 10)
    })

    void test('the hook does refuse an adapter (the check can fail)', () => {
      // The Express adapter loads node:http at run time (the others import their framework's types only).
      const result = load('src/adapters/express.ts')
      assert.notEqual(result.status, 0)
      assert.match(result.stderr, /forbidden import node:http/)
    })
  })
})
