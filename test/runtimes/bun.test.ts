/**
 * The adapter conformance suite and the algorithm suite, run inside Bun (the pinned `bun`
 * dev dependency); see `conformance.ts` for how.
 */
import { replayUnder } from './conformance.ts'

replayUnder('bun', 'Bun')
