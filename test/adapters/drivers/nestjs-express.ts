/** The NestJS conformance driver on `@nestjs/platform-express` (see `nestjs.ts`). */
export { nestjsExpressDriver } from './nestjs.ts'
