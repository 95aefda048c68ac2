/**
 * Long fuzzing run (`npm run fuzz`): the properties of the CI fuzz suite with a random seed and
 * many more runs. The seed is printed first so any failure can be replayed:
 *
 * ```sh
 * FUZZ_SEED=123456 FUZZ_RUNS=50000 npm run fuzz
 * ```
 *
 * Exits 0 when every property holds, 1 on the first failure (with fast-check's counterexample).
 */
import { randomInt } from 'node:crypto'
import { createFuzzContext, fuzzProperties } from './fuzz-properties.ts'

const seed =
  process.env.FUZZ_SEED === undefined ? randomInt(2 ** 31 - 1) : Number(process.env.FUZZ_SEED)
const numRuns = Number(process.env.FUZZ_RUNS ?? 20_000)
if (!Number.isSafeInteger(seed) || !Number.isSafeInteger(numRuns) || numRuns < 1) {
  console.error('FUZZ_SEED and FUZZ_RUNS must be integers')
  process.exit(2)
}

console.log(`fuzz: seed ${seed}, ${numRuns} runs per property (replay with FUZZ_SEED=${seed})`)
const ctx = await createFuzzContext()
let failed = false
try {
  for (const property of fuzzProperties(() => ctx)) {
    const started = performance.now()
    try {
      await property.run({ seed, numRuns })
      console.log(`  ok   ${property.name} (${Math.round(performance.now() - started)} ms)`)
    } catch (error) {
      failed = true
      console.log(`  FAIL ${property.name}`)
      console.error(error instanceof Error ? error.message : error)
      break
    }
  }
} finally {
  await ctx.close()
}
console.log(failed ? `fuzz: FAILED (seed ${seed})` : `fuzz: all properties held (seed ${seed})`)
process.exit(failed ? 1 : 0)
