/**
 * JSON Web Keys (RFC 7517) in and out: which one algorithm a JWK is bound to, the keys of a JWK
 * Set fetched from elsewhere, and the public JWK Set an instance publishes. A JWK's own word
 * (`alg`, `use`, `key_ops`) is honoured; where `alg` is absent, the allowlist decides, and only when
 * one allowed algorithm fits the key's type and curve (an RSA key could be RS256 or PS512: the
 * allowlist must name exactly one RSA algorithm for an RSA key without `alg` to be usable).
 *
 * @packageDocumentation
 */
import { createHash, createPublicKey } from 'node:crypto'
import type { JsonWebKey, KeyObject } from 'node:crypto'
import { BadConfigurationError } from '../errors.ts'
import { ALGORITHM_SPECS, bindKey, importVerifyKey, isAlgorithm } from './keys.ts'
import type { Algorithm, BoundKey, JWKInput } from './keys.ts'

/** A JWK Set: `{ "keys": [ ... ] }`. */
export interface JWKSet {
  /** The keys, each a JWK with its `kid`. */
  keys: JWKInput[]
}

/** A public key as an instance publishes it: its key members, `kid`, `alg` and `use: "sig"`. */
export interface PublishedJWK extends Record<string, unknown> {
  readonly kty: string
  readonly kid: string
  readonly alg: Algorithm
  readonly use: 'sig'
}

/** The JWK Set an instance publishes: public keys only. */
export interface PublishedJWKSet {
  readonly keys: readonly PublishedJWK[]
}

/** Members that only a private or symmetric JWK has (RFC 7518 section 6). */
const SECRET_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const

/**
 * Whether a JWK carries private or symmetric material.
 *
 * @param jwk - a JWK
 */
export function hasSecretMembers(jwk: JWKInput): boolean {
  return SECRET_MEMBERS.some((name) => Object.hasOwn(jwk, name))
}

/** The algorithms a key of each EC curve or OKP subtype can serve. */
const CURVE_ALGORITHMS: Readonly<Record<string, Algorithm>> = {
  'P-256': 'ES256',
  'P-384': 'ES384',
  'P-521': 'ES512',
  Ed25519: 'EdDSA',
}

/**
 * The one algorithm a JWK may be used with: its `alg` when that is allowed, else the single
 * allowed algorithm its `kty` and `crv` fit, else none.
 *
 * @param jwk - the key
 * @param allowed - the algorithms tokens may name
 * @returns the algorithm, or undefined when the key must not be used
 */
export function algorithmForJWK(
  jwk: JWKInput,
  allowed: readonly Algorithm[],
): Algorithm | undefined {
  if (jwk.alg !== undefined) {
    return isAlgorithm(jwk.alg) && allowed.includes(jwk.alg) ? jwk.alg : undefined
  }
  let fits: Algorithm[]
  if (jwk.kty === 'RSA') {
    fits = allowed.filter((alg) => ['rsa', 'pss'].includes(ALGORITHM_SPECS[alg].family))
  } else if (jwk.kty === 'EC' || jwk.kty === 'OKP') {
    const alg = typeof jwk.crv === 'string' ? CURVE_ALGORITHMS[jwk.crv] : undefined
    fits = alg !== undefined && allowed.includes(alg) ? [alg] : []
  } else fits = []
  return fits.length === 1 ? fits[0] : undefined
}

/**
 * The public JWK members of a key. Exported through a re-imported copy: on Node 20, exporting as
 * JWK a key that `generateKeyPairSync` made can deadlock with the collection of its generation
 * job; a key re-imported from PEM has key data of its own that no job refers to.
 */
function publicMembers(key: KeyObject): Record<string, string> {
  const pem = (key.type === 'private' ? createPublicKey(key) : key).export({
    type: 'spki',
    format: 'pem',
  })
  return createPublicKey(pem).export({ format: 'jwk' }) as Record<string, string>
}

