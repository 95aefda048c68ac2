/**
 * Loaded with `node --import` (after tsx) to run test files against NestJS 11: registers
 * `nestjs11-hooks.ts`, which resolves every `@nestjs/*` import from `test/fixtures/nestjs11/`.
 */
import { register } from 'node:module'

register('./nestjs11-hooks.ts', import.meta.url)
