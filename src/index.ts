/**
 * authx-ts: JWT authentication and authorization for Node.js, AuthX for TypeScript.
 *
 * This entry is framework-free: the `AuthX` class, configuration, payload and request-token types,
 * errors, store interfaces, `MemoryStore` and the Fetch-API (`Request`) integration. Framework
 * bindings live in `authx-ts/fastify`, `authx-ts/express` and `authx-ts/hono`; `RedisStore` in
 * `authx-ts/redis`.
 *
 * @packageDocumentation
 */
export { AuthX } from './authx.ts'
export type {
  CreateTokenOptions,
  CreateTokenPairOptions,
  GetTokenOptions,
  GuardOptions,
  PendingRefresh,
  RequestLike,
  SubjectGetter,
  TokenBlocklist,
  TokenPair,
  VerifyOptions,
} from './authx.ts'
export { configFromEnv, TOKEN_LOCATIONS } from './config.ts'
export type {
  AuthXConfig,
  AuthXOptions,
  Duration,
  HTTPMethod,
  SameSite,
  TokenLocation,
} from './config.ts'
export * from './errors.ts'
export { TokenPayload } from './token/payload.ts'
export type { CustomClaims } from './token/payload.ts'
export { ALGORITHMS } from './token/keys.ts'
export type { Algorithm, KeyInput, JWKInput } from './token/keys.ts'
export type { RequestToken, TokenType } from './request/extract.ts'
export type { RequestView } from './request/view.ts'
export { viewFromRequest } from './request/view.ts'
export type { SetCookie } from './request/cookies.ts'
export { hasRequiredScopes, scopeMatches } from './scopes.ts'
export { MemoryStore } from './stores/memory.ts'
export type {
  RateLimitHit,
  RefreshUse,
  RevocationKind,
  RevocationQuery,
  SessionRecord,
  Store,
} from './stores/types.ts'
export type { RateLimitOptions, ResolvedRateLimit } from './features/rate-limit.ts'
export type { RotationOptions } from './features/rotation.ts'
export type { CreateSessionOptions } from './features/sessions.ts'
export { isRefreshableStatus } from './features/implicit-refresh.ts'
export type { SecurityRequirement, SecurityScheme } from './features/openapi.ts'
export { AuthManager } from './features/manager.ts'
export type {
  AuthManagerOptions,
  AuthorizeOptions,
  GuardOf,
  GuardResult,
  GuardRun,
  PerRequest,
  PolicyRequiredOptions,
} from './features/manager.ts'
export {
  PolicyEngine,
  buildPolicyEnvironment,
  defaultPolicySubject,
  readPolicyAttribute,
  tokenPolicyAttributes,
  validatePolicyRule,
} from './features/policy.ts'
export type {
  EvaluatedPolicyContext,
  PolicyCondition,
  PolicyContext,
  PolicyDecision,
  PolicyEffect,
  PolicyEngineOptions,
  PolicyEnvironmentInput,
  PolicyEvaluator,
  PolicyOperator,
  PolicyRule,
  PolicySource,
} from './features/policy.ts'
export { VerifiedTokenCache } from './features/token-cache.ts'
export type { VerifiedTokenCacheOptions, VerifiedTokenCacheStats } from './features/token-cache.ts'
export type {
  MemoryStoreOptions,
  MemoryStoreStats,
  MemoryStoreMap,
  MemoryStoreFullEvent,
} from './stores/memory.ts'