/**
 * The RFC 7638 thumbprint of a public key (SHA-256, base64url): the published `kid` of a key that
 * was configured without one.
 *
 * @param key - a public or private asymmetric key (the thumbprint is of its public half)
 */
export function thumbprint(key: KeyObject): string {
  const jwk = publicMembers(key)
  // The required members only, in lexicographic order, without whitespace (RFC 7638 section 3).
  const members: Record<string, readonly string[]> = {
    RSA: ['e', 'kty', 'n'],
    EC: ['crv', 'kty', 'x', 'y'],
    OKP: ['crv', 'kty', 'x'],
  }
  const required = members[jwk.kty as string] ?? []
  const canonical = JSON.stringify(Object.fromEntries(required.map((m) => [m, jwk[m]])))
  return createHash('sha256').update(canonical).digest('base64url')
}

/**
 * The public JWK of a verification key, as published: key members, `kid`, `alg`, `use`. A key
 * configured without a kid is published under its RFC 7638 thumbprint, so that a verifier can
 * still tell the keys of the set apart; the instance's tokens then carry no kid, and a verifier
 * tries every key of their algorithm.
 *
 * @param bound - an asymmetric verification key
 * @throws TypeError for an HMAC key: a secret is never published
 */
export function publishedJWK(bound: BoundKey): PublishedJWK {
  if (bound.spec.family === 'hmac') throw new TypeError('an HMAC secret is never published')
  // The public half, whatever was bound: no private member can leave.
  const { kty, ...members } = publicMembers(bound.key) as JsonWebKey & { kty: string }
  const kid = bound.kid ?? thumbprint(bound.key)
  return Object.freeze({ kty, ...members, kid, alg: bound.alg, use: 'sig' as const })
}

/** Why a fetched document is not a usable JWK Set. */
export class InvalidJWKSetError extends Error {
  override readonly name = 'InvalidJWKSetError'
}

/**
 * The usable keys of a JWK Set fetched from a `jwks_uri`. A key is skipped, never trusted, when
 * it is symmetric or private, published for encryption or for other operations, of an algorithm
 * the allowlist does not name (or whose algorithm cannot be told), or too weak (`importVerifyKey`'s
 * rules); a set with two keys under one `kid` is refused as a whole, since which of them a token
 * meant cannot be known.
 *
 * @param document - the parsed JSON body
 * @param allowed - the algorithms tokens of this source may name
 * @param issuer - the issuer whose keys these are, when several are trusted
 * @throws InvalidJWKSetError when the document is not a JWK Set or repeats a kid
 */
export function keysOfJWKSet(
  document: unknown,
  allowed: readonly Algorithm[],
  issuer?: string,
): BoundKey[] {
  const list =
    typeof document === 'object' && document !== null && !Array.isArray(document)
      ? (document as { keys?: unknown }).keys
      : undefined
  if (!Array.isArray(list)) throw new InvalidJWKSetError('not a JWK Set (no "keys" array)')
  const kids = new Set<string>()
  const keys: BoundKey[] = []
  for (const entry of list) {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) continue
    const jwk = entry as JWKInput
    if (typeof jwk.kty !== 'string') continue
    const kid = typeof jwk.kid === 'string' ? jwk.kid : undefined
    if (kid !== undefined) {
      if (kids.has(kid)) throw new InvalidJWKSetError(`kid ${JSON.stringify(kid)} appears twice`)
      kids.add(kid)
    }
    if (hasSecretMembers(jwk)) continue
    const alg = algorithmForJWK(jwk, allowed)
    if (alg === undefined || ALGORITHM_SPECS[alg].family === 'hmac') continue
    try {
      // The JWK's `alg` may be absent; bind as if it said the algorithm we chose for it.
      const key = importVerifyKey({ ...jwk, alg }, alg, 'jwks')
      keys.push(bindKey(key, alg, kid, issuer))
    } catch (error) {
      if (!(error instanceof BadConfigurationError)) throw error
      // unusable key (wrong use, key_ops, size or curve): skipped like the others above
    }
  }
  return keys
}
