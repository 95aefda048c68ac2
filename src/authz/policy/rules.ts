/**
 * What a rule is and how it is checked when it is added: a malformed rule is a `TypeError` at
 * that moment, not a failure on every request.
 *
 * @packageDocumentation
 */
import { FORBIDDEN_SEGMENTS } from './attributes.ts'
import { COMPARISONS, compare, OPERATORS } from './operators.ts'
import type { PolicyOperator } from './operators.ts'
import type { EvaluatedPolicyContext } from './engine.ts'

/** What a matching rule does. */
export type PolicyEffect = 'allow' | 'deny'

/** Where a condition reads its value. */
export type PolicySource = 'subject' | 'resource' | 'environment' | 'token'

const EFFECTS: ReadonlySet<string> = new Set<PolicyEffect>(['allow', 'deny'])
const SOURCES: ReadonlySet<string> = new Set<PolicySource>([
  'subject',
  'resource',
  'environment',
  'token',
])
/**
 * One test a rule makes: read `key` (a dotted path) from `source`, compare it with `value`.
 *
 * - `equals` / `not_equals`: deep equality; a missing value equals `null` (and `undefined`).
 * - `in` / `not_in`: membership in `value`; a string or any non-array `value` counts as a
 *   one-element list.
 * - `contains`: the value read is a string holding `value` as a substring, an array or `Set`
 *   holding it as an element, a `Map` or object holding it as a key (never `__proto__`,
 *   `constructor` or `prototype`); false when missing.
 * - `gt`, `gte`, `lt`, `lte`: numbers with numbers, bigints with bigints, strings with strings,
 *   Dates with Dates; false when missing or of another kind.
 * - `exists`: the value is neither `null` nor missing.
 *
 * @example The subject's department must be the resource's
 * ```ts
 * { source: 'subject', key: 'department', operator: 'equals', value: 'sales' }
 * ```
 */
export interface PolicyCondition {
  /** Where the value is read. */
  source: PolicySource
  /**
   * A dotted path (`profile.department`, `tags.0`); only own properties are followed. A segment
   * named `__proto__`, `constructor` or `prototype` is refused when the rule is added.
   */
  key: string
  /** @defaultValue `"equals"` */
  operator?: PolicyOperator | undefined
  /** What the value read is compared with (ignored by `exists`). */
  value?: unknown
}

/**
 * A custom check. It runs only for rules whose actions, resources, scopes and conditions already
 * matched; a falsy result (or a rejected promise, which propagates) means the rule does not match.
 *
 * @param context - the evaluated context (subject, resource attributes and environment filled in)
 * @param rule - the rule being matched
 */
export type PolicyEvaluator = (
  context: EvaluatedPolicyContext,
  rule: PolicyRule,
) => boolean | Promise<boolean>

/**
 * One authorization rule.
 *
 * @example Admins may do anything to users, except delete them
 * ```ts
 * const rules: PolicyRule[] = [
 *   { effect: 'allow', actions: ['users:*'], resources: ['users'], scopes: ['admin:*'] },
 *   { effect: 'deny', actions: ['users:delete'], resources: ['users'], reason: 'delete disabled' },
 * ]
 * ```
 */
export interface PolicyRule {
  /** What the rule decides when it matches. */
  effect: PolicyEffect
  /** Actions it covers: exact names, `"*"`, or scope-style wildcards (`users:*`). */
  actions: readonly string[]
  /** Resources it covers, matched like actions. */
  resources: readonly string[]
  /** Conditions that must all hold. */
  conditions?: readonly PolicyCondition[] | undefined
  /** Scopes the token must grant (AuthX wildcard rules); a request without a token fails them. */
  scopes?: readonly string[] | undefined
  /** Every scope (true) or any one of them (false). @defaultValue true */
  allScopesRequired?: boolean | undefined
  /** Rule-specific evaluators, run after the engine's global ones. */
  evaluators?: readonly PolicyEvaluator[] | undefined
  /** The decision's reason when this rule decides. @defaultValue `"Policy rule <effect> matched"` */
  reason?: string | undefined
}

/** An array of strings (possibly empty). */
function isStringList(value: unknown): value is readonly string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string')
}

