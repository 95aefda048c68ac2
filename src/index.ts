/**
 * authx-ts: JWT authentication and authorization for Node.js, AuthX for TypeScript.
 *
 * This entry is framework-free: the `AuthX` class, configuration, payload and request-token types,
 * errors, store interfaces, `MemoryStore` and the Fetch-API (`Request`) integration. Framework
 * bindings live in `authx-ts/fastify`, `authx-ts/express` and `authx-ts/hono`; `RedisStore` in
 * `authx-ts/redis`.
 *
 * One name a line, no `export *`: what is public is what this file lists, and a helper the
 * package's own modules share stays out of it (`test/exports.test.ts` pins the list).
 *
 * @packageDocumentation
 */
export { AuthX } from './authx.ts'
export type {
  CookieOptions,
  CreateTokenOptions,
  CreateTokenPairOptions,
  GetTokenOptions,
  GuardBodyOptions,
  GuardOptions,
  PendingRefresh,
  SubjectGetter,
  TokenBlocklist,
  TokenExtractor,
  TokenGuardOptions,
  TokenPair,
  VerifyOptions,
} from './authx.ts'
export { configFromEnv, TOKEN_LOCATIONS } from './config/index.ts'
export type { AuthXConfig, AuthXOptions, Duration, SameSite } from './config/index.ts'
export type {
  Clock,
  HTTPMethod,
  RequestLike,
  RequestView,
  TokenLocation,
  TokenType,
} from './types.ts'
export {
  AccessTokenRequiredError,
  AuthXError,
  BadConfigurationError,
  CSRFError,
  FreshTokenRequiredError,
  InsufficientScopeError,
  JWTDecodeError,
  LoginTypeMismatchError,
  MissingCSRFTokenError,
  MissingTokenError,
  PolicyDeniedError,
  RateLimitExceededError,
  RefreshTokenRequiredError,
  RevokedTokenError,
  StoreUnavailableError,
  KeySetUnavailableError,
  SubjectNotFoundError,
  TokenExpiredError,
  TokenInvalidAudienceError,
  TokenInvalidIssuerError,
  TokenInvalidSignatureError,
  TokenTypeError,
  isAuthXError,
  renderError,
} from './errors.ts'
export type {
  AnyAuthXError,
  AuthXErrorCode,
  AuthXErrorName,
  AuthXErrorOptions,
  ErrorMessages,
  ErrorResponse,
} from './errors.ts'
export { TokenPayload } from './token/payload.ts'
export type { CustomClaims } from './token/payload.ts'
export { ALGORITHMS } from './token/keys.ts'
export type { Algorithm, KeyInput, JWKInput } from './token/keys.ts'
export type { JWKSet, PublishedJWK, PublishedJWKSet } from './token/jwk.ts'
export type { TokenProfile } from './token/profile.ts'
export type { JWKSReply } from './features/jwks.ts'
export type { IssuerOptions, KeyRingOptions } from './config/options.ts'
export type { RequestToken } from './request/extract.ts'
export { viewFromRequest } from './request/view.ts'
export type { SetCookie } from './response/cookies.ts'
export { hasRequiredScopes, scopeMatches } from './scopes.ts'
export { MemoryStore } from './stores/memory.ts'
export type {
  RateLimitHit,
  RateLimitStore,
  RefreshFamilyStore,
  RefreshUse,
  RevocationKind,
  RevocationQuery,
  RevocationStore,
  SessionRecord,
  SessionStore,
  Store,
} from './stores/types.ts'
export type { RateLimitOptions, ResolvedRateLimit } from './features/rate-limit.ts'
export type { RotationOptions } from './config/options.ts'
export type { CreateSessionOptions } from './features/sessions.ts'
export type { SecurityRequirement, SecurityScheme } from './features/openapi.ts'
export { AuthManager } from './authz/manager.ts'
export type {
  AuthManagerOptions,
  AuthorizeOptions,
  GuardOf,
  GuardResult,
  PolicyRequiredOptions,
} from './authz/manager.ts'
export { PolicyEngine, readPolicyAttribute } from './authz/policy/index.ts'
export type {
  EvaluatedPolicyContext,
  PolicyCondition,
  PolicyContext,
  PolicyDecision,
  PolicyEffect,
  PolicyEngineOptions,
  PolicyEvaluator,
  PolicyOperator,
  PolicyRule,
  PolicySource,
} from './authz/policy/index.ts'
export { AUDIT_CHANNELS } from './core/audit.ts'
export type {
  AuditChannelName,
  AuthenticationFailedEvent,
  RateLimitHitEvent,
  RefreshReuseDetectedEvent,
  SessionCreatedEvent,
  SessionRevokedEvent,
  StoreUnavailableEvent,
  TokenIssuedEvent,
  TokenRefreshedEvent,
  TokenRevokedEvent,
} from './core/audit.ts'
export { VerifiedTokenCache } from './token/cache.ts'
export type { VerifiedTokenCacheOptions, VerifiedTokenCacheStats } from './token/cache.ts'
export type { MemoryStoreOptions, MemoryStoreStats, MemoryStoreFullEvent } from './stores/memory.ts'
