/**
 * `authx-ts/nestjs`: AuthX for NestJS 11 and 12, on `@nestjs/platform-express` or
 * `@nestjs/platform-fastify`. `AuthXModule.forRoot(options)` provides the `AuthX` instance; guard
 * classes (`AccessTokenGuard`, `ScopesGuard`, `PolicyGuard`, the global `AuthXGuard`...) and the
 * instance's own guard objects (`auth.accessTokenRequired`...) go in `@UseGuards(...)`; route
 * metadata (`@Public()`, `@Scopes()`, `@AnyScope()`, `@Policy()`) and parameter decorators
 * (`@TokenPayload()`, `@CurrentSubject()`) complete them. Guards answer the JSON error contract
 * themselves; `auth.handleErrors(app)` covers AuthX errors thrown in handlers.
 *
 * The library applies NestJS's decorators with NestJS's own functions: an application needs
 * `experimentalDecorators` for its own decorators, as every NestJS application does, and no
 * `emitDecoratorMetadata` for AuthX (its guards declare what they inject).
 *
 * @example The seed's quickstart
 * ```ts
 * @Controller()
 * class AppController {
 *   @Get('protected') @UseGuards(AccessTokenGuard)
 *   protected() { return { message: 'hi' } }
 *   @Get('me') @UseGuards(AccessTokenGuard)
 *   me(@TokenPayload() payload: TokenPayload) { return { user_id: payload.sub } }
 * }
 * @Module({ imports: [AuthXModule.forRoot({ secretKey: process.env.JWT_SECRET_KEY })], controllers: [AppController] })
 * class AppModule {}
 * ```
 *
 * @packageDocumentation
 */
export { AuthX } from './authx.ts'
export type { NestGuard, VerifyClientCallback, WebSocketAdapterLike } from './authx.ts'
export {
  AccessTokenGuard,
  AnyScope,
  AnyTokenGuard,
  AuthXGuard,
  AuthXModule,
  CurrentSubject,
  CurrentSubjectGuard,
  FreshTokenGuard,
  Policy,
  PolicyGuard,
  Public,
  RefreshTokenGuard,
  Scopes,
  ScopesGuard,
  TokenPayload,
} from './module.ts'
export type { AuthXGuardClass, AuthXModuleAsyncOptions, AuthXModuleExtras } from './module.ts'

// The core's public names, so one import serves an application (`AuthX` is this binding's own).
export * from '../shared/core-names.ts'
