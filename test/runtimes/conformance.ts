/**
 * Runs the adapter conformance suite inside another runtime. The suite's files
 * (`test/adapters/*.test.ts`), with the drivers of the bindings the runtime can host, are bundled
 * by esbuild into one module, `node:test` replaced by the small harness of `harness.ts`; the
 * bundle runs in the runtime (Bun and Deno as a script, workerd as a module worker with
 * `nodejs_compat`), where every case builds its app, mints its tokens and sends its requests; the
 * results come back as JSON for the Node test to replay case by case.
 *
 * Nothing here skips: a missing binary, a bundle the runtime cannot load or a crash fails the run.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import type { Plugin } from 'esbuild'
import type { CaseResult } from './harness.ts'
import { RESULTS_MARKER } from './report.ts'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const HERE = join(ROOT, 'test/runtimes')
const ADAPTER_TESTS = join(ROOT, 'test/adapters')

/** The runtimes the suite runs under, besides Node. */
export type Runtime = 'bun' | 'deno' | 'workerd'

/** A binding's conformance driver, by the name its suites carry (`cookies [fetch]`). */
export type DriverName = 'fetch' | 'hono'

/**
 * The bindings each runtime hosts. Fastify and Express are Node servers; workerd runs the Fetch
 * integration (Hono on Workers is the same binding on the same Fetch objects, and its driver's
 * WebSocket part loads @hono/node-server).
 */
export const DRIVERS_UNDER: Record<Runtime, readonly DriverName[]> = {
  bun: ['hono', 'fetch'],
  deno: ['hono', 'fetch'],
  workerd: ['fetch'],
}

/**
 * Conformance files that stay on Node, and why. The WebSocket suite drives Node servers (the
 * Express binding's upgrade listener, @hono/node-ws) with the `ws` client: on Bun and Deno the
 * upgrade is the runtime's own API (`server.upgrade`, `Deno.upgradeWebSocket`) after
 * `auth.authenticateWebSocket(request)`, which the Fetch binding declares instead of a guard.
 */
export const NODE_ONLY: Readonly<Record<string, string>> = {
  'websocket.test.ts':
    'drives Node HTTP servers and the ws client; other runtimes upgrade with their own APIs',
}

/** A file of the suite: its path under `test/`, as the results name it, and on disk. */
export interface SuiteFile {
  readonly name: string
  readonly path: string
}

/**
 * The files that run under a runtime: the conformance files (those that loop over the drivers)
 * but {@link NODE_ONLY}, `algorithms.test.ts` next to this module, and on the runtimes that can
 * listen (all but workerd) `served.ts`.
 *
 * @param runtime - the runtime
 */
export async function suiteFiles(runtime: Runtime): Promise<SuiteFile[]> {
  const names = (await readdir(ADAPTER_TESTS)).filter((name) => name.endsWith('.test.ts')).sort()
  const files: SuiteFile[] = []
  for (const name of names) {
    if (NODE_ONLY[name] !== undefined) continue
    const path = join(ADAPTER_TESTS, name)
    if ((await readFile(path, 'utf8')).includes("from './drivers/index.ts'"))
      files.push({ name: `adapters/${name}`, path })
  }
  files.push({ name: 'runtimes/algorithms.test.ts', path: join(HERE, 'algorithms.test.ts') })
  if (runtime !== 'workerd')
    files.push({ name: 'runtimes/served.ts', path: join(HERE, 'served.ts') })
  return files
}

const NAMESPACE = 'authx-runtime'

/**
 * The esbuild plugin that assembles the suite: `node:test` becomes the harness, the suite's
 * driver list becomes the runtime's, and a generated entry imports each file (after telling the
 * harness its name) and then the host.
 */
