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
 * @packageDocumentation
 */
import { scopeMatches, hasRequiredScopes } from '../scopes.ts'
import type { RequestLike, RequestView } from '../types.ts'
import { decodeRequestPath } from '../request/view.ts'
import type { TokenPayload } from '../token/payload.ts'

/** What a matching rule does. */
export type PolicyEffect = 'allow' | 'deny'

/** Where a condition reads its value. */
export type PolicySource = 'subject' | 'resource' | 'environment' | 'token'

/** How a condition compares the value it reads with its own `value`. */
export type PolicyOperator =
  'equals' | 'not_equals' | 'in' | 'not_in' | 'contains' | 'gt' | 'gte' | 'lt' | 'lte' | 'exists'

const EFFECTS: ReadonlySet<string> = new Set<PolicyEffect>(['allow', 'deny'])
const SOURCES: ReadonlySet<string> = new Set<PolicySource>([
  'subject',
  'resource',
  'environment',
  'token',
])
const OPERATORS: ReadonlySet<string> = new Set<PolicyOperator>([
  'equals',
  'not_equals',
  'in',
  'not_in',
  'contains',
  'gt',
  'gte',
  'lt',
  'lte',
  'exists',
])
const COMPARISONS: ReadonlySet<string> = new Set(['gt', 'gte', 'lt', 'lte'])

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

/** The outcome of {@link PolicyEngine.evaluate}. */
export interface PolicyDecision {
  /** Whether the request may proceed. */
  readonly allowed: boolean
  /** Why: the deciding rule's reason, or the default decision's. */
  readonly reason: string
  /** The deciding rule as registered (a frozen copy), absent for the default decision. */
  readonly rule?: PolicyRule
}

/** What a decision is about. Only `action` and `resource` are required. */
export interface PolicyContext {
  /** The action requested (`users:ban`). */
  action: string
  /** The resource it applies to (`users`). */
  resource: string
  /** The login type of the token (see `AuthManager`). */
  loginType?: string | undefined
  /** The verified token, if any: the `token` source and the rules' `scopes` read it. */
  payload?: TokenPayload | null | undefined
  /** The request being authorized, for evaluators that need it. */
  request?: RequestLike | undefined
  /** The `subject` source. @defaultValue {@link defaultPolicySubject} of the payload */
  subject?: unknown
  /** The `resource` source. @defaultValue `{}` */
  resourceAttrs?: unknown
  /** The `environment` source. @defaultValue {@link buildPolicyEnvironment} with no request */
  environment?: Readonly<Record<string, unknown>> | undefined
}

/** The context evaluators receive: every source resolved. */
export interface EvaluatedPolicyContext extends PolicyContext {
  readonly payload: TokenPayload | null
  readonly subject: unknown
  readonly resourceAttrs: unknown
  readonly environment: Readonly<Record<string, unknown>>
}

/** Options of the {@link PolicyEngine} constructor. */
export interface PolicyEngineOptions {
  /** Initial rules, in order. */
  rules?: readonly PolicyRule[] | undefined
  /** Global evaluators, run for every rule that otherwise matches. */
  evaluators?: readonly PolicyEvaluator[] | undefined
  /** Allow when no rule matches. @defaultValue false */
  defaultAllow?: boolean | undefined
}

// ------------------------------------------------------------------ reading attributes

/**
 * Path segments that always read as missing. `JSON.parse` makes `__proto__` an own key, so a
 * token whose payload holds `{"__proto__": {"role": "admin"}}` would otherwise satisfy a rule on
 * `__proto__.role`, a rule its author meant as "the prototype, which never matches"; and
 * `constructor` / `prototype` name the same hazard on objects a caller passes in.
 */
const FORBIDDEN_SEGMENTS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype'])

/**
 * Reads a dotted path from plain objects, arrays and `Map`s. Only own properties are followed,
 * so `toString` or `list.map` read as undefined, and a segment named `__proto__`, `constructor`
 * or `prototype` reads as undefined whatever the object holds, even as an own key or a `Map`
 * key: a rule can never reach (or compare against) a prototype, whatever the path or the data.
 *
 * @param source - the object to read
 * @param key - a dotted path such as `profile.department`
 * @returns the value, or undefined when any step is missing
 */
