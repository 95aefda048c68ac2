/**
 * HTTP benchmarks: for each framework, one server process per route variant (open, bare HMAC,
 * authx-ts, authx-ts with the verified-token cache when available, the framework's JWT plugin),
 * and one autocannon process that loads them in turn, interleaved round by round.
 */
import type { ChildProcess } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import { AuthX } from '../lib/library.ts'
import { HMAC_SECRET, SUBJECT } from '../lib/fixtures.ts'
import { firstJSONLine, spawnTsx, stopChild } from '../lib/child.ts'
import { formatRate, formatRatio, pairedRatio, rotate, summarize } from '../lib/stats.ts'
import type { Summary } from '../lib/stats.ts'
import type { LoadRequest, LoadResult } from './load.ts'
import type { Framework, Variant } from './server.ts'

/** What the HTTP phase needs to know. */
export interface HttpOptions {
  readonly frameworks: readonly Framework[]
  readonly connections: number
  /** Seconds per measured run. */
  readonly duration: number
  /** Seconds of warm-up load per server. */
  readonly warmup: number
  readonly rounds: number
  /** Whether to add the `authx-cached` variant (`verifiedTokenCache` on). */
  readonly withCache: boolean
  /** Variants to run instead of the default set (experiments). */
  readonly variants?: readonly Variant[] | undefined
}

/** One variant's measurements over the rounds. */
export interface HttpVariantResult {
  readonly variant: Variant
  readonly label: string
  readonly rps: Summary
  /**
   * Requests served per second of the server's own CPU time (all its threads): what the route
   * would serve on one dedicated core. Unlike req/s, it does not depend on what else the machine
   * is running, so the targets are judged on it.
   */
  readonly reqPerCpuSecond: Summary
  readonly p50: Summary
  readonly p99: Summary
  /** Responses that were not 2xx, summed over measured runs (must be 0). */
  readonly non2xx: number
  readonly errors: number
}

/** A paired ratio of two variants. */
export interface HttpRatio {
  readonly a: Variant
  readonly b: Variant
  /** Of requests per CPU-second (the load-independent measure). */
  readonly ratio: Summary
  /** Of raw requests per second. */
  readonly rpsRatio: Summary
}

/** One framework's table. */
export interface HttpFrameworkResult {
  readonly framework: Framework
  readonly variants: readonly HttpVariantResult[]
  readonly skipped: readonly { variant: Variant; label: string; reason: string }[]
  readonly ratios: readonly HttpRatio[]
}

/** The HTTP phase. */
export interface HttpResult {
  readonly options: HttpOptions
  readonly frameworks: readonly HttpFrameworkResult[]
}

const PEERS: Record<Framework, string> = {
  fastify: '@fastify/jwt',
  express: 'express-jwt',
  hono: 'hono/jwt',
}

/**
 * The label of a variant.
 *
 * @param framework - the framework
 * @param variant - the variant
 */
export function variantLabel(framework: Framework, variant: Variant): string {
  switch (variant) {
    case 'open':
      return `${framework}, no auth`
    case 'bare':
      return `${framework} + bare HMAC`
    case 'bare-async':
      return `${framework} + bare HMAC (async hook)`
    case 'authx':
      return `${framework} + authx-ts`
    case 'authx-cached':
      return `${framework} + authx-ts (verifiedTokenCache)`
    case 'peer':
      return `${framework} + ${PEERS[framework]}`
  }
}

interface Running {
  readonly variant: Variant
  readonly child: ChildProcess
  readonly url: string
}

/**
 * CPU time of a process so far, in seconds, summed over its threads (from
 * /proc/<pid>/task/<tid>/schedstat, nanosecond precision). NaN where /proc is not available.
 */
function processCpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN
  try {
    let ns = 0
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0])
      } catch {
        // A thread that ended between the listing and the read.
      }
    }
    return ns / 1e9
  } catch {
    return Number.NaN
  }
}

/** One measured load run: autocannon's figures and the server's CPU time over the run. */
interface Run extends LoadResult {
  readonly reqPerCpuSecond: number
}

/** The load generator process (bench/http/load.ts), driven over IPC. */
export class LoadClient {
  readonly #child: ChildProcess
  constructor(child: ChildProcess) {
    this.#child = child
  }

  static async start(): Promise<LoadClient> {
    const child = spawnTsx('bench/http/load.ts', [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve())
      child.once('exit', (code) => reject(new Error(`load generator exited with ${String(code)}`)))
    })
    return new LoadClient(child)
  }

  run(request: LoadRequest): Promise<LoadResult> {
    return new Promise((resolve, reject) => {
      this.#child.once(
        'message',
        (message: { ok: boolean; result?: LoadResult; error?: string }) => {
          if (message.ok && message.result !== undefined) resolve(message.result)
          else reject(new Error(message.error ?? 'load failed'))
        },
      )
      this.#child.send(request)
    })
  }

  stop(): Promise<void> {
    this.#child.disconnect()
    return stopChild(this.#child)
  }
}

/** Checks that a server really answers 200 with the token and 401 without or with a forged one. */
async function sanityCheck(
  url: string,
  variant: Variant,
  token: string,
): Promise<string | undefined> {
  const good = await fetch(url, { headers: { authorization: `Bearer ${token}` } })
  const body = (await good.json().catch(() => undefined)) as { sub?: string } | undefined
  if (good.status !== 200 || body?.sub !== SUBJECT)
    return `expected 200 {"sub":"${SUBJECT}"} with the token, got ${good.status}`
  if (variant === 'open') return undefined
  const none = await fetch(url)
  await none.arrayBuffer()
  if (none.status !== 401) return `expected 401 without a token, got ${none.status}`
  const forged = `${token.slice(0, -4)}${token.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`
  const bad = await fetch(url, { headers: { authorization: `Bearer ${forged}` } })
  await bad.arrayBuffer()
  if (bad.status !== 401) return `expected 401 with a forged signature, got ${bad.status}`
  return undefined
}

