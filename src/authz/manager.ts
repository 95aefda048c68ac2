/**
 * `AuthManager`: several isolated AuthX instances, one per login type (say `admin` and `user`,
 * each with its own secret and settings), behind one object that creates their tokens, guards
 * routes for one type at a time and authorizes requests with a {@link PolicyEngine}.
 *
 * Framework-free: the guards it returns are built by the registered instance's own `guardFrom`,
 * so a manager of Fastify instances hands out Fastify `preHandler`s, one of Express instances
 * Express middleware, and so on.
 *
 * @packageDocumentation
 */
import { AuthX } from '../authx.ts'
import { loginTypeOf } from '../core/derived.ts'
import { GUARD_OPTION_KEYS } from '../core/options.ts'
import { toView } from '../core/pipeline.ts'
import { assertKnownKeys, optionKeys, unknownKeyError } from '../internal/option-keys.ts'
import type { RequestLike, RequestView, TokenLocation } from '../types.ts'
import type {
  CreateTokenOptions,
  CreateTokenPairOptions,
  GuardBodyOptions,
  GuardOptions,
  GuardResult,
  TokenPair,
} from '../authx.ts'
import {
  BadConfigurationError,
  JWTDecodeError,
  LoginTypeMismatchError,
  PolicyDeniedError,
} from '../errors.ts'
import type { CustomClaims, TokenPayload } from '../token/payload.ts'
import { PolicyEngine, buildPolicyEnvironment } from './policy/index.ts'
import type { PolicyDecision, PolicyEvaluator, PolicyRule } from './policy/index.ts'

export type { GuardResult } from '../authx.ts'

/** An authentication function a framework binding turns into a guard with `guardFrom`. */
export type GuardRun = (view: RequestView) => Promise<GuardResult>

/**
 * The guard type of a framework-bound AuthX class (`FastifyGuard` for `authx-ts/fastify`...),
 * or `never` for the framework-free core, which has no guards.
 */
export type GuardOf<A> = A extends { guardFrom(run: GuardRun): infer G } ? G : never

/** A per-request value: the value itself, or a function of the request and its payload. */
export type PerRequest<T> = T | ((view: RequestView, payload: TokenPayload) => T | Promise<T>)

/** Options of the {@link AuthManager} constructor. */
export interface AuthManagerOptions<A extends AuthX = AuthX> {
  /** The engine behind `authorize` and `policyRequired`. @defaultValue a new deny-by-default engine */
  policyEngine?: PolicyEngine | undefined
  /** Rules of the default engine (not allowed together with `policyEngine`). */
  policyRules?: readonly PolicyRule[] | undefined
  /** Instances to register right away, in order. */
  instances?: readonly A[] | undefined
}

/** Options of {@link AuthManager.authorize}. */
export interface AuthorizeOptions {
  /** An already verified payload (its login type is still checked). */
  payload?: TokenPayload | undefined
  /** A request to authenticate when no payload is given; also feeds the environment. */
  request?: RequestLike | undefined
  /** The `subject` source. @defaultValue the payload's custom claims, `sub`, `scopes`, `login_type` */
  subject?: unknown
  /** The `resource` source (the attributes of the resource acted on). @defaultValue `{}` */
  resourceAttrs?: unknown
  /** Environment values that replace or extend `time`, `hour`, `weekday`, `method`, `path`. */
  env?: Readonly<Record<string, unknown>> | undefined
  /** What the token must satisfy when the request is authenticated. @defaultValue an access token */
  token?: GuardOptions | undefined
}

/** Options of {@link AuthManager.policyRequired}: static values or functions of the request. */
export interface PolicyRequiredOptions {
  /** The `subject` source, or a loader (its result is also the guard's subject). */
  subject?: PerRequest<object | null | undefined>
  /** The `resource` source. */
  resourceAttrs?: PerRequest<object | null | undefined>
  /** Environment overrides. */
  env?: PerRequest<Readonly<Record<string, unknown>>>
  /** What the token must satisfy. @defaultValue an access token */
  token?: GuardOptions | undefined
}

