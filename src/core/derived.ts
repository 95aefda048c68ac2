/**
 * Derived tokens (refresh, rotation, implicit refresh) never widen their source: the source must
 * be of the instance's own login type, and what limits it (audience, scopes, session, family and
 * the family's deadline) is carried over.
 *
 * @packageDocumentation
 */
import type { AuthXConfig } from '../config/index.ts'
import { LoginTypeMismatchError } from '../errors.ts'
import type { TokenPayload } from '../token/payload.ts'
import type { CreateTokenOptions } from './options.ts'

/** The claim holding a rotation family's absolute deadline (seconds since the epoch). */
export const FAMILY_DEADLINE_CLAIM = 'fam_exp'

/**
 * The login type a payload claims, as a string, or null when it has none (a non-string claim is
 * reported as its JSON text, so it can never equal a configured login type).
 *
 * @param payload - a verified payload
 */
export function loginTypeOf(payload: TokenPayload): string | null {
  const value: unknown = payload.login_type
  if (value === undefined || value === null) return null
  return typeof value === 'string' ? value : JSON.stringify(value)
}

/**
 * The family deadline a token carries (`fam_exp`), if it has one.
 *
 * @param payload - a verified payload
 */
export function familyDeadlineOf(payload: TokenPayload): number | undefined {
  const deadline = payload.claims[FAMILY_DEADLINE_CLAIM]
  return typeof deadline === 'number' ? deadline : undefined
}

/**
 * Refuses to derive a token from `payload` when the result could be wider than the source: it
 * must be of the instance's login type exactly (a missing claim differs from a configured type,
 * and a typed token from an untyped instance), or re-stamping would launder it.
 *
 * @param config - the deriving instance's configuration
 * @param payload - the verified source token
 * @throws LoginTypeMismatchError (401)
 */
export function assertDerivable(config: AuthXConfig, payload: TokenPayload): void {
  const actual = loginTypeOf(payload)
  const expected = config.loginType
  if (actual !== expected) throw new LoginTypeMismatchError(expected ?? 'none', actual)
}

/**
 * The claims a derived token inherits from its source: everything that limits it (audience,
 * scopes, session) and the custom claims. The login type is the instance's own (checked equal by
 * {@link assertDerivable}); the family deadline is passed to the minter separately.
 *
 * @param payload - the verified source token
 */
export function carriedClaims(payload: TokenPayload): CreateTokenOptions {
  return {
    data: payload.extra,
    scopes: payload.scopes,
    audience: payload.aud,
    sessionId: payload.sid,
  }
}