export function readPolicyAttribute(source: unknown, key: string): unknown {
  let current = source
  for (const part of key.split('.')) {
    if (current === null || current === undefined || FORBIDDEN_SEGMENTS.has(part)) return undefined
    if (current instanceof Map) current = (current as Map<unknown, unknown>).get(part)
    else if (typeof current === 'object' || typeof current === 'function') {
      current = Object.hasOwn(current, part)
        ? (current as Record<string, unknown>)[part]
        : undefined
    } else return undefined
  }
  return current
}

/**
 * The default subject of a token: its custom claims, then `sub`, `scopes` (or `[]`) and
 * `login_type` (or null). AuthX builds the same record, but its custom claims were always empty.
 *
 * @param payload - a verified payload, or null
 * @returns a new plain object (`{}` without a payload)
 */
export function defaultPolicySubject(
  payload: TokenPayload | null | undefined,
): Record<string, unknown> {
  if (payload === null || payload === undefined) return {}
  return {
    ...payload.extra,
    sub: payload.sub,
    scopes: payload.scopes ?? [],
    login_type: payload.login_type ?? null,
  }
}

/**
 * The `token` source: every decoded claim, with `sub` under that name even when the identity
 * claim is another one.
 *
 * @param payload - a verified payload, or null
 */
export function tokenPolicyAttributes(
  payload: TokenPayload | null | undefined,
): Record<string, unknown> {
  if (payload === null || payload === undefined) return {}
  return { ...payload.claims, sub: payload.sub }
}

/** What {@link buildPolicyEnvironment} knows about the request and the time. */
export interface PolicyEnvironmentInput {
  /** The request, for `method`, `path` and `client_ip`. */
  request?: RequestLike | undefined
  /** The current time. @defaultValue `new Date()` */
  now?: Date | undefined
  /** Values that replace or extend the computed ones. */
  overrides?: Readonly<Record<string, unknown>> | undefined
}

/**
 * The `environment` source: `time` (a Date), `hour` (UTC, 0-23) and `weekday` (UTC, Monday is
 * 0), plus `method`, `path` and `client_ip` (when the adapter knows the address) for a request,
 * then `overrides`.
 *
 * @param input - request, time and overrides
 *
 * @example Office hours
 * ```ts
 * const environment = buildPolicyEnvironment({ now: new Date() })
 * // a condition { source: 'environment', key: 'hour', operator: 'lt', value: 18 }
 * ```
 */
export function buildPolicyEnvironment(
  input: PolicyEnvironmentInput = {},
): Record<string, unknown> {
  const now = input.now ?? new Date()
  const environment: Record<string, unknown> = {
    time: now,
    hour: now.getUTCHours(),
    // JS counts Sunday as 0; AuthX (Python) counts Monday as 0.
    weekday: (now.getUTCDay() + 6) % 7,
  }
  const { request } = input
  if (request !== undefined) {
    if (typeof Request !== 'undefined' && request instanceof Request) {
      environment.method = request.method.toUpperCase()
      environment.path = decodeRequestPath(new URL(request.url).pathname)
    } else {
      const view = request as RequestView
      environment.method = view.method
      environment.path = view.path
      if (view.ip !== undefined) environment.client_ip = view.ip
    }
  }
  // Spread, not Object.assign: an own `__proto__` key in the overrides must stay a plain key.
  return input.overrides === undefined ? environment : { ...environment, ...input.overrides }
}

// ------------------------------------------------------------------------- operators

/** Structural equality for JSON-like values (and Dates); `undefined` counts as `null`. */
function isEqual(a: unknown, b: unknown): boolean {
  const x = a ?? null
  const y = b ?? null
  if (x === y) return true
  if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) {
    return Number.isNaN(x) && Number.isNaN(y)
  }
  if (x instanceof Date || y instanceof Date) {
    return x instanceof Date && y instanceof Date && x.getTime() === y.getTime()
  }
  if (Array.isArray(x) || Array.isArray(y)) {
    return (
      Array.isArray(x) &&
      Array.isArray(y) &&
      x.length === y.length &&
      x.every((item, i) => isEqual(item, y[i]))
    )
  }
  const xKeys = Object.keys(x)
  const yKeys = Object.keys(y)
  return (
    xKeys.length === yKeys.length &&
    xKeys.every(
      (k) =>
        Object.hasOwn(y, k) &&
        isEqual((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k]),
    )
  )
}

