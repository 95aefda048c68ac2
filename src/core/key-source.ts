/**
 * The instance's key set, from its configuration: the configured keys, one remote JWK Set
 * (`jwksUri`), or the JWK Sets of the trusted issuers (`issuers`), each on the remote timings.
 *
 * @packageDocumentation
 */
import type { AuthXConfig } from '../config/index.ts'
import { KeySetUnion, StaticKeySet } from '../token/key-set.ts'
import type { KeySet } from '../token/key-set.ts'
import { RemoteKeySet } from '../token/remote-key-set.ts'

/**
 * Builds the key set an instance verifies with.
 *
 * @param config - the resolved configuration
 */
export function keySetFor(config: AuthXConfig): KeySet {
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
