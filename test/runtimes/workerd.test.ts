/**
 * The adapter conformance suite and the algorithm suite, run inside workerd (the pinned `workerd`
 * dev dependency); see `conformance.ts` for how.
 */
import { replayUnder } from './conformance.ts'

replayUnder('workerd', 'workerd')
