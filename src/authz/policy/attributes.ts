/**
 * Where conditions read their values: dotted paths through own properties only, the default
 * subject of a token, the `token` source and the `environment` source.
 *
 * @packageDocumentation
 */
import type { RequestLike, RequestView } from '../../types.ts'
import { decodeRequestPath } from '../../request/view.ts'
import type { TokenPayload } from '../../token/payload.ts'

/**
 * Path segments that always read as missing. `JSON.parse` makes `__proto__` an own key, so a
 * token whose payload holds `{"__proto__": {"role": "admin"}}` would otherwise satisfy a rule on
 * `__proto__.role`, a rule its author meant as "the prototype, which never matches"; and
 * `constructor` / `prototype` name the same hazard on objects a caller passes in.
 */
export const FORBIDDEN_SEGMENTS: ReadonlySet<string> = new Set([
  '__proto__',
  'constructor',
  'prototype',
])

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