const MANAGER_OPTION_KEYS = optionKeys<AuthManagerOptions>()({
  policyEngine: true,
  policyRules: true,
  instances: true,
})
const AUTHORIZE_OPTION_KEYS = optionKeys<AuthorizeOptions>()({
  payload: true,
  request: true,
  subject: true,
  resourceAttrs: true,
  env: true,
  token: true,
})
const POLICY_REQUIRED_OPTION_KEYS = optionKeys<PolicyRequiredOptions>()({
  subject: true,
  resourceAttrs: true,
  env: true,
  token: true,
})

async function resolve<T>(
  value: PerRequest<T> | undefined,
  view: RequestView,
  payload: TokenPayload,
): Promise<T | undefined> {
  return typeof value === 'function'
    ? await (value as (v: RequestView, p: TokenPayload) => T | Promise<T>)(view, payload)
    : value
}

/**
 * Several isolated AuthX instances, one per login type, with per-type guards and policies.
 *
 * A token is accepted only by the instance of its own login type: a `user` token on an `admin`
 * route is a 401 `LoginTypeMismatchError` even when both instances share a secret, because every
 * token carries its instance's `login_type` claim.
 *
 * @typeParam A - the AuthX class registered (`AuthX` from `authx-ts/fastify`...): it decides the
 *   type of the guards
 *
 * @example Admins and users on Fastify
 * ```ts
 * import { AuthX } from 'authx-ts/fastify'
 * const admin = new AuthX({ secretKey: process.env.ADMIN_SECRET, loginType: 'admin' })
 * const user = new AuthX({ secretKey: process.env.USER_SECRET, loginType: 'user' })
 * const manager = new AuthManager({ instances: [admin, user] })
 * app.get('/admin/stats', { preHandler: manager.accessTokenRequired('admin') }, handler)
 * app.post('/users/:id/ban', { preHandler: manager.policyRequired('admin', 'users:ban', 'users') }, ban)
 * ```
 */
export class AuthManager<A extends AuthX = AuthX> {
  /** The engine behind {@link AuthManager.authorize} and {@link AuthManager.policyRequired}. */
  readonly policyEngine: PolicyEngine
  readonly #instances = new Map<string, A>()

  /**
   * @param options - policy engine or rules, and instances to register
   * @throws TypeError when both `policyEngine` and `policyRules` are given, or a rule is malformed
   * @throws BadConfigurationError when an instance has no login type or repeats one
   */
  constructor(options: AuthManagerOptions<A> = {}) {
    assertKnownKeys('AuthManager', options, MANAGER_OPTION_KEYS)
    const { policyEngine, policyRules, instances } = options
    if (policyEngine !== undefined && policyRules !== undefined) {
      throw new TypeError(
        'AuthManager: give policyEngine or policyRules, not both (add the rules to your engine)',
      )
    }
    if (policyEngine !== undefined && !(policyEngine instanceof PolicyEngine)) {
      throw new TypeError('policyEngine: expected a PolicyEngine')
    }
    this.policyEngine = policyEngine ?? new PolicyEngine({ rules: policyRules })
    for (const auth of instances ?? []) this.register(auth)
  }