/** AuthX's `_as_sequence`: a string, or anything that is not a list, is a one-element list. */
function asList(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [value]
}

function contains(container: unknown, value: unknown): boolean {
  if (container === null || container === undefined) return false
  if (typeof container === 'string') return typeof value === 'string' && container.includes(value)
  if (Array.isArray(container)) return container.some((item) => isEqual(item, value))
  if (container instanceof Set) return container.has(value)
  // As key membership, the prototype names are missing, as they are in paths.
  if (typeof value === 'string' && FORBIDDEN_SEGMENTS.has(value)) return false
  if (container instanceof Map) return container.has(value)
  if (typeof container === 'object')
    return typeof value === 'string' && Object.hasOwn(container, value)
  return false
}

/** Orders two values of the same kind; undefined when they cannot be compared. */
function compare(a: unknown, b: unknown): number | undefined {
  if (typeof a === 'number' && typeof b === 'number') return a - b
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0
  if (a instanceof Date && b instanceof Date) return a.getTime() - b.getTime()
  return undefined
}

function conditionHolds(operator: PolicyOperator, candidate: unknown, value: unknown): boolean {
  switch (operator) {
    case 'exists':
      return candidate !== null && candidate !== undefined
    case 'equals':
      return isEqual(candidate, value)
    case 'not_equals':
      return !isEqual(candidate, value)
    case 'in':
      return asList(value).some((item) => isEqual(candidate, item))
    case 'not_in':
      return !asList(value).some((item) => isEqual(candidate, item))
    case 'contains':
      return contains(candidate, value)
    default: {
      if (candidate === null || candidate === undefined) return false
      const order = compare(candidate, value)
      // NaN compares as nothing, as in Python.
      if (order === undefined || Number.isNaN(order)) return false
      if (operator === 'gt') return order > 0
      if (operator === 'gte') return order >= 0
      if (operator === 'lt') return order < 0
      return order <= 0
    }
  }
}

// ------------------------------------------------------------------------ validation

function isStringList(value: unknown): value is readonly string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string')
}

function fail(where: string, message: string): never {
  throw new TypeError(`${where}: ${message}`)
}

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

function matchesName(entries: readonly string[], name: string): boolean {
  return entries.some((entry) => entry === '*' || scopeMatches(name, entry))
}

// ---------------------------------------------------------------------------- engine

/**
 * Evaluates {@link PolicyRule}s in order: the first matching deny decides, otherwise the last
 * matching allow, otherwise the default (deny unless `defaultAllow`).
 *
 * A rule matches when an action and a resource match, the token grants its `scopes`, every
 * condition holds and every evaluator (global ones first, then the rule's) returns truthy.
 *
 * @example Standalone
 * ```ts
 * const engine = new PolicyEngine({
 *   rules: [{ effect: 'allow', actions: ['reports:read'], resources: ['reports'],
 *             conditions: [{ source: 'subject', key: 'department', value: 'sales' }] }],
 * })
 * const decision = await engine.evaluate({ action: 'reports:read', resource: 'reports', payload })
 * if (!decision.allowed) throw new PolicyDeniedError({ message: decision.reason })
 * ```
 */
export class PolicyEngine {
  /** Whether a request no rule matches is allowed. */
  readonly defaultAllow: boolean
  readonly #rules: Readonly<PolicyRule>[] = []
  readonly #evaluators: PolicyEvaluator[] = []

