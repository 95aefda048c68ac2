/**
 * Refresh, with refresh-token rotation and reuse detection (RFC 9700 section 4.14). Each refresh
 * token belongs to a family (`fam` claim) with an absolute deadline (`fam_exp`). Refreshing
 * consumes the token atomically in the store; presenting a consumed token again means it was
 * stolen or replayed, so the whole family is revoked and every token of it stops working. Without
 * rotation, a refresh returns a new access token and the same refresh token.
 *
 * @packageDocumentation
 */
import { publishAuthenticationFailed, tokenRefreshedChannel } from '../core/audit.ts'
import type { TokenRefreshedEvent } from '../core/audit.ts'
import { assertDerivable, carriedClaims, familyDeadlineOf } from '../core/derived.ts'
import type { Engine } from '../core/engine.ts'
import type { TokenPair } from '../core/options.ts'
import { callStore, familyRevocationEnd, longestExpiry } from '../core/retention.ts'
import { publishReuse } from '../core/revocation.ts'
import { InsufficientScopeError, JWTDecodeError, RevokedTokenError } from '../errors.ts'
import type { RequestToken } from '../request/extract.ts'
import { hasRequiredScopes } from '../scopes.ts'
import type { RefreshUse } from '../stores/types.ts'
import { touchSession } from './sessions.ts'

/** Options of a refresh. */
export interface RefreshOptions {
  /** Narrow the new tokens to these scopes (never widen: each must be granted by the source). */
  scopes?: readonly string[]
}

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

/**
 * Exchanges a refresh token for a new pair. The new tokens keep the source's login type (checked
 * equal), subject, custom claims, scopes (narrowed, never widened), audience, session, family and
 * family deadline, and are not fresh.
 *
 * @param engine - the instance's engine
 * @param token - the refresh token
 * @param options - scopes to narrow to
 * @throws RevokedTokenError on reuse or a revoked family; InsufficientScopeError when asking for
 *   scopes the refresh token does not grant; LoginTypeMismatchError for another login type
 */
export async function refresh(
  engine: Engine,
  token: string | RequestToken,
  options: RefreshOptions,
): Promise<TokenPair> {
  try {
    return await exchange(engine, token, options)
  } catch (error) {
    publishAuthenticationFailed(error, 'refresh')
    throw error
  }
}

/** {@link refresh} itself; the wrapper only reports its refusals. */
async function exchange(
  engine: Engine,
  token: string | RequestToken,
  options: RefreshOptions,
): Promise<TokenPair> {
  const { config, store, mint, revocation } = engine
  const payload = await engine.verify(token, { type: 'refresh' })
  assertDerivable(config, payload)
  if (options.scopes !== undefined && !hasRequiredScopes(options.scopes, payload.scopes)) {
    throw new InsufficientScopeError(options.scopes, payload.scopes ?? [])
  }
  const carried = { ...carriedClaims(payload), scopes: options.scopes ?? payload.scopes }
  let refreshToken = typeof token === 'string' ? token : token.token
  const familyId = revocation.familyOf(payload)
  let deadline = familyDeadlineOf(payload)
  if (config.refreshRotation !== null) {
    // Rotation spends tokens by jti: one without it cannot be spent, so it cannot be refreshed.
    const jti = payload.jti
    if (jti === undefined || familyId === undefined)
      throw new JWTDecodeError({ reason: 'refresh token has no jti' })
    deadline ??= payload.exp ?? longestExpiry(config)
    const end = familyRevocationEnd(config, deadline)
    const use = await callStore(() => store.useRefreshToken(familyId, jti, end))
    if (use === 'reused') publishReuse(familyId, payload)
    assertRefreshUse(use)
    // Spent from now on: presented anywhere else (a refresh guard, a logout), it is refused as
    // revoked and ends the family.
    await callStore(() => store.revoke('jti', jti, end))
    refreshToken = mint.token('refresh', payload.sub, { ...carried, familyId }, deadline)
  }
  if (payload.sid !== undefined && config.sessionUpdateLastActive)
    await touchSession(engine, payload.sid)
  const access = mint.token('access', payload.sub, { ...carried, fresh: false, familyId }, deadline)
  if (tokenRefreshedChannel.hasSubscribers) {
    const event: TokenRefreshedEvent = {
      sub: payload.sub,
      jti: payload.jti,
      fam: familyId,
      sid: payload.sid,
      rotated: config.refreshRotation !== null,
      implicit: false,
    }
    tokenRefreshedChannel.publish(event)
  }
  return { access_token: access, refresh_token: refreshToken, token_type: 'bearer' }
}
