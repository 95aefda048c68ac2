/**
 * The auth service's signing keys, as a private JWK Set: `AUTH_SIGNING_JWKS` (JSON), or a new
 * Ed25519 key for local development (its tokens then die with the process, and a warning says
 * so). Only the public halves ever leave the service, through its JWKS endpoint.
 */
import { generateKeyPairSync } from 'node:crypto'
import type { JWKSet } from 'authx-ts'

/**
 * A new Ed25519 signing key, named after the month it starts signing.
 *
 * @param kid - its key id; defaults to `ed25519-YYYY-MM`
 */
export function newSigningKey(
  kid = `ed25519-${new Date().toISOString().slice(0, 7)}`,
): JWKSet['keys'][number] {
  const { privateKey } = generateKeyPairSync('ed25519')
  return { ...privateKey.export({ format: 'jwk' }), kid, alg: 'EdDSA' } as JWKSet['keys'][number]
}

/**
 * The signing keys: `AUTH_SIGNING_JWKS`, or a development key.
 *
 * @param log - where the development warning goes
 */
export function signingKeysFromEnv(log: (message: string) => void = console.warn): JWKSet {
  const configured = process.env.AUTH_SIGNING_JWKS
  if (configured !== undefined && configured !== '') return JSON.parse(configured) as JWKSet
  log(
    'AUTH_SIGNING_JWKS is not set: using a new DEVELOPMENT Ed25519 key. Tokens will not survive a restart. ' +
      'In production, load the private JWK Set from your secret store.',
  )
  return { keys: [newSigningKey()] }
}
