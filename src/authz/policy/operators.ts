/**
 * How a condition compares the value it reads with its own `value`: AuthX's operators, on
 * JSON-like values, Dates, `Map`s and `Set`s.
 *
 * @packageDocumentation
 */
import { FORBIDDEN_SEGMENTS } from './attributes.ts'

/** How a condition compares the value it reads with its own `value`. */
export type PolicyOperator =
  'equals' | 'not_equals' | 'in' | 'not_in' | 'contains' | 'gt' | 'gte' | 'lt' | 'lte' | 'exists'

/** Every operator, for validation and its error messages. */
export const OPERATORS: ReadonlySet<string> = new Set<PolicyOperator>([
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
/** The operators that order values, which need a comparable `value`. */
export const COMPARISONS: ReadonlySet<string> = new Set(['gt', 'gte', 'lt', 'lte'])

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

/** `contains`: substring, element, or own key (never a prototype name). */
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
export function compare(a: unknown, b: unknown): number | undefined {
  if (typeof a === 'number' && typeof b === 'number') return a - b
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0
  if (a instanceof Date && b instanceof Date) return a.getTime() - b.getTime()
  return undefined
}

/**
 * Whether a condition holds: `candidate` (the value read) compared with the condition's `value`
 * by `operator`, with the semantics documented on `PolicyCondition`.
 */
export function conditionHolds(
  operator: PolicyOperator,
  candidate: unknown,
  value: unknown,
): boolean {
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
