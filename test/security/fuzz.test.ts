/**
 * Property-based fuzzing of the engine and of the whole Fastify pipeline, with a fixed seed so CI
 * is reproducible. The same properties run longer, with a random seed, in `npm run fuzz`.
 */
import { after, before, describe, test } from 'node:test'
import { createFuzzContext, fuzzProperties } from './fuzz-properties.ts'
import type { FuzzContext } from './fuzz-properties.ts'

/** Fixed seed: a CI failure reproduces exactly. */
const SEED = 42
/** Runs of the synchronous properties (HTTP properties run a third): the file stays within seconds. */
const NUM_RUNS = 300

void describe(`security: property-based fuzzing (seed ${SEED}, ${NUM_RUNS} runs)`, () => {
  let ctx: FuzzContext | undefined
  before(async () => {
    ctx = await createFuzzContext()
  })
  after(() => ctx?.close())

  const properties = fuzzProperties(() => {
    if (ctx === undefined) throw new Error('the fuzz context is not ready')
    return ctx
  })
  for (const property of properties) {
    void test(property.name, () => property.run({ seed: SEED, numRuns: NUM_RUNS }))
  }
})
