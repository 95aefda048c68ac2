/**
 * The measuring loop of the micro benchmarks: contenders run interleaved (A B C, B C A, ...)
 * after a warm-up, each for a fixed time slice per round, and every round yields one ops/s sample
 * per contender. Interleaving matters on a shared machine: a noisy neighbour slows one round of
 * every contender instead of all rounds of one.
 */
import { rotate } from './stats.ts'

/** One thing to measure. */
export interface Contender {
  /** Stable id used in the JSON output (`authx.sync`, `fast-jwt`, `bare`...). */
  readonly id: string
  /** Human label. */
  readonly label: string
  /** One operation; its result is kept in a sink so it cannot be optimised away. */
  readonly run: () => unknown
  /** Whether `run` returns a promise that must be awaited before the next call. */
  readonly async: boolean
}

type SyncLoop = (fn: () => unknown, n: number) => unknown
type AsyncLoop = (fn: () => Promise<unknown>, n: number) => Promise<unknown>

/**
 * A loop compiled for one contender. A shared loop would see every contender at one call site,
 * go megamorphic and tax them all; `new Function` gives each its own code and feedback.
 */
function compileLoop(async: boolean): SyncLoop | AsyncLoop {
  const body = async
    ? 'return (async () => { let s; for (let i = 0; i < n; i++) s = await fn(); return s })()'
    : 'let s; for (let i = 0; i < n; i++) s = fn(); return s'
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- see above: one loop per contender
  return new Function('fn', 'n', body) as SyncLoop | AsyncLoop
}

/** Results are stored here so that no call can be proven dead. */
export let sink: unknown

/** A contender with its own loop and a batch size calibrated in the warm-up. */
class Runner {
  readonly contender: Contender
  readonly samples: number[] = []
  #loop: SyncLoop | AsyncLoop
  #batch = 1

  constructor(contender: Contender) {
    this.contender = contender
    this.#loop = compileLoop(contender.async)
  }

  async #runBatch(n: number): Promise<void> {
    if (this.contender.async)
      sink = await (this.#loop as AsyncLoop)(this.contender.run as () => Promise<unknown>, n)
    else sink = (this.#loop as SyncLoop)(this.contender.run, n)
  }

  /**
   * Runs until this process has used `ms` of CPU time and returns operations per CPU-second.
   * CPU time (all threads: the thread pool that jose's WebCrypto uses, and the GC helpers,
   * included) rather than wall time, because on a shared machine a process is descheduled for
   * long stretches: wall-clock rates then measure the neighbours, CPU-time rates do not.
   */
  async slice(ms: number): Promise<number> {
    let ops = 0
    const budget = ms * 1000
    const start = process.cpuUsage()
    let used: number
    do {
      await this.#runBatch(this.#batch)
      ops += this.#batch
      const delta = process.cpuUsage(start)
      used = delta.user + delta.system
    } while (used < budget)
    return ops / (used / 1e6)
  }

  /** Warm-up: runs for `ms`, then sizes batches to about 0.25 ms so the clock costs nothing. */
  async warm(ms: number): Promise<void> {
    const rate = await this.slice(ms)
    this.#batch = Math.max(1, Math.floor(rate / 4000))
  }
}

/** How long to measure. */
export interface MeasureOptions {
  /** Warm-up per contender, ms. */
  readonly warmupMs: number
  /** Time slice per contender per round, ms. */
  readonly sliceMs: number
  /** Number of rounds (samples per contender). */
  readonly rounds: number
}

/**
 * Measures contenders interleaved and returns their ops/s samples, round by round.
 *
 * @param contenders - the group, measured against one another
 * @param options - warm-up, slice and rounds
 */
export async function measureInterleaved(
  contenders: readonly Contender[],
  options: MeasureOptions,
): Promise<Map<string, number[]>> {
  const runners = contenders.map((c) => new Runner(c))
  for (const runner of runners) await runner.warm(options.warmupMs)
  for (let round = 0; round < options.rounds; round++) {
    for (const runner of rotate(runners, round)) {
      runner.samples.push(await runner.slice(options.sliceMs))
    }
  }
  return new Map(runners.map((r) => [r.contender.id, r.samples]))
}
