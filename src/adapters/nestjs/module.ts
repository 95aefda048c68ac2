/**
 * The NestJS side of the binding: `AuthXModule` (the `AuthX` instance as a provider), the guard
 * classes for `@UseGuards(...)` and `APP_GUARD`, the route metadata decorators (`@Public()`,
 * `@Scopes()`, `@AnyScope()`, `@Policy()`) and the parameter decorators (`@TokenPayload()`,
 * `@CurrentSubject()`). Everything is applied with NestJS's own functions (`SetMetadata`,
 * `Reflector`, `Inject`), so neither the library nor its users of other bindings need
 * `experimentalDecorators` or `emitDecoratorMetadata`.
 */
import {
  Inject,
  Injectable,
  Module,
  Optional,
  SetMetadata,
  createParamDecorator,
} from '@nestjs/common'
import type {
  CanActivate,
  CustomDecorator,
  DynamicModule,
  ExecutionContext,
  InjectionToken,
  ModuleMetadata,
  OptionalFactoryDependency,
  Provider,
} from '@nestjs/common'
import { Reflector } from '@nestjs/core'
import { AuthManager } from '../../authz/manager.ts'
import type { AuthXOptions } from '../../config/index.ts'
import type { CustomClaims, TokenPayload as CorePayload } from '../../token/payload.ts'
import { AuthX, payloadOfRequest, subjectOfRequest } from './authx.ts'
import type { NestGuard } from './authx.ts'
import { POLICY_KEY, PUBLIC_KEY, SCOPES_KEY } from './metadata.ts'
import type { PlatformRequest } from './platform.ts'

/** What {@link Scopes} and {@link AnyScope} record. */
interface ScopesMetadata {
  readonly scopes: readonly string[]
  readonly all: boolean
}

/** What {@link Policy} records. */
interface PolicyMetadata {
  readonly action: string
  readonly resource: string
  readonly loginType: string | undefined
}

const reflector = new Reflector()

/** The metadata of a route: its handler's, else its controller's. */
function metadataOf<T>(key: string, context: ExecutionContext): T | undefined {
  return reflector.getAllAndOverride<T | undefined>(key, [context.getHandler(), context.getClass()])
}

/**
 * Marks a route (or a whole controller) as open: the global {@link AuthXGuard} lets it through
 * without a token.
 *
 * @example
 * ```ts
 * @Public() @Get('health') health() { return 'ok' }
 * ```
 */
export function Public(): CustomDecorator<string> {
  return SetMetadata(PUBLIC_KEY, true)
}

/**
 * Requires an access token granting every one of the scopes (AuthX wildcards: `admin:*`), read
 * by {@link ScopesGuard} and the global {@link AuthXGuard}; a token without them is a 403
 * `InsufficientScopeError`.
 *
 * @param scopes - the required scopes
 * @throws TypeError when a scope is not a string (when the class is defined)
 *
 * @example
 * ```ts
 * @Scopes('read', 'write') @UseGuards(ScopesGuard) @Put('doc') save() {}
 * ```
 */
export function Scopes(...scopes: string[]): CustomDecorator<string> {
  return SetMetadata(SCOPES_KEY, scopesMetadata(scopes, true))
}

/**
 * Requires an access token granting at least one of the scopes.
 *
 * @param scopes - the accepted scopes
 * @throws TypeError when a scope is not a string
 */
export function AnyScope(...scopes: string[]): CustomDecorator<string> {
  return SetMetadata(SCOPES_KEY, scopesMetadata(scopes, false))
}

function scopesMetadata(scopes: string[], all: boolean): ScopesMetadata {
  if (!scopes.every((scope) => typeof scope === 'string'))
    throw new TypeError('@Scopes and @AnyScope take strings')
  return Object.freeze({ scopes: Object.freeze([...scopes]), all })
}

/**
 * Requires the policy engine of the module's `AuthManager` to allow `action` on `resource` for
 * the token's subject, read by {@link PolicyGuard} and the global {@link AuthXGuard}; a denial
 * is a 403 `PolicyDeniedError` with the policy's reason.
 *
 * @param action - the action (`users:ban`)
 * @param resource - the resource (`users`)
 * @param options - `loginType`: the login type whose token the route takes (default: the
 *   module's instance's `loginType`)
 * @throws TypeError when `action` or `resource` is not a string
 */
export function Policy(
  action: string,
  resource: string,
  options: { loginType?: string } = {},
): CustomDecorator<string> {
  if (typeof action !== 'string' || typeof resource !== 'string')
    throw new TypeError('@Policy(action, resource) takes two strings')
  return SetMetadata(POLICY_KEY, Object.freeze({ action, resource, loginType: options.loginType }))
}

