/**
 * Loaded with `--import` (after tsx; `nestjs11.test.ts` puts both in `NODE_OPTIONS`) to run test
 * files and the quickstarts against NestJS 11: registers `nestjs11-hooks.ts`, which resolves
 * every `@nestjs/*` import from `test/fixtures/nestjs11/`.
 */
import { register } from 'node:module'

register('./nestjs11-hooks.ts', import.meta.url)