function suitePlugin(
  files: readonly SuiteFile[],
  drivers: readonly DriverName[],
  host: string,
  worker: boolean,
): Plugin {
  const harness = join(HERE, 'harness.ts')
  return {
    name: 'authx-conformance-suite',
    setup(b) {
      b.onResolve({ filter: /^node:test$/ }, () => ({ path: harness }))
      b.onResolve({ filter: /^\.\/drivers\/index\.ts$/ }, (args) =>
        args.resolveDir === ADAPTER_TESTS ? { path: 'drivers', namespace: NAMESPACE } : undefined,
      )
      b.onResolve({ filter: /^authx-runtime:/ }, (args) => ({
        path: args.path.slice(NAMESPACE.length + 1),
        namespace: NAMESPACE,
      }))
      b.onLoad({ filter: /.*/, namespace: NAMESPACE }, (args) => {
        if (args.path === 'drivers') {
          const lines = drivers.map(
            (name) =>
              `import { ${name}Driver } from ${JSON.stringify(join(ADAPTER_TESTS, 'drivers', `${name}.ts`))}`,
          )
          lines.push(
            `export const DRIVERS = [${drivers.map((name) => `${name}Driver`).join(', ')}]`,
          )
          return { contents: lines.join('\n'), resolveDir: ROOT, loader: 'js' }
        }
        if (args.path.startsWith('enter:')) {
          const file = args.path.slice('enter:'.length)
          return {
            contents: `import { enterFile } from ${JSON.stringify(harness)}\nenterFile(${JSON.stringify(file)})`,
            resolveDir: ROOT,
            loader: 'js',
          }
        }
        // The entry: ES modules evaluate in import order, so each file registers under its name
        // and the host runs last.
        const lines = files.flatMap((file) => [
          `import ${JSON.stringify(`${NAMESPACE}:enter:${file.name}`)}`,
          `import ${JSON.stringify(file.path)}`,
        ])
        lines.push(
          worker
            ? `export { default } from ${JSON.stringify(host)}`
            : `import ${JSON.stringify(host)}`,
        )
        return { contents: lines.join('\n'), resolveDir: ROOT, loader: 'js' }
      })
    },
  }
}

/**
 * Bundles the suite for a runtime into `dir`.
 *
 * @param runtime - the runtime that will load the bundle
 * @param dir - an empty directory
 * @returns the bundle's path
 */
export async function bundleSuite(runtime: Runtime, dir: string): Promise<string> {
  const files = await suiteFiles(runtime)
  const worker = runtime === 'workerd'
  const host = join(HERE, 'hosts', worker ? 'worker.ts' : 'cli.ts')
  const outfile = join(dir, 'suite.mjs')
  await build({
    entryPoints: [`${NAMESPACE}:entry`],
    bundle: true,
    outfile,
    format: 'esm',
    target: 'es2022',
    // Workers resolve packages by their worker/browser conditions; Bun and Deno by node's.
    ...(worker
      ? {
          platform: 'neutral',
          conditions: ['workerd', 'worker', 'browser', 'import'],
          mainFields: ['browser', 'module', 'main'],
          external: ['node:*'],
        }
      : {
          platform: 'node',
          // CommonJS packages in the bundle (ws, under @hono/node-ws) require Node's modules.
          banner: {
            js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
          },
        }),
    plugins: [suitePlugin(files, DRIVERS_UNDER[runtime], host, worker)],
    logLevel: 'error',
  })
  return outfile
}

/** A binary of a runtime, as its dev dependency installs it. */
function binary(name: Runtime): string {
  return join(ROOT, 'node_modules/.bin', name)
}

/** How long a whole runtime run may take before it fails. */
const RUN_TIMEOUT_MS = 180_000

interface Finished {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** Runs a process to its end (killing it after {@link RUN_TIMEOUT_MS}). */
function runProcess(command: string, args: string[], cwd: string): Promise<Finished> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' },
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS)
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(new Error(`cannot start ${command}: ${error.message}`))
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolvePromise({ code, signal, stdout, stderr })
    })
  })
}

function parseResults(runtime: Runtime, run: Finished): CaseResult[] {
  const line = run.stdout.split('\n').find((l) => l.startsWith(RESULTS_MARKER))
  if (line === undefined)
    throw new Error(
      `${runtime} reported no results (exit ${run.code ?? run.signal}):\n${run.stderr.slice(-4000)}`,
    )
  return JSON.parse(line.slice(RESULTS_MARKER.length)) as CaseResult[]
}

/** Bun or Deno: the bundle runs as a script. */
async function runScript(
  runtime: 'bun' | 'deno',
  bundle: string,
  dir: string,
): Promise<CaseResult[]> {
  const args =
    runtime === 'bun'
      ? ['run', bundle]
      : // No configuration file or lockfile of this directory applies; the suite reads the
        // environment (configFromEnv) and listens on loopback, so it gets every permission.
        ['run', '--allow-all', '--no-config', '--no-lock', bundle]
  return parseResults(runtime, await runProcess(binary(runtime), args, dir))
}

