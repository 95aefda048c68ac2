/**
 * `npm run bench`: authx-ts against its peers, side by side, in one run on one machine.
 *
 * - quick mode (default, for CI): short slices, one HTTP round; well under two minutes, never
 *   asserts on timing, exits 0 unless the benchmark itself is broken;
 * - `--full`: publishable numbers (longer slices, more rounds), and regenerates the tables of
 *   docs/benchmarks.md and the chart docs/benchmarks.svg.
 *
 * `--only=cluster` (not in the default run: it starts a Redis Cluster and nine server processes)
 * measures three quickstart instances on one Redis and on a Redis Cluster, without and with the
 * revocation near-cache (bench/cluster/run-cluster.ts).
 *
 * Options: `--only=micro,http,memory,cluster`, `--frameworks=fastify,express,hono`, `--rounds=N` (micro
 * and HTTP), `--algorithms=HS256,ES256`, `--source=src` (measure src/ through tsx instead of the
 * compiled library; see lib/build.ts). Every phase runs in child processes; the result is
 * written to bench/results/latest.json.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism, loadavg } from 'node:os'
import { join } from 'node:path'
import { renderChart } from './chart.ts'
import { runHttp } from './http/run-http.ts'
import type { HttpResult } from './http/run-http.ts'
import { FRAMEWORKS } from './http/server.ts'
import type { Framework } from './http/server.ts'
import { runCluster } from './cluster/run-cluster.ts'
import type { ClusterResult } from './cluster/run-cluster.ts'
import { buildLibrary } from './lib/build.ts'
import { ROOT, runJSONChild } from './lib/child.ts'
import { BENCH_ALGORITHMS } from './lib/fixtures.ts'
import type { BenchAlgorithm } from './lib/fixtures.ts'
import { formatRatio } from './lib/stats.ts'
import { evaluateTargets, targetStatus } from './lib/targets.ts'
import type { TargetCheck } from './lib/targets.ts'
import type { MemoryResult } from './memory.ts'
import type { MicroResult } from './micro.ts'
import { updateReport } from './report.ts'

/** Where, with what, and how a run was made. */
export interface RunMeta {
  readonly date: string
  readonly mode: 'quick' | 'full'
  readonly machine: {
    readonly cpus: number
    readonly cpuModel: string
    readonly node: string
    readonly platform: string
    /** 1-minute load average at the start and at the end: other work on the machine. */
    readonly loadStart: number
    readonly loadEnd: number
  }
  readonly versions: Record<string, string>
  /** What was measured: the compiled library (as published) or src/ through tsx. */
  readonly library: string
  readonly durationSeconds: number
}

/** The whole result, as written to bench/results/latest.json. */
export interface BenchResult {
  readonly meta: RunMeta
  readonly micro?: MicroResult | undefined
  readonly http?: HttpResult | undefined
  readonly memory?: MemoryResult | undefined
  readonly cluster?: ClusterResult | undefined
  readonly targets: readonly TargetCheck[]
  readonly errors: readonly string[]
}

const PACKAGES = [
  'fastify',
  '@fastify/jwt',
  'express',
  'express-jwt',
  'hono',
  '@hono/node-server',
  'jose',
  'fast-jwt',
  'jsonwebtoken',
  'autocannon',
]

function packageVersion(name: string): string {
  try {
    const pkg = JSON.parse(
      readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8'),
    ) as {
      version?: string
    }
    return pkg.version ?? 'unknown'
  } catch {
    return 'not installed'
  }
}

function cpuModel(): string {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8')
    return /^model name\s*:\s*(.+)$/m.exec(info)?.[1]?.trim() ?? 'unknown'
  } catch {
    return 'unknown'
  }
}

function argValue(name: string): string | undefined {
  const prefix = `--${name}=`
  return process.argv.find((a) => a.startsWith(prefix))?.slice(prefix.length)
}

function log(message: string): void {
  process.stderr.write(`${message}\n`)
}