  /** The registered login types, in registration order. */
  get loginTypes(): readonly string[] {
    return Object.freeze([...this.#instances.keys()])
  }

  /**
   * Registers an instance under its `loginType`.
   *
   * @param auth - an AuthX instance created with `loginType`
   * @returns the manager, for chaining
   * @throws BadConfigurationError when it has no login type, or the type is taken
   * @throws TypeError when it is not an AuthX instance
   */
  register(auth: A): this {
    if (!(auth instanceof AuthX)) throw new TypeError('register: expected an AuthX instance')
    const loginType = auth.config.loginType
    if (loginType === null) {
      throw new BadConfigurationError(
        'AuthX instances registered with AuthManager require a login_type',
      )
    }
    if (this.#instances.has(loginType)) {
      throw new BadConfigurationError(`AuthX login_type '${loginType}' is already registered`)
    }
    this.#instances.set(loginType, auth)
    return this
  }

  /**
   * The instance of a login type.
   *
   * @param loginType - a registered login type
   * @throws BadConfigurationError for an unknown login type
   */
  get(loginType: string): A {
    const auth = this.#instances.get(loginType)
    if (auth === undefined) throw new BadConfigurationError(`Unknown login_type '${loginType}'`)
    return auth
  }

  /**
   * Appends a rule to the policy engine.
   *
   * @param rule - the rule
   * @throws TypeError when the rule is malformed
   */
  addPolicyRule(rule: PolicyRule): void {
    this.policyEngine.addRule(rule)
  }

  /**
   * Adds a global evaluator to the policy engine.
   *
   * @param evaluator - sync or async; falsy means "this rule does not match"
   */
  addPolicyEvaluator(evaluator: PolicyEvaluator): void {
    this.policyEngine.addEvaluator(evaluator)
  }

  // --------------------------------------------------------------------- tokens

  /**
   * Creates an access token with the instance of `loginType` (which stamps `login_type`).
   *
   * @param loginType - a registered login type
   * @param uid - the subject
   * @param options - as `AuthX.createAccessToken`
   * @throws BadConfigurationError for an unknown login type
   */
  createAccessToken(
    loginType: string,
    uid: string | number,
    options: CreateTokenOptions = {},
  ): string {
    return this.get(loginType).createAccessToken(uid, options)
  }

  /**
   * Creates a refresh token with the instance of `loginType`.
   *
   * @param loginType - a registered login type
   * @param uid - the subject
   * @param options - as `AuthX.createRefreshToken`
   */
  createRefreshToken(
    loginType: string,
    uid: string | number,
    options: Omit<CreateTokenOptions, 'fresh'> = {},
  ): string {
    return this.get(loginType).createRefreshToken(uid, options)
  }

  /**
   * Creates an access and a refresh token with the instance of `loginType`.
   *
   * @param loginType - a registered login type
   * @param uid - the subject
   * @param options - as `AuthX.createTokenPair`
   */
  createTokenPair(
    loginType: string,
    uid: string | number,
    options: CreateTokenPairOptions = {},
  ): TokenPair {
    return this.get(loginType).createTokenPair(uid, options)
  }

  // ------------------------------------------------------------ authentication

  /**
   * Runs the request pipeline of the `loginType` instance and checks the token's login type.
   *
   * When that instance cannot decode the token (bad signature, wrong algorithm, expired...), the
   * token is tried on every other registered instance, without CSRF, type or revocation checks:
   * if one accepts it, the answer is `LoginTypeMismatchError` naming the token's real login type
   * instead of a bare signature error. Scopes are checked after the login type.
   *
   * @param loginType - the login type the route accepts
   * @param request - a Fetch `Request` or a `RequestView`
   * @param options - as the core guards (`type`, `verifyFresh`, `locations`, `scopes`...)
   * @returns the verified payload
   * @throws LoginTypeMismatchError (401) for a token of another login type
   * @throws AuthXError subclasses of the instance's pipeline otherwise
   */
  async authenticate<Extra extends CustomClaims = CustomClaims>(
    loginType: string,
    request: RequestLike,
    options: GuardOptions = {},
  ): Promise<TokenPayload<Extra>> {
    const auth = this.get(loginType)
    const view = await toView(auth.config, request, options.locations)
    // Scopes wait until the login type is known to be right: a foreign token must say
    // "wrong login type", not "missing scope".
    const { scopes, allScopes, ...pipeline } = options
    let payload: TokenPayload<Extra>
    try {
      payload = await auth.authenticate<Extra>(view, pipeline)
    } catch (error) {
      if (!(error instanceof JWTDecodeError)) throw error
      const actual = await this.#foreignLoginType(loginType, auth, view, pipeline)
      if (actual !== undefined)
        throw new LoginTypeMismatchError(loginType, actual, { cause: error })
      throw error
    }
    this.#checkLoginType(payload, loginType)
    if (scopes !== undefined) auth.checkScopes(payload, scopes, allScopes ?? true)
    return payload
  }

  /** The login type of the request's token when another registered instance accepts it. */
  async #foreignLoginType(
    expected: string,
    auth: A,
    view: RequestView,
    options: GuardOptions,
  ): Promise<string | null | undefined> {
    // The same extraction already succeeded in the pipeline, so this finds the same token.
    const found = await auth.getTokenFromRequest(view, {
      type: options.type ?? 'access',
      locations: options.locations,
    })
    if (found === null) return undefined
    for (const [loginType, other] of this.#instances) {
      if (loginType === expected) continue
      let payload: TokenPayload
      try {
        payload = other.verifyTokenSync(found.token, { verifyType: false, verifyCsrf: false })
      } catch {
        // Not this instance's token either; the probe only diagnoses, the request fails anyway.
        continue
      }
      const actual = loginTypeOf(payload)
      // A token signed by another instance's key but claiming this type is not a mismatch to
      // report: the original decode error stands.
      return actual === expected ? undefined : actual
    }
    return undefined
  }

  #checkLoginType(payload: TokenPayload, expected: string): void {
    const actual = loginTypeOf(payload)
    if (actual !== expected) throw new LoginTypeMismatchError(expected, actual)
  }

