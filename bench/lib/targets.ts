/**
 * The performance targets of the design (DESIGN.md section 8), evaluated on a result. Reported,
 * never asserted: a benchmark on a shared machine is evidence, not a test.
 */
import type { HttpResult } from '../http/run-http.ts'
import type { MicroResult } from '../micro.ts'

/** One target and what was measured. */
export interface TargetCheck {
  readonly target: string
  /** The measured paired ratio (median), or NaN when it could not be measured. */
  readonly measured: number
  readonly min: number
  readonly max: number
  readonly threshold: number
  readonly met: boolean | null
  /**
   * For a target relative to a peer: the bare limit's own ratio to that peer in the same run
   * (median of paired ratios). A verifier doing at least the bare limit's work cannot exceed it,
   * so a threshold above the ceiling cannot be met on this machine by any such verifier.
   */
  readonly ceiling?: number | undefined
}

/** How a target reads in the output: met, not met, or out of reach of the bare limit itself. */
export function targetStatus(t: TargetCheck): string {
  if (t.met === null) return 'not measured'
  if (t.met) return 'met'
  if (t.ceiling !== undefined && t.ceiling < t.threshold)
    return `not met; unreachable here (the bare limit itself is ${t.ceiling.toFixed(2)}x the peer)`
  return 'NOT met'
}

function microRatio(micro: MicroResult | undefined, group: string, a: string, b: string) {
  return micro?.groups.find((g) => g.id === group)?.ratios.find((r) => r.a === a && r.b === b)
    ?.ratio
}

function httpRatio(http: HttpResult | undefined, framework: string, a: string, b: string) {
  return http?.frameworks
    .find((f) => f.framework === framework)
    ?.ratios.find((r) => r.a === a && r.b === b)?.ratio
}

type Ratio = { median: number; min: number; max: number } | undefined

function check(target: string, ratio: Ratio, threshold: number, ceiling?: Ratio): TargetCheck {
  if (ratio === undefined)
    return { target, measured: Number.NaN, min: Number.NaN, max: Number.NaN, threshold, met: null }
  return {
    target,
    measured: ratio.median,
    min: ratio.min,
    max: ratio.max,
    threshold,
    met: ratio.median >= threshold,
    ceiling: ceiling?.median,
  }
}

/** What HS256 verification is held against (DESIGN.md section 8), in report order. */
const HS256_BASELINES = [
  { id: 'bare', label: 'bare limit', threshold: 0.85, peer: false },
  { id: 'bare.await', label: 'awaited bare limit', threshold: 0.85, peer: false },
  { id: 'fast-jwt', label: 'fast-jwt (uncached)', threshold: 1.3, peer: true },
  { id: 'jose', label: 'jose', threshold: 10, peer: true },
] as const

/**
 * Evaluates every target that the result has data for.
 *
 * @param micro - the micro phase, if run
 * @param http - the HTTP phase, if run
 */
export function evaluateTargets(
  micro: MicroResult | undefined,
  http: HttpResult | undefined,
): TargetCheck[] {
  const checks: TargetCheck[] = []
  for (const [api, label] of [
    ['authx.sync', 'verifyTokenSync'],
    ['authx.async', 'await verifyToken'],
  ] as const) {
    for (const baseline of HS256_BASELINES) {
      // The awaited bare check is the fair limit of the promise-based API only.
      if (baseline.id === 'bare.await' && api !== 'authx.async') continue
      checks.push(
        check(
          `HS256 ${label} / ${baseline.label}`,
          microRatio(micro, 'verify:HS256', api, baseline.id),
          baseline.threshold,
          baseline.peer ? microRatio(micro, 'verify:HS256', 'bare', baseline.id) : undefined,
        ),
      )
    }
  }
  for (const alg of ['RS256', 'PS256', 'ES256', 'EdDSA']) {
    checks.push(
      check(
        `${alg} verifyTokenSync / raw crypto.verify`,
        microRatio(micro, `verify:${alg}`, 'authx.sync', 'bare'),
        0.9,
      ),
      check(
        `${alg} verifyTokenSync, remote key set (cached) / configured key`,
        microRatio(micro, `verify:${alg}`, 'authx.remote', 'authx.sync'),
        0.9,
      ),
    )
  }
  const peers: [string, string, number][] = [
    ['fastify', '@fastify/jwt', 1.5],
    ['express', 'express-jwt', 3],
    ['hono', 'hono/jwt', 2.5],
  ]
  for (const [framework, peer, threshold] of peers) {
    checks.push(
      check(
        `${framework} protected route / bare-HMAC route`,
        httpRatio(http, framework, 'authx', 'bare'),
        0.9,
      ),
    )
    checks.push(
      check(
        `${framework} protected route / ${peer}`,
        httpRatio(http, framework, 'authx', 'peer'),
        threshold,
        httpRatio(http, framework, 'bare', 'peer'),
      ),
    )
  }
  return checks
}