async function startVariant(
  framework: Framework,
  variant: Variant,
  token: string,
): Promise<Running | string> {
  const child = spawnTsx('bench/http/server.ts', [framework, variant])
  let answer: { port?: number; error?: string }
  try {
    answer = (await firstJSONLine(child)) as { port?: number; error?: string }
  } catch (error) {
    await stopChild(child)
    return (error as Error).message
  }
  if (answer.port === undefined) {
    await stopChild(child)
    return answer.error ?? 'server did not start'
  }
  const url = `http://127.0.0.1:${answer.port}/protected`
  const problem = await sanityCheck(url, variant, token).catch((error: unknown) => String(error))
  if (problem !== undefined) {
    await stopChild(child)
    return problem
  }
  return { variant, child, url }
}

function log(message: string): void {
  process.stderr.write(`${message}\n`)
}

/**
 * Runs the HTTP phase.
 *
 * @param options - frameworks, connections, durations, rounds
 */
export async function runHttp(options: HttpOptions): Promise<HttpResult> {
  const token = new AuthX({ secretKey: HMAC_SECRET }).createAccessToken(SUBJECT, {
    expiresIn: '6h',
  })
  const headers = { authorization: `Bearer ${token}` }
  const load = await LoadClient.start()
  const frameworks: HttpFrameworkResult[] = []
  try {
    for (const framework of options.frameworks) {
      const wanted: readonly Variant[] = options.variants ?? [
        'open',
        'bare',
        'authx',
        ...(options.withCache ? (['authx-cached'] as const) : []),
        'peer',
      ]
      const running: Running[] = []
      const skipped: HttpFrameworkResult['skipped'][number][] = []
      for (const variant of wanted) {
        const started = await startVariant(framework, variant, token)
        if (typeof started === 'string') {
          skipped.push({ variant, label: variantLabel(framework, variant), reason: started })
          log(`  ${framework}/${variant}: skipped (${started})`)
        } else running.push(started)
      }
      try {
        for (const server of running) {
          await load.run({
            url: server.url,
            connections: options.connections,
            duration: options.warmup,
            headers,
          })
        }
        const runs = new Map<Variant, Run[]>(running.map((s) => [s.variant, []]))
        for (let round = 0; round < options.rounds; round++) {
          for (const server of rotate(running, round)) {
            const cpuBefore = processCpuSeconds(server.child.pid)
            const result = await load.run({
              url: server.url,
              connections: options.connections,
              duration: options.duration,
              headers,
            })
            const cpu = processCpuSeconds(server.child.pid) - cpuBefore
            runs.get(server.variant)?.push({ ...result, reqPerCpuSecond: result.total / cpu })
          }
        }
        const variants = running.map((s): HttpVariantResult => {
          const list = runs.get(s.variant) ?? []
          return {
            variant: s.variant,
            label: variantLabel(framework, s.variant),
            rps: summarize(list.map((r) => r.rps)),
            reqPerCpuSecond: summarize(list.map((r) => r.reqPerCpuSecond)),
            p50: summarize(list.map((r) => r.p50)),
            p99: summarize(list.map((r) => r.p99)),
            non2xx: list.reduce((n, r) => n + r.non2xx, 0),
            errors: list.reduce((n, r) => n + r.errors + r.timeouts, 0),
          }
        })
        const rpsOf = (v: Variant): number[] => (runs.get(v) ?? []).map((r) => r.rps)
        const cpuOf = (v: Variant): number[] => (runs.get(v) ?? []).map((r) => r.reqPerCpuSecond)
        const ratio = (a: Variant, b: Variant): HttpRatio => ({
          a,
          b,
          ratio: pairedRatio(cpuOf(a), cpuOf(b)),
          rpsRatio: pairedRatio(rpsOf(a), rpsOf(b)),
        })
        const ratios: HttpRatio[] = []
        const present = running.map((s) => s.variant)
        for (const a of present.filter((v) => v.startsWith('authx'))) {
          for (const b of present.filter((v) => !v.startsWith('authx'))) ratios.push(ratio(a, b))
        }
        // The bare-HMAC route against the peer is the ceiling of any guard that verifies a
        // signature; the open route against the peer, the ceiling of any guard at all.
        for (const limit of ['bare', 'open'] as const)
          if (present.includes('peer') && present.includes(limit)) ratios.push(ratio(limit, 'peer'))
        frameworks.push({ framework, variants, skipped, ratios })
        log(
          `  ${framework}: ${variants.map((v) => `${v.variant} ${formatRate(v.rps.median)} req/s, ${formatRate(v.reqPerCpuSecond.median)} req/CPU-s (p99 ${v.p99.median} ms)`).join(', ')}`,
        )
        log(
          `    per CPU-s: ${ratios.map((r) => `${r.a}/${r.b} ${formatRatio(r.ratio.median)}`).join(', ')}`,
        )
        log(
          `    raw req/s: ${ratios.map((r) => `${r.a}/${r.b} ${formatRatio(r.rpsRatio.median)}`).join(', ')}`,
        )
        for (const v of variants)
          if (v.non2xx > 0 || v.errors > 0)
            log(`    WARNING ${v.variant}: ${v.non2xx} non-2xx, ${v.errors} errors`)
      } finally {
        for (const server of running) await stopChild(server.child)
      }
    }
  } finally {
    await load.stop()
  }
  return { options, frameworks }
}