/**
 * The verified payload of the request, as a handler parameter (the route needs an AuthX guard).
 * The same name is the payload's type, so `@TokenPayload() payload: TokenPayload` reads as one.
 *
 * @example
 * ```ts
 * @Get('me') @UseGuards(AccessTokenGuard)
 * me(@TokenPayload() payload: TokenPayload) { return { user: payload.sub } }
 * ```
 */
export const TokenPayload: () => ParameterDecorator = createParamDecorator(
  (_data: unknown, context: ExecutionContext) => {
    const payload = payloadOfRequest(context.switchToHttp().getRequest<PlatformRequest>())
    if (payload === undefined) throw new TypeError('@TokenPayload() needs a route guarded by AuthX')
    return payload
  },
)

/** The verified payload of a token (the core's `TokenPayload`), with custom claims `Extra`. */
export type TokenPayload<Extra extends CustomClaims = CustomClaims> = CorePayload<Extra>

/**
 * The subject the getter loaded (`auth.setSubjectGetter`), as a handler parameter, on routes
 * guarded by {@link CurrentSubjectGuard} (or `auth.currentSubject`).
 */
export const CurrentSubject: () => ParameterDecorator = createParamDecorator(
  (_data: unknown, context: ExecutionContext) =>
    subjectOfRequest(context.switchToHttp().getRequest<PlatformRequest>()),
)

/** A guard class of this module: NestJS creates it with the module's `AuthX`. */
export interface AuthXGuardClass {
  new (auth: AuthX, manager?: AuthManager<AuthX> | null): CanActivate
  /** The guard object of an instance this class delegates to (for `auth.openapi(app)`). */
  forInstance(auth: AuthX): NestGuard | undefined
}

/** Declares a class's constructor dependencies the way `@Inject` does, without decorators. */
function injectable(target: AuthXGuardClass, withManager: boolean): void {
  Injectable()(target)
  Inject(AuthX)(target, undefined, 0)
  if (withManager) {
    Inject(AuthManager)(target, undefined, 1)
    Optional()(target, undefined, 1)
  }
}

/** A guard class that always delegates to the same guard of the instance. */
function delegatingGuard(name: string, pick: (auth: AuthX) => NestGuard): AuthXGuardClass {
  const Guard = class implements CanActivate {
    readonly #guard: NestGuard
    constructor(auth: AuthX) {
      this.#guard = pick(auth)
    }
    static forInstance(auth: AuthX): NestGuard {
      return pick(auth)
    }
    canActivate(context: ExecutionContext): boolean | Promise<boolean> {
      return this.#guard.canActivate(context)
    }
  }
  Object.defineProperty(Guard, 'name', { value: name })
  injectable(Guard, false)
  return Guard
}

/** Requires a valid access token: `@UseGuards(AccessTokenGuard)`. */
export const AccessTokenGuard: AuthXGuardClass = delegatingGuard(
  'AccessTokenGuard',
  (auth) => auth.accessTokenRequired,
)

/** Requires a valid refresh token: `@UseGuards(RefreshTokenGuard)`. */
export const RefreshTokenGuard: AuthXGuardClass = delegatingGuard(
  'RefreshTokenGuard',
  (auth) => auth.refreshTokenRequired,
)

/** Requires a fresh access token: `@UseGuards(FreshTokenGuard)`. */
export const FreshTokenGuard: AuthXGuardClass = delegatingGuard(
  'FreshTokenGuard',
  (auth) => auth.freshTokenRequired,
)

/** Requires a valid token of either type: `@UseGuards(AnyTokenGuard)`. */
export const AnyTokenGuard: AuthXGuardClass = delegatingGuard('AnyTokenGuard', (auth) =>
  auth.tokenRequired({ verifyType: false }),
)

/** Requires an access token and loads its subject (401 if none): `@UseGuards(CurrentSubjectGuard)`. */
export const CurrentSubjectGuard: AuthXGuardClass = delegatingGuard(
  'CurrentSubjectGuard',
  (auth) => auth.currentSubject,
)

/**
 * The guards the route metadata asks for, made once per metadata object (so per route).
 */
class MetadataGuards {
  readonly #auth: AuthX
  readonly #manager: AuthManager<AuthX> | null
  readonly #scopes = new WeakMap<ScopesMetadata, NestGuard>()
  readonly #policies = new WeakMap<PolicyMetadata, NestGuard>()

