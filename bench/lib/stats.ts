/**
 * Small statistics for interleaved benchmarks: medians with min/max, and paired ratios (the median
 * of per-round ratios, so that a slow round caused by a noisy neighbour hits both sides of a pair).
 */

/** A measured quantity over rounds. */
export interface Summary {
  readonly median: number
  readonly min: number
  readonly max: number
  readonly samples: readonly number[]
}

/**
 * The median of a list (mean of the two middle values for an even count).
 *
 * @param values - at least one number
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

/**
 * Median, min and max of samples.
 *
 * @param samples - one value per round
 */
export function summarize(samples: readonly number[]): Summary {
  return {
    median: median(samples),
    min: samples.length === 0 ? Number.NaN : Math.min(...samples),
    max: samples.length === 0 ? Number.NaN : Math.max(...samples),
    samples: [...samples],
  }
}

/**
 * The paired ratio a/b: the median of the per-round ratios, with their min and max.
 *
 * @param a - samples of the numerator, round by round
 * @param b - samples of the denominator, same rounds
 */
export function pairedRatio(a: readonly number[], b: readonly number[]): Summary {
  const ratios: number[] = []
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) ratios.push((a[i] as number) / (b[i] as number))
  return summarize(ratios)
}

/**
 * Formats an operations-per-second figure: `1.23M`, `456k`, `789`.
 *
 * @param value - operations per second
 */
export function formatRate(value: number): string {
  if (!Number.isFinite(value)) return 'n/a'
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)}M`
  if (value >= 1e4) return `${(value / 1e3).toFixed(0)}k`
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)}k`
  return value.toFixed(0)
}

/**
 * Formats a ratio with two decimals below 10, one above.
 *
 * @param value - the ratio
 */
export function formatRatio(value: number): string {
  if (!Number.isFinite(value)) return 'n/a'
  return value >= 10 ? value.toFixed(1) : value.toFixed(2)
}

/**
 * Rotates a list by `by` places, so each round starts with a different contender.
 *
 * @param list - the contenders
 * @param by - the round number
 */
export function rotate<T>(list: readonly T[], by: number): T[] {
  if (list.length === 0) return []
  const k = by % list.length
  return [...list.slice(k), ...list.slice(0, k)]
}