/** Throws the `TypeError` of a malformed rule, naming the field. */
function fail(where: string, message: string): never {
  throw new TypeError(`${where}: ${message}`)
}

/** Checks a condition and returns a frozen copy with its operator filled in. */
function normalizeCondition(condition: unknown, where: string): Readonly<PolicyCondition> {
  if (typeof condition !== 'object' || condition === null) fail(where, 'expected an object')
  const { source, key, operator = 'equals', value } = condition as PolicyCondition
  if (typeof source !== 'string' || !SOURCES.has(source)) {
    fail(`${where}.source`, `expected one of ${[...SOURCES].join(', ')}, got ${String(source)}`)
  }
  if (typeof key !== 'string' || key === '' || key.split('.').includes('')) {
    fail(`${where}.key`, 'expected a dotted path such as "profile.department"')
  }
  // Such a path could only ever read as missing; a rule naming one is a mistake or a probe.
  const forbidden = key.split('.').find((part) => FORBIDDEN_SEGMENTS.has(part))
  if (forbidden !== undefined) {
    fail(
      `${where}.key`,
      `"${forbidden}" cannot be a path segment (__proto__, constructor and prototype always read as missing); rename the attribute`,
    )
  }
  if (typeof operator !== 'string' || !OPERATORS.has(operator)) {
    fail(
      `${where}.operator`,
      `expected one of ${[...OPERATORS].join(', ')}, got ${String(operator)}`,
    )
  }
  if (COMPARISONS.has(operator) && compare(value, value) === undefined) {
    fail(`${where}.value`, `${operator} needs a number, bigint, string or Date`)
  }
  return Object.freeze({ source, key, operator, value })
}

/**
 * Checks a rule and returns a frozen copy, so a rule that passed cannot be broken later by
 * mutating the object that was added.
 *
 * @param rule - the rule to check
 * @param where - how to name the rule in errors
 * @throws TypeError naming the field and what it expects
 */
export function validatePolicyRule(rule: unknown, where = 'rule'): Readonly<PolicyRule> {
  if (typeof rule !== 'object' || rule === null) fail(where, 'expected an object')
  const r = rule as PolicyRule
  if (typeof r.effect !== 'string' || !EFFECTS.has(r.effect)) {
    fail(`${where}.effect`, `expected "allow" or "deny", got ${String(r.effect)}`)
  }
  for (const field of ['actions', 'resources'] as const) {
    if (!isStringList(r[field]) || r[field].length === 0) {
      fail(`${where}.${field}`, 'expected a non-empty array of strings ("*" matches everything)')
    }
  }
  if (r.conditions !== undefined && !Array.isArray(r.conditions)) {
    fail(`${where}.conditions`, 'expected an array of conditions')
  }
  const conditions = (r.conditions ?? []).map((c, i) =>
    normalizeCondition(c, `${where}.conditions[${i}]`),
  )
  if (r.scopes !== undefined && !isStringList(r.scopes)) {
    fail(`${where}.scopes`, 'expected an array of strings')
  }
  if (r.allScopesRequired !== undefined && typeof r.allScopesRequired !== 'boolean') {
    fail(`${where}.allScopesRequired`, 'expected a boolean')
  }
  if (
    r.evaluators !== undefined &&
    (!Array.isArray(r.evaluators) || !r.evaluators.every((e) => typeof e === 'function'))
  ) {
    fail(`${where}.evaluators`, 'expected an array of functions')
  }
  if (r.reason !== undefined && (typeof r.reason !== 'string' || r.reason === '')) {
    fail(`${where}.reason`, 'expected a non-empty string')
  }
  const evaluators: readonly PolicyEvaluator[] = r.evaluators ?? []
  const copy: PolicyRule = {
    effect: r.effect,
    actions: Object.freeze([...r.actions]),
    resources: Object.freeze([...r.resources]),
    conditions: Object.freeze(conditions),
    allScopesRequired: r.allScopesRequired ?? true,
    evaluators: Object.freeze([...evaluators]),
  }
  if (r.scopes !== undefined) copy.scopes = Object.freeze([...r.scopes])
  if (r.reason !== undefined) copy.reason = r.reason
  return Object.freeze(copy)
}
