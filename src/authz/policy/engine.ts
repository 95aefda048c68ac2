/**
 * The engine: evaluates rules in order, the first matching deny wins, otherwise the last matching
 * allow, and nothing matching means deny (or allow, with `defaultAllow`).
 *
 * @packageDocumentation
 */
import { hasRequiredScopes, scopeMatches } from '../../scopes.ts'
import type { RequestLike } from '../../types.ts'
import type { TokenPayload } from '../../token/payload.ts'
import {
  buildPolicyEnvironment,
  defaultPolicySubject,
  readPolicyAttribute,
  tokenPolicyAttributes,
} from './attributes.ts'
import { conditionHolds } from './operators.ts'
import { validatePolicyRule } from './rules.ts'
import type { PolicyEvaluator, PolicyRule, PolicySource } from './rules.ts'

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

/** Whether an action or resource name matches an entry: `*`, exact, or a scope wildcard. */
function matchesName(entries: readonly string[], name: string): boolean {
  return entries.some((entry) => entry === '*' || scopeMatches(name, entry))
}

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
