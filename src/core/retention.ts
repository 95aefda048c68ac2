/**
 * How long the store must remember things, and how its failures reach the client: the arithmetic
 * behind every revocation's expiry, and the fail-closed wrapper of store calls.
 *
 * @packageDocumentation
 */
import type { AuthXConfig } from '../config/index.ts'
import { AuthXError, StoreUnavailableError } from '../errors.ts'
import { publishStoreUnavailable } from './audit.ts'

/** How long a token without `exp` is treated as living: ten years. */
export const NEVER_EXPIRES_SECONDS = 10 * 365 * 86_400

/**
 * When the longest-lived token issued now would expire: how long revocations must last.
 *
 * @param config - the instance's configuration
 */
export function longestExpiry(config: AuthXConfig): number {
  const { accessTokenExpires, refreshTokenExpires, clock, decodeLeeway } = config
  const lifetimes = [accessTokenExpires, refreshTokenExpires]
  // A null lifetime means tokens that never expire: remember their revocation for ten years.
  const longest = lifetimes.includes(null)
    ? NEVER_EXPIRES_SECONDS
    : Math.max(...(lifetimes as number[]))
  return clock() + longest + decodeLeeway
}

/**
 * How long a revoked family must stay revoked: past its deadline, since an access token minted
 * just before the deadline may outlive it by up to the access lifetime (tokens minted before
 * deadlines were carried by access tokens).
 *
 * @param config - the instance's configuration
 * @param deadline - the family's deadline
 */
export function familyRevocationEnd(config: AuthXConfig, deadline: number): number {
  const { accessTokenExpires, clock, decodeLeeway } = config
  return Math.max(deadline, clock() + (accessTokenExpires ?? NEVER_EXPIRES_SECONDS)) + decodeLeeway
}

/**
 * Runs a store operation, turning its failure into StoreUnavailableError (503, fail closed);
 * AuthX errors the store raised itself (a full MemoryStore) pass through.
 *
 * @param operation - the store call
 */
export async function callStore<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation()
  } catch (cause) {
    // A full MemoryStore raises StoreUnavailableError itself: it is a store failure all the same.
    if (cause instanceof StoreUnavailableError) publishStoreUnavailable('store', cause)
    if (cause instanceof AuthXError) throw cause
    const error = new StoreUnavailableError({ cause })
    publishStoreUnavailable('store', error)
    throw error
  }
}
