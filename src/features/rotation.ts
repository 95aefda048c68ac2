/**
 * Refresh-token rotation with reuse detection (RFC 9700 section 4.14). Each refresh token belongs
 * to a family (`fam` claim) with an absolute deadline (`fam_exp`). Refreshing consumes the token
 * atomically in the store; presenting a consumed token again means it was stolen or replayed, so
 * the whole family is revoked and every token of it stops working.
 */
import { RevokedTokenError } from '../errors.ts'
import type { Duration } from '../internal/duration.ts'
import type { RefreshUse } from '../stores/types.ts'

/** Options of refresh-token rotation. */
export interface RotationOptions {
  /** Absolute lifetime of a family: no refresh extends a login past it. @defaultValue `"30d"` */
  familyLifetime?: Duration | undefined
}

/** The claim holding a family's absolute deadline (seconds since the epoch). */
export const FAMILY_DEADLINE_CLAIM = 'fam_exp'

/**
 * Turns a store verdict into the outcome of a refresh.
 *
 * @param use - the store's answer for this refresh token
 * @throws RevokedTokenError when the token was already used (reuse: the family is now revoked) or
 * its family had been revoked
 */
export function assertRefreshUse(use: RefreshUse): void {
  if (use === 'reused')
    throw new RevokedTokenError({ reason: 'refresh token reuse detected; family revoked' })
  if (use === 'revoked') throw new RevokedTokenError({ reason: 'refresh token family revoked' })
}