  // -------------------------------------------------------------- authorization

  /**
   * Authorizes an action on a resource: authenticates the request (or checks the given payload's
   * login type), then asks the policy engine.
   *
   * @param loginType - the login type the action requires
   * @param action - the action (`users:ban`)
   * @param resource - the resource (`users`)
   * @param options - a payload or a request, and the subject, resource and environment
   * @returns the verified payload
   * @throws PolicyDeniedError (403) with the decision's reason when denied, or when neither a
   *   payload nor a request is given
   * @throws LoginTypeMismatchError and the pipeline's errors while authenticating
   *
   * @example Inside a Fastify handler, with the resource loaded from the database
   * ```ts
   * const doc = await db.documents.find(request.params.id)
   * await manager.authorize('user', 'documents:edit', 'documents', {
   *   payload: user.payload(request), request: user.view(request), resourceAttrs: doc,
   * })
   * ```
   */
  async authorize(
    loginType: string,
    action: string,
    resource: string,
    options: AuthorizeOptions = {},
  ): Promise<TokenPayload> {
    const misuse =
      unknownKeyError('authorize', options, AUTHORIZE_OPTION_KEYS) ??
      unknownKeyError('authorize token', options.token, GUARD_OPTION_KEYS)
    if (misuse !== undefined) throw misuse
    const auth = this.get(loginType)
    let payload = options.payload
    let request = options.request
    if (payload === undefined) {
      if (request === undefined) {
        throw new PolicyDeniedError({
          message: 'A request or token payload is required for policy authorization',
        })
      }
      const view = await toView(auth.config, request, options.token?.locations)
      request = view
      payload = await this.authenticate(loginType, view, options.token)
    } else this.#checkLoginType(payload, loginType)
    const decision = await this.evaluate(loginType, action, resource, {
      ...options,
      payload,
      request,
    })
    if (!decision.allowed) throw new PolicyDeniedError({ message: decision.reason })
    return payload
  }

  /**
   * The policy decision for an already verified payload, without throwing on a denial: for
   * handlers that show or hide things instead of refusing the request.
   *
   * @param loginType - the login type of the payload
   * @param action - the action
   * @param resource - the resource
   * @param options - payload (required), request, subject, resource and environment
   * @throws BadConfigurationError for an unknown login type
   */
  async evaluate(
    loginType: string,
    action: string,
    resource: string,
    options: AuthorizeOptions & { payload: TokenPayload },
  ): Promise<PolicyDecision> {
    const auth = this.get(loginType)
    const environment = buildPolicyEnvironment({
      request: options.request,
      now: new Date(auth.config.clock() * 1000),
      overrides: options.env,
    })
    return this.policyEngine.evaluate({
      loginType,
      action,
      resource,
      payload: options.payload,
      request: options.request,
      subject: options.subject,
      resourceAttrs: options.resourceAttrs,
      environment,
    })
  }

  // --------------------------------------------------------------------- guards