async function main(): Promise<void> {
  const started = Date.now()
  const full = process.argv.includes('--full')
  const only = new Set((argValue('only') ?? 'micro,http,memory').split(','))
  const rounds = argValue('rounds')
  const frameworks = (argValue('frameworks')?.split(',') ?? [...FRAMEWORKS]) as Framework[]
  const algorithms = (argValue('algorithms')?.split(',') ?? [
    ...BENCH_ALGORITHMS,
  ]) as BenchAlgorithm[]
  const loadStart = loadavg()[0] ?? 0
  const errors: string[] = []
  let library = 'src/ through tsx (--source=src)'
  if (argValue('source') !== 'src') {
    try {
      const dir = await buildLibrary()
      // Every child (micro, memory, servers) inherits this and loads the compiled library.
      process.env.AUTHX_BENCH_LIB = join(ROOT, dir)
      library = `src/ compiled to ES2022 by esbuild, no keepNames (${dir})`
    } catch (error) {
      library = `src/ through tsx (build failed: ${(error as Error).message})`
    }
  }
  log(
    `authx-ts benchmarks, ${full ? 'full' : 'quick'} mode (${availableParallelism()} CPUs, load ${loadStart.toFixed(1)})`,
  )

  let micro: MicroResult | undefined
  if (only.has('micro')) {
    log('micro: sign and verify, ops/s (interleaved medians)')
    const options = full
      ? { warmupMs: 300, sliceMs: 50, rounds: Number(rounds ?? 61) }
      : { warmupMs: 50, sliceMs: 30, rounds: Number(rounds ?? 4) }
    try {
      // stderr of the child (its progress) goes straight to ours.
      micro = (await runJSONChild('bench/micro.ts', [
        JSON.stringify({ ...options, algorithms }),
      ])) as MicroResult
    } catch (error) {
      errors.push(`micro: ${(error as Error).message}`)
      log(`micro failed: ${(error as Error).message}`)
    }
  }

  let memory: MemoryResult | undefined
  if (only.has('memory')) {
    log('memory: MemoryStore heap, allocation per verify')
    try {
      memory = (await runJSONChild(
        'bench/memory.ts',
        [],
        ['--expose-gc', '--min-semi-space-size=64', '--max-semi-space-size=64'],
      )) as MemoryResult
      log(
        `  MemoryStore: ${(memory.store.totalBytes / 1048576).toFixed(1)} MB per ${memory.store.entries / 1000}k revoked jti (${(memory.store.overheadBytes / 1048576).toFixed(1)} MB without the ids)`,
      )
      log(
        `  allocated per verify: ${memory.allocation.map((a) => `${a.id} ${Math.round(a.bytesPerOp)} B`).join(', ')}`,
      )
    } catch (error) {
      errors.push(`memory: ${(error as Error).message}`)
      log(`memory failed: ${(error as Error).message}`)
    }
  }

  let http: HttpResult | undefined
  if (only.has('http')) {
    log('http: GET /protected under autocannon (10 connections), interleaved')
    const options = {
      frameworks,
      connections: 10,
      // Many short rounds rather than a few long ones: the machine's speed drifts by a third
      // within seconds, so the two sides of a pair must run close together, and many pairs
      // give a steady median.
      duration: full ? 2 : 3,
      warmup: full ? 2 : 1,
      rounds: Number(rounds ?? (full ? 21 : 1)),
      // The cached route is a full-mode extra: quick mode must stay well under two minutes.
      withCache: full,
    }
    try {
      http = await runHttp(options)
    } catch (error) {
      errors.push(`http: ${(error as Error).message}`)
      log(`http failed: ${(error as Error).message}`)
    }
  }

  let cluster: ClusterResult | undefined
  if (only.has('cluster')) {
    log('cluster: three quickstart instances per configuration, autocannon (10 connections)')
    try {
      cluster = await runCluster({
        duration: full ? 5 : 2,
        connections: 10,
        rounds: Number(rounds ?? (full ? 3 : 1)),
      })
    } catch (error) {
      errors.push(`cluster: ${(error as Error).message}`)
      log(`cluster failed: ${(error as Error).message}`)
    }
  }

  const targets = evaluateTargets(micro, http)
  const result: BenchResult = {
    meta: {
      date: new Date().toISOString(),
      mode: full ? 'full' : 'quick',
      machine: {
        cpus: availableParallelism(),
        cpuModel: cpuModel(),
        node: process.version,
        platform: `${process.platform} ${process.arch}`,
        loadStart,
        loadEnd: loadavg()[0] ?? 0,
      },
      versions: Object.fromEntries(PACKAGES.map((p) => [p, packageVersion(p)])),
      library,
      durationSeconds: Math.round((Date.now() - started) / 1000),
    },
    micro,
    http,
    memory,
    cluster,
    targets,
    errors,
  }

  log('targets (DESIGN.md section 8; medians of paired ratios, reported, never asserted):')
  for (const t of targets) {
    const status = targetStatus(t)
    log(
      `  ${t.target}: ${formatRatio(t.measured)} (min ${formatRatio(t.min)}, max ${formatRatio(t.max)}) >= ${t.threshold}: ${status}`,
    )
  }

  const resultsDir = join(ROOT, 'bench/results')
  mkdirSync(resultsDir, { recursive: true })
  writeFileSync(join(resultsDir, 'latest.json'), `${JSON.stringify(result, null, 2)}\n`)
  log(`wrote bench/results/latest.json (${result.meta.durationSeconds} s)`)
  if (full) {
    await updateReport(join(ROOT, 'docs/benchmarks.md'), result)
    writeFileSync(join(ROOT, 'docs/benchmarks.svg'), renderChart(result))
    log('updated docs/benchmarks.md and docs/benchmarks.svg')
  }
  // A phase that crashed is a broken benchmark; slow numbers never fail the run.
  process.exitCode = errors.length > 0 ? 1 : 0
}

await main()