/** The workerd configuration: one module worker with nodejs_compat behind one HTTP socket. */
function workerdConfig(): string {
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [(name = "suite", worker = .suite)],
  sockets = [(name = "http", address = "127.0.0.1:0", http = (), service = "suite")],
);

const suite :Workerd.Worker = (
  modules = [(name = "suite.mjs", esModule = embed "suite.mjs")],
  compatibilityDate = "2026-11-01",
  compatibilityFlags = ["nodejs_compat"],
);
`
}

/** workerd: the bundle is a module worker; one request runs the suite. */
async function runWorker(dir: string): Promise<CaseResult[]> {
  const config = join(dir, 'config.capnp')
  await writeFile(config, workerdConfig())
  const child = spawn(binary('workerd'), ['serve', config, '--control-fd=3'], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const exited = new Promise<void>((resolvePromise) => child.on('close', () => resolvePromise()))
  try {
    let startup: ReturnType<typeof setTimeout> | undefined
    const port = await new Promise<number>((resolvePromise, reject) => {
      startup = setTimeout(() => {
        reject(new Error(`workerd did not listen within 30 s:\n${stderr.slice(-4000)}`))
      }, 30_000)
      const control = child.stdio[3] as NodeJS.ReadableStream
      let buffered = ''
      control.setEncoding('utf8')
      control.on('data', (chunk: string) => {
        buffered += chunk
        for (const line of buffered.split('\n').slice(0, -1)) {
          const event = JSON.parse(line) as { event?: string; socket?: string; port?: number }
          if (event.event === 'listen' && event.socket === 'http' && event.port !== undefined)
            resolvePromise(event.port)
        }
        buffered = buffered.slice(buffered.lastIndexOf('\n') + 1)
      })
      child.on('error', (error) => reject(new Error(`cannot start workerd: ${error.message}`)))
      child.on('close', (code) =>
        reject(new Error(`workerd exited (${code}) before listening:\n${stderr.slice(-4000)}`)),
      )
    }).finally(() => clearTimeout(startup))
    const response = await fetch(`http://127.0.0.1:${port}/`, {
      signal: AbortSignal.timeout(RUN_TIMEOUT_MS),
    })
    const text = await response.text()
    if (response.status !== 200)
      throw new Error(`workerd answered ${response.status}: ${text}\n${stderr.slice(-4000)}`)
    return JSON.parse(text) as CaseResult[]
  } finally {
    child.kill('SIGKILL')
    await exited
  }
}

/**
 * Bundles the conformance suite for a runtime, runs it there and returns one result per case.
 *
 * @param runtime - the runtime
 * @returns the cases' results, in the order they ran
 * @throws Error when the binary is missing, the bundle does not load, or the runtime crashes
 */
export async function runConformance(runtime: Runtime): Promise<CaseResult[]> {
  const dir = await mkdtemp(join(tmpdir(), `authx-${runtime}-`))
  try {
    const bundle = await bundleSuite(runtime, dir)
    return runtime === 'workerd' ? await runWorker(dir) : await runScript(runtime, bundle, dir)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/**
 * Registers the runtime's run as `node:test` cases: one per case that ran there (failing with
 * the error it failed with there), and one that checks that every file ran on every driver the
 * runtime hosts. The run happens while the suite is built, so a runtime that cannot start or
 * crashes fails the suite.
 *
 * @param runtime - the runtime
 * @param title - its name in the report, e.g. `Bun 1.4`
 */
export function replayUnder(runtime: Runtime, title: string): void {
  void describe(`the conformance suite under ${title}`, async () => {
    const files = await suiteFiles(runtime)
    const results = await runConformance(runtime)
    for (const result of results) {
      test(`${result.file}: ${result.name}`, () => {
        if (result.error !== undefined) throw new Error(`under ${title}: ${result.error}`)
      })
    }
    test('every file ran there, every conformance file on every driver the runtime hosts', () => {
      for (const file of files) {
        const ran = results.filter((result) => result.file === file.name)
        assert.ok(ran.length > 0, `${file.name} ran no case`)
        if (!file.name.startsWith('adapters/')) continue
        for (const driver of DRIVERS_UNDER[runtime])
          assert.ok(
            ran.some((result) => result.name.includes(`[${driver}]`)),
            `${file.name} ran no case on the ${driver} driver`,
          )
      }
    })
  })
}