  /**
   * A guard requiring a token of `loginType` with explicit options.
   *
   * @param loginType - a registered login type
   * @param options - type, verifyFresh, verifyCsrf, locations, scopes...
   * @returns a guard of the instance's framework
   * @throws BadConfigurationError for an unknown login type
   * @throws TypeError when the instance is the framework-free core (it has no guards)
   */
  tokenRequired(loginType: string, options: GuardOptions = {}): GuardOf<A> {
    assertKnownKeys('tokenRequired', options, GUARD_OPTION_KEYS)
    const settings = { ...options }
    return this.#guardFrom(loginType, settings.locations, (view) =>
      this.authenticate(loginType, view, settings),
    )
  }

  /**
   * A guard requiring an access token of `loginType`.
   *
   * @param loginType - a registered login type
   */
  accessTokenRequired(loginType: string): GuardOf<A> {
    return this.tokenRequired(loginType, { type: 'access' })
  }

  /**
   * A guard requiring a refresh token of `loginType`.
   *
   * @param loginType - a registered login type
   */
  refreshTokenRequired(loginType: string): GuardOf<A> {
    return this.tokenRequired(loginType, { type: 'refresh' })
  }

  /**
   * A guard requiring a fresh access token of `loginType`.
   *
   * @param loginType - a registered login type
   */
  freshTokenRequired(loginType: string): GuardOf<A> {
    return this.tokenRequired(loginType, { type: 'access', verifyFresh: true })
  }

  /**
   * A guard that authenticates a token of `loginType` and requires the policy engine to allow
   * `action` on `resource`; a denial is a 403 `PolicyDeniedError` carrying the reason.
   *
   * @param loginType - a registered login type
   * @param action - the action (`users:ban`)
   * @param resource - the resource (`users`)
   * @param options - subject, resource attributes and environment: values or functions of the
   *   request view and payload; `token` for the token requirements
   * @throws BadConfigurationError for an unknown login type
   * @throws TypeError when the instance is the framework-free core
   *
   * @example Only during office hours
   * ```ts
   * manager.addPolicyRule({ effect: 'allow', actions: ['reports:export'], resources: ['reports'],
   *   conditions: [{ source: 'environment', key: 'hour', operator: 'lt', value: 18 }] })
   * app.get('/reports.csv', { preHandler: manager.policyRequired('user', 'reports:export', 'reports') }, handler)
   * ```
   */
  policyRequired(
    loginType: string,
    action: string,
    resource: string,
    options: PolicyRequiredOptions = {},
  ): GuardOf<A> {
    if (typeof action !== 'string' || typeof resource !== 'string') {
      throw new TypeError('policyRequired: action and resource must be strings')
    }
    assertKnownKeys('policyRequired', options, POLICY_REQUIRED_OPTION_KEYS)
    assertKnownKeys('policyRequired token', options.token, GUARD_OPTION_KEYS)
    const { subject, resourceAttrs, env } = options
    const token = { ...options.token }
    return this.#guardFrom(loginType, token.locations, async (view) => {
      const payload = await this.authenticate(loginType, view, token)
      const resolvedSubject = await resolve(subject, view, payload)
      await this.authorize(loginType, action, resource, {
        payload,
        request: view,
        subject: resolvedSubject,
        resourceAttrs: await resolve(resourceAttrs, view, payload),
        env: await resolve(env, view, payload),
      })
      return subject === undefined ? payload : { payload, subject: resolvedSubject }
    })
  }

  #guardFrom(
    loginType: string,
    locations: readonly TokenLocation[] | undefined,
    run: GuardRun,
  ): GuardOf<A> {
    const auth = this.get(loginType) as A & { guardFrom?: unknown }
    if (typeof auth.guardFrom !== 'function') {
      throw new TypeError(
        `AuthManager guards need a framework-bound AuthX: the instance registered for login_type ` +
          `'${loginType}' is the framework-free core. Create it with AuthX from authx-ts/fastify, ` +
          `authx-ts/express or authx-ts/hono, or call manager.authenticate()/authorize() yourself.`,
      )
    }
    // The second argument tells bindings that read the body up front (Express, Hono) whether
    // the route looks for a token in JSON; Fastify has already parsed it and ignores it.
    const guardFrom = auth.guardFrom as (run: GuardRun, options?: GuardBodyOptions) => GuardOf<A>
    return guardFrom.call(auth, run, locations === undefined ? {} : { locations })
  }
}
