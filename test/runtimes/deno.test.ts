/**
 * The adapter conformance suite and the algorithm suite, run inside Deno (the pinned `deno`
 * dev dependency); see `conformance.ts` for how.
 */
import { replayUnder } from './conformance.ts'

replayUnder('deno', 'Deno')
