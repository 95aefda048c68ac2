/**
 * The instance's key set, from its configuration: the configured keys, one remote JWK Set
 * (`jwksUri`), the JWK Sets of the trusted issuers (`issuers`), each on the remote timings, or the
 * self-rotating key ring (`keyRing`) in the store.
 *
 * @packageDocumentation
 */
import type { AuthXConfig } from '../config/index.ts'
import { KeyRing, keyRingStore } from './key-ring.ts'
import { KeySetUnion, StaticKeySet } from '../token/key-set.ts'
import type { KeySet } from '../token/key-set.ts'
import { RemoteKeySet } from '../token/remote-key-set.ts'

/**
 * Builds the key set an instance verifies (and, with a key ring, signs) with.
 *
 * @param config - the resolved configuration
 * @param store - the instance's store, where a key ring lives
 */
export function keySetFor(config: AuthXConfig, store: unknown): KeySet {
  if (config.keyRing !== null) return new KeyRing(config.keyRing, keyRingStore(store), config.clock)
  const timings = {
    cacheMaxAge: config.jwksCacheMaxAge,
    cooldown: config.jwksCooldown,
    timeout: config.jwksTimeout,
    maxStale: config.jwksMaxStale,
    clock: config.clock,
  }
  if (config.jwksUri !== null) {
    return new RemoteKeySet({
      jwksUri: config.jwksUri,
      issuer: null,
      algorithms: config.decodeAlgorithms,
      ...timings,
    })
  }
  if (config.issuers.length > 0) {
    return new KeySetUnion(
      config.issuers.map(
        (trusted) =>
          new RemoteKeySet({
            jwksUri: trusted.jwksUri,
            issuer: trusted.issuer,
            algorithms: trusted.algorithms,
            ...timings,
          }),
      ),
    )
  }
  return new StaticKeySet(config.verifyKeys)
}
