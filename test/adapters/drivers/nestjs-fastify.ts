/** The NestJS conformance driver on `@nestjs/platform-fastify` (see `nestjs.ts`). */
export { nestjsFastifyDriver } from './nestjs.ts'