  /**
   * @param options - initial rules, global evaluators, default decision
   * @throws TypeError when a rule or evaluator is malformed
   */
  constructor(options: PolicyEngineOptions = {}) {
    if (options.defaultAllow !== undefined && typeof options.defaultAllow !== 'boolean') {
      throw new TypeError('defaultAllow: expected a boolean')
    }
    this.defaultAllow = options.defaultAllow ?? false
    if (options.rules !== undefined && !Array.isArray(options.rules)) {
      throw new TypeError('rules: expected an array of rules')
    }
    if (options.evaluators !== undefined && !Array.isArray(options.evaluators)) {
      throw new TypeError('evaluators: expected an array of functions')
    }
    // Validate everything before keeping anything: a constructor that throws leaves no engine.
    const rules = (options.rules ?? []).map((rule, i) => validatePolicyRule(rule, `rules[${i}]`))
    const evaluators: readonly PolicyEvaluator[] = options.evaluators ?? []
    for (const evaluator of evaluators) this.addEvaluator(evaluator)
    this.#rules.push(...rules)
  }

  /** The registered rules, in evaluation order (frozen copies). */
  get rules(): readonly Readonly<PolicyRule>[] {
    return [...this.#rules]
  }

  /**
   * Appends a rule.
   *
   * @param rule - the rule
   * @throws TypeError when the rule is malformed (unknown effect, source or operator, a path
   *   through `__proto__`, `constructor` or `prototype`...)
   */
  addRule(rule: PolicyRule): void {
    this.#rules.push(validatePolicyRule(rule))
  }

  /**
   * Adds a global evaluator, run for every rule that otherwise matches.
   *
   * @param evaluator - sync or async; falsy means "this rule does not match"
   * @throws TypeError when it is not a function
   */
  addEvaluator(evaluator: PolicyEvaluator): void {
    if (typeof evaluator !== 'function') throw new TypeError('evaluator: expected a function')
    this.#evaluators.push(evaluator)
  }

  /**
   * Decides a request.
   *
   * @param context - action and resource, plus whatever the rules read
   * @returns the decision; never throws for a denial (evaluator errors propagate)
   */
  async evaluate(context: PolicyContext): Promise<PolicyDecision> {
    if (typeof context.action !== 'string' || typeof context.resource !== 'string') {
      throw new TypeError('evaluate: context.action and context.resource must be strings')
    }
    const payload = context.payload ?? null
    const resolved: EvaluatedPolicyContext = {
      ...context,
      payload,
      subject: context.subject === undefined ? defaultPolicySubject(payload) : context.subject,
      resourceAttrs: context.resourceAttrs ?? {},
      environment: context.environment ?? buildPolicyEnvironment({ request: context.request }),
    }
    let tokenAttributes: Record<string, unknown> | undefined
    const sourceOf = (source: PolicySource): unknown => {
      switch (source) {
        case 'subject':
          return resolved.subject
        case 'resource':
          return resolved.resourceAttrs
        case 'environment':
          return resolved.environment
        default:
          return (tokenAttributes ??= tokenPolicyAttributes(payload))
      }
    }

    let allow: PolicyDecision | undefined
    for (const rule of this.#rules) {
      if (!(await this.#matches(rule, resolved, sourceOf))) continue
      const decision: PolicyDecision = {
        allowed: rule.effect === 'allow',
        reason: rule.reason ?? `Policy rule ${rule.effect} matched`,
        rule,
      }
      if (rule.effect === 'deny') return decision
      allow = decision
    }
    if (allow !== undefined) return allow
    return this.defaultAllow
      ? { allowed: true, reason: 'No policy rule matched; default allow' }
      : { allowed: false, reason: 'No policy rule matched' }
  }

  async #matches(
    rule: Readonly<PolicyRule>,
    context: EvaluatedPolicyContext,
    sourceOf: (source: PolicySource) => unknown,
  ): Promise<boolean> {
    if (!matchesName(rule.actions, context.action)) return false
    if (!matchesName(rule.resources, context.resource)) return false
    if (
      rule.scopes !== undefined &&
      !hasRequiredScopes(rule.scopes, context.payload?.scopes, rule.allScopesRequired ?? true)
    ) {
      return false
    }
    for (const condition of rule.conditions ?? []) {
      const candidate = readPolicyAttribute(sourceOf(condition.source), condition.key)
      if (!conditionHolds(condition.operator ?? 'equals', candidate, condition.value)) return false
    }
    for (const evaluator of [...this.#evaluators, ...(rule.evaluators ?? [])]) {
      if (!(await evaluator(context, rule))) return false
    }
    return true
  }
}
