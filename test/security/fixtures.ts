/**
 * Key material for the security suite, generated once per process with `node:crypto`: the
 * defender's keys for every asymmetric family, and an attacker's keys for confusion attacks.
 */
import { generateKeyPairSync } from '../helpers/keypair.ts'
import type { KeyObject } from 'node:crypto'

/** A key pair. */
export interface Pair {
  readonly privateKey: KeyObject
  readonly publicKey: KeyObject
}

const cache = new Map<string, Pair>()

function pair(name: string, make: () => Pair): Pair {
  let found = cache.get(name)
  if (found === undefined) {
    found = make()
    cache.set(name, found)
  }
  return found
}

/** RSA 2048 (RS*, PS*). */
export const rsa = (name = 'rsa'): Pair =>
  pair(name, () => generateKeyPairSync('rsa', { modulusLength: 2048 }))

/** P-256 (ES256). */
export const p256 = (name = 'p256'): Pair =>
  pair(name, () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }))

/** P-384 (ES384). */
export const p384 = (name = 'p384'): Pair =>
  pair(name, () => generateKeyPairSync('ec', { namedCurve: 'secp384r1' }))

/** Ed25519 (EdDSA). */
export const ed25519 = (name = 'ed25519'): Pair => pair(name, () => generateKeyPairSync('ed25519'))

/**
 * The public key in every spelling an attacker may try as an HMAC secret.
 *
 * @param key - a public key
 */
export function publicKeySpellings(key: KeyObject): Record<string, string | Buffer> {
  const spki = key.export({ type: 'spki', format: 'pem' }) as string
  const der = key.export({ type: 'spki', format: 'der' })
  const jwk = JSON.stringify(key.export({ format: 'jwk' }))
  const spellings: Record<string, string | Buffer> = {
    'SPKI PEM': spki,
    'SPKI PEM without the final newline': spki.trimEnd(),
    'SPKI PEM with leading whitespace': `  \n${spki}`,
    'SPKI PEM with CRLF line endings': spki.replaceAll('\n', '\r\n'),
    'SPKI PEM with a comment line before it': `# key\n${spki}`,
    'SPKI DER bytes': der,
    'SPKI DER as base64': der.toString('base64'),
    'JWK JSON text': jwk,
  }
  if (key.asymmetricKeyType === 'rsa')
    spellings['PKCS#1 PEM'] = key.export({ type: 'pkcs1', format: 'pem' })
  return spellings
}