  constructor(auth: AuthX, manager: AuthManager<AuthX> | null) {
    this.#auth = auth
    this.#manager = manager
  }

  scopes(meta: ScopesMetadata): NestGuard {
    let guard = this.#scopes.get(meta)
    if (guard === undefined) {
      guard = this.#auth.scopesRequired(meta.scopes, { all: meta.all })
      this.#scopes.set(meta, guard)
    }
    return guard
  }

  policy(meta: PolicyMetadata): NestGuard {
    let guard = this.#policies.get(meta)
    if (guard === undefined) {
      if (this.#manager === null)
        throw new TypeError(
          '@Policy needs an AuthManager: AuthXModule.forRoot(options, { manager }) provides it',
        )
      const loginType = meta.loginType ?? this.#auth.config.loginType
      if (loginType === null)
        throw new TypeError('@Policy needs a login type: { loginType } or the instance`s own')
      guard = this.#manager.policyRequired(loginType, meta.action, meta.resource)
      this.#policies.set(meta, guard)
    }
    return guard
  }
}

/**
 * Requires an access token granting the scopes of the route's `@Scopes(...)` or
 * `@AnyScope(...)` (an access token alone when the route has neither).
 */
export const ScopesGuard: AuthXGuardClass = (() => {
  const Guard = class implements CanActivate {
    readonly #auth: AuthX
    readonly #guards: MetadataGuards
    constructor(auth: AuthX) {
      this.#auth = auth
      this.#guards = new MetadataGuards(auth, null)
    }
    static forInstance(auth: AuthX): NestGuard {
      return auth.accessTokenRequired
    }
    canActivate(context: ExecutionContext): boolean | Promise<boolean> {
      const meta = metadataOf<ScopesMetadata>(SCOPES_KEY, context)
      const guard = meta === undefined ? this.#auth.accessTokenRequired : this.#guards.scopes(meta)
      return guard.canActivate(context)
    }
  }
  Object.defineProperty(Guard, 'name', { value: 'ScopesGuard' })
  injectable(Guard, false)
  return Guard
})()

/**
 * Requires the policy of the route's `@Policy(action, resource)` with the module's
 * `AuthManager` (an access token alone when the route has none).
 */
export const PolicyGuard: AuthXGuardClass = (() => {
  const Guard = class implements CanActivate {
    readonly #auth: AuthX
    readonly #guards: MetadataGuards
    constructor(auth: AuthX, manager?: AuthManager<AuthX> | null) {
      this.#auth = auth
      this.#guards = new MetadataGuards(auth, manager ?? null)
    }
    static forInstance(auth: AuthX): NestGuard {
      return auth.accessTokenRequired
    }
    canActivate(context: ExecutionContext): boolean | Promise<boolean> {
      const meta = metadataOf<PolicyMetadata>(POLICY_KEY, context)
      const guard = meta === undefined ? this.#auth.accessTokenRequired : this.#guards.policy(meta)
      return guard.canActivate(context)
    }
  }
  Object.defineProperty(Guard, 'name', { value: 'PolicyGuard' })
  injectable(Guard, true)
  return Guard
})()

/**
 * The guard for a whole application: every route needs an access token, except those marked
 * `@Public()`; a route's `@Policy(...)` or `@Scopes(...)`/`@AnyScope(...)` is enforced too.
 * A gateway's `@SubscribeMessage` handlers need a client whose handshake `auth.guardWebSockets`
 * authenticated (or `@Public()`).
 * Register it with `{ provide: APP_GUARD, useClass: AuthXGuard }` in a module, or
 * `app.useGlobalGuards(new AuthXGuard(auth))`.
 */
export const AuthXGuard: AuthXGuardClass = (() => {
  const Guard = class implements CanActivate {
    readonly #auth: AuthX
    readonly #guards: MetadataGuards
    constructor(auth: AuthX, manager?: AuthManager<AuthX> | null) {
      this.#auth = auth
      this.#guards = new MetadataGuards(auth, manager ?? null)
    }
    static forInstance(auth: AuthX): NestGuard {
      return auth.accessTokenRequired
    }
    canActivate(context: ExecutionContext): boolean | Promise<boolean> {
      if (metadataOf<boolean>(PUBLIC_KEY, context) === true) return true
      // A gateway's messages: the client's handshake must have been authenticated by
      // auth.guardWebSockets (which gives the client its payload).
      if (context.getType() === 'ws')
        return payloadOfRequest(context.switchToWs().getClient<PlatformRequest>()) !== undefined
      // Microservice transports carry no HTTP token: the guard does not apply to them.
      if (context.getType() !== 'http') return true
      const policy = metadataOf<PolicyMetadata>(POLICY_KEY, context)
      if (policy !== undefined) return this.#guards.policy(policy).canActivate(context)
      const scopes = metadataOf<ScopesMetadata>(SCOPES_KEY, context)
      if (scopes !== undefined) return this.#guards.scopes(scopes).canActivate(context)
      return this.#auth.accessTokenRequired.canActivate(context)
    }
  }
  Object.defineProperty(Guard, 'name', { value: 'AuthXGuard' })
  injectable(Guard, true)
  return Guard
})()

/** The guard classes, provided (and exported) by the module. */
const GUARDS = [
  AccessTokenGuard,
  RefreshTokenGuard,
  FreshTokenGuard,
  AnyTokenGuard,
  CurrentSubjectGuard,
  ScopesGuard,
  PolicyGuard,
  AuthXGuard,
]

/** Options of {@link AuthXModule.forRoot} besides the instance's own. */
export interface AuthXModuleExtras {
  /** An `AuthManager` to provide for injection and for `@Policy(...)`. */
  manager?: AuthManager<AuthX> | undefined
  /** Whether the module is global (its providers visible to every module). @defaultValue true */
  global?: boolean | undefined
}

/** Options of {@link AuthXModule.forRootAsync}. */
export interface AuthXModuleAsyncOptions {
  /** Modules whose providers the factory injects (a `ConfigModule`...). */
  imports?: ModuleMetadata['imports']
  /** The providers the factory receives, in order. */
  inject?: (InjectionToken | OptionalFactoryDependency)[]
  /** Makes the options of the instance, or the instance itself. */
  useFactory: (...args: never[]) => AuthXOptions | AuthX | Promise<AuthXOptions | AuthX>
  /** Makes the `AuthManager` to provide, from the instance. */
  manager?: ((auth: AuthX) => AuthManager<AuthX>) | undefined
  /** @defaultValue true */
  global?: boolean | undefined
}

/**
 * Provides the `AuthX` instance (inject it as `AuthX`), the guard classes and, when given, an
 * `AuthManager`.
 *
 * @example
 * ```ts
 * @Module({
 *   imports: [AuthXModule.forRoot({ secretKey: process.env.JWT_SECRET_KEY })],
 *   controllers: [AppController],
 * })
 * class AppModule {}
 * ```
 */
export class AuthXModule {
  /**
   * The module with an instance made from options (or given).
   *
   * @param options - the instance's options, or an instance
   * @param extras - an `AuthManager`, and whether the module is global
   * @throws BadConfigurationError from the `AuthX` constructor
   */
  static forRoot(options: AuthXOptions | AuthX, extras: AuthXModuleExtras = {}): DynamicModule {
    const auth = options instanceof AuthX ? options : new AuthX(options)
    const providers: Provider[] = [{ provide: AuthX, useValue: auth }, ...GUARDS]
    if (extras.manager !== undefined)
      providers.push({ provide: AuthManager, useValue: extras.manager })
    return {
      module: AuthXModule,
      global: extras.global ?? true,
      providers,
      exports: providers.map((provider) =>
        typeof provider === 'function' ? provider : provider.provide,
      ),
    }
  }

  /**
   * The module with an instance made by a factory (from a `ConfigService`, for example).
   *
   * @param options - the factory, what it injects, and an optional `AuthManager` factory
   *
   * @example
   * ```ts
   * AuthXModule.forRootAsync({
   *   imports: [ConfigModule],
   *   inject: [ConfigService],
   *   useFactory: (config: ConfigService) => ({ secretKey: config.getOrThrow('JWT_SECRET_KEY') }),
   * })
   * ```
   */
  static forRootAsync(options: AuthXModuleAsyncOptions): DynamicModule {
    const { useFactory, manager } = options
    const providers: Provider[] = [
      {
        provide: AuthX,
        inject: options.inject ?? [],
        useFactory: async (...args: never[]) => {
          const made = await useFactory(...args)
          return made instanceof AuthX ? made : new AuthX(made)
        },
      },
      ...GUARDS,
    ]
    if (manager !== undefined)
      providers.push({ provide: AuthManager, inject: [AuthX], useFactory: manager })
    return {
      module: AuthXModule,
      global: options.global ?? true,
      imports: options.imports ?? [],
      providers,
      exports: providers.map((provider) =>
        typeof provider === 'function' ? provider : provider.provide,
      ),
    }
  }
}
Module({})(AuthXModule)
