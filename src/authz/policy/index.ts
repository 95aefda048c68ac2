/**
 * Attribute-based access control: rules that allow or deny an action on a resource, depending
 * on the token's scopes, conditions over the subject, the resource, the environment and the
 * token, and custom evaluators. Framework-free; `AuthManager` runs it behind its guards.
 *
 * Semantics are AuthX's: the first matching deny wins, otherwise the last matching allow, and
 * nothing matching means deny (or allow, with `defaultAllow`). Two AuthX defects are fixed: the
 * default subject really carries the token's custom claims, and a malformed rule is a
 * `TypeError` when it is added instead of a failure on every request.
 *
 * The engine is in `engine.ts`, rules and their validation in `rules.ts`, the operators in
 * `operators.ts` and where conditions read their values in `attributes.ts`; this module lists
 * what the rest of the package may use.
 *
 * @packageDocumentation
 */
export { PolicyEngine } from './engine.ts'
export type {
  EvaluatedPolicyContext,
  PolicyContext,
  PolicyDecision,
  PolicyEngineOptions,
} from './engine.ts'
export { validatePolicyRule } from './rules.ts'
export type {
  PolicyCondition,
  PolicyEffect,
  PolicyEvaluator,
  PolicyRule,
  PolicySource,
} from './rules.ts'
export type { PolicyOperator } from './operators.ts'
export {
  buildPolicyEnvironment,
  defaultPolicySubject,
  readPolicyAttribute,
  tokenPolicyAttributes,
} from './attributes.ts'
export type { PolicyEnvironmentInput } from './attributes.ts'
