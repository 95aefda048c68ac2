/**
 * The conformance host for Bun and Deno: runs every registered case in this process and prints
 * the results as one JSON line after {@link RESULTS_MARKER}, then exits (a case may leave a timer
 * or a server behind; the results are already out).
 */
import process from 'node:process'
import { runRegistered } from '../harness.ts'
import { RESULTS_MARKER } from '../report.ts'

const results = await runRegistered()
process.stdout.write(`${RESULTS_MARKER}${JSON.stringify(results)}\n`, () => process.exit(0))
