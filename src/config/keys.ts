/**
 * Key building: the key options (`secretKey`, `privateKey`, `publicKey`, `keyId` and their
 * `previous*` counterparts) become one signing key and the verification keys, each bound to one
 * algorithm at construction. Their schema rows point here instead of resolving one value each,
 * because the keys are checked together: which one is required depends on the algorithm.
 */
import { createPublicKey } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { hasSecretMembers } from '../token/jwk.ts'
import type { Algorithm, BoundKey, JWKInput } from '../token/keys.ts'
import { ALGORITHM_SPECS, bindKey, importSignKey, importVerifyKey } from '../token/keys.ts'
import type { AuthXOptions } from './options.ts'
import { algorithmOption, fail } from './validators.ts'

/** The options of one signing key and one previous key: the alternative to `keys`. */
const SINGLE_KEY_OPTIONS = [
  'secretKey',
  'privateKey',
  'publicKey',
  'keyId',
  'previousSecretKey',
  'previousPublicKey',
  'previousAlgorithm',
  'previousKeyId',
] as const

/** The keys of one instance: what signs (if anything) and what verifies, current key first. */
export interface BuiltKeys {
  readonly signingKey: BoundKey | undefined
  readonly verifyKeys: BoundKey[]
}

/**
 * Builds the signing key and the verification keys (current first, previous second).
 *
 * @param options - the user's options
 * @param algorithm - the validated `algorithm`
 * @returns the bound keys
 * @throws BadConfigurationError when a key is missing, malformed, too weak or of the wrong type
 *
 * @example Keys of an RS256 instance that still accepts its old HS256 tokens
 * ```ts
 * const { signingKey, verifyKeys } = buildKeys(
 *   { privateKey, previousAlgorithm: 'HS256', previousSecretKey: oldSecret },
 *   'RS256',
 * )
 * verifyKeys.map((k) => k.alg) // ['RS256', 'HS256']
 * ```
 */
export function buildKeys(options: AuthXOptions, algorithm: Algorithm): BuiltKeys {
  const single = SINGLE_KEY_OPTIONS.filter(
    (name) => options[name] !== undefined && options[name] !== null,
  )
  const elsewhere =
    options.keyRing !== undefined
      ? 'keyRing'
      : options.jwksUri !== undefined || options.issuers !== undefined
        ? 'jwksUri'
        : undefined
  if (elsewhere !== undefined) {
    const local = [
      ...(options.keys === undefined ? [] : ['keys']),
      ...(elsewhere === 'keyRing' &&
      (options.jwksUri !== undefined || options.issuers !== undefined)
        ? ['jwksUri']
        : []),
      ...single,
    ]
    if (local[0] !== undefined) {
      fail(
        local[0],
        elsewhere === 'keyRing'
          ? 'keyRing makes and holds the keys; remove the other key options'
          : 'an instance with jwksUri or issuers verifies with the remote keys only; use a separate instance to sign',
      )
    }
    return { signingKey: undefined, verifyKeys: [] }
  }
  if (options.keys !== undefined) {
    if (single[0] !== undefined) {
      fail(single[0], 'give either keys (a JWK Set) or the single-key options, not both')
    }
    return buildKeySet(options.keys, options.algorithm, options.signingKeyId)
  }
  if (options.signingKeyId !== undefined) {
    fail('signingKeyId', 'chooses a key of keys (a JWK Set); with one key, use keyId')
  }
  const symmetric = algorithm.startsWith('HS')
  const keyId = options.keyId
  let signingKey: BoundKey | undefined
  let verifyKey: BoundKey
  if (symmetric) {
    if (options.secretKey === undefined || options.secretKey === null || options.secretKey === '') {
      fail(
        'secretKey',
        `${algorithm} requires a secret; set secretKey (JWT_SECRET_KEY) to at least 32 random bytes`,
      )
    }
    const secret = importSignKey(options.secretKey, algorithm, 'secretKey')
    signingKey = bindKey(secret, algorithm, keyId)
    verifyKey = signingKey
  } else {
    if (options.privateKey === undefined && options.publicKey === undefined) {
      fail(
        'publicKey',
        `${algorithm} requires a key; set privateKey to sign and/or publicKey to verify`,
      )
    }
    const privateKey =
      options.privateKey === undefined
        ? undefined
        : importSignKey(options.privateKey, algorithm, 'privateKey')
    const publicKey =
      options.publicKey === undefined
        ? undefined
        : importVerifyKey(options.publicKey, algorithm, 'publicKey')
    // With only a private key, its public half verifies: one key pair, one binding.
    signingKey = privateKey === undefined ? undefined : bindKey(privateKey, algorithm, keyId)
    verifyKey = bindKey(publicKey ?? createPublicKey(privateKey as KeyObject), algorithm, keyId)
  }
  const verifyKeys = [verifyKey]
  const previousAlgorithm = algorithmOption(
    'previousAlgorithm',
    options.previousAlgorithm,
    algorithm,
  )
  const previous = previousAlgorithm.startsWith('HS')
    ? options.previousSecretKey
    : options.previousPublicKey
  if (previous !== undefined && previous !== null) {
    const option = previousAlgorithm.startsWith('HS') ? 'previousSecretKey' : 'previousPublicKey'
    const key = importVerifyKey(previous, previousAlgorithm, option)
    verifyKeys.push(bindKey(key, previousAlgorithm, options.previousKeyId))
  }
  return { signingKey, verifyKeys }
}

/**
 * Builds the keys of the `keys` option: every JWK bound to its `alg` (or `algorithm`), private
 * ones able to sign, and the one `signingKeyId` names (or the first private one) signing.
 *
 * @param set - the JWK Set
 * @param algorithm - the `algorithm` option as given, for JWKs without `alg`
 * @param signingKeyId - the kid of the signing key, if chosen
 */
function buildKeySet(
  set: unknown,
  algorithm: unknown,
  signingKeyId: string | undefined,
): BuiltKeys {
  const list =
    typeof set === 'object' && set !== null ? (set as { keys?: unknown }).keys : undefined
  if (!Array.isArray(list) || list.length === 0) {
    fail('keys', 'expected a JWK Set: { keys: [ ...JWKs, each with a kid ] }')
  }
  const kids = new Set<string>()
  const signers = new Map<string, BoundKey>()
  const verifyKeys: BoundKey[] = []
  list.forEach((entry: unknown, index) => {
    const option = `keys.keys[${index}]`
    if (
      typeof entry !== 'object' ||
      entry === null ||
      typeof (entry as JWKInput).kty !== 'string'
    ) {
      fail(option, 'expected a JWK (an object with kty)')
    }
    const jwk = entry as JWKInput
    const kid = jwk.kid
    if (typeof kid !== 'string' || kid === '') fail(option, 'every key of a JWK Set needs a kid')
    if (kids.has(kid)) fail(option, `kid ${JSON.stringify(kid)} appears twice; kids must be unique`)
    kids.add(kid)
    if (jwk.alg === undefined && algorithm === undefined) {
      fail(option, 'has no alg; set "alg" on the JWK, or the algorithm option for keys without one')
    }
    const alg = algorithmOption(`${option}.alg`, jwk.alg ?? algorithm, 'HS256')
    if (hasSecretMembers(jwk)) {
      const secret = importSignKey(jwk, alg, option)
      signers.set(kid, bindKey(secret, alg, kid))
      const verifying = ALGORITHM_SPECS[alg].family === 'hmac' ? secret : createPublicKey(secret)
      verifyKeys.push(bindKey(verifying, alg, kid))
    } else verifyKeys.push(bindKey(importVerifyKey(jwk, alg, option), alg, kid))
  })
  let signingKey: BoundKey | undefined
  if (signingKeyId !== undefined) {
    signingKey = signers.get(signingKeyId)
    if (signingKey === undefined) {
      fail(
        'signingKeyId',
        kids.has(signingKeyId)
          ? `the key ${JSON.stringify(signingKeyId)} is public; signing needs its private JWK`
          : `no key of keys has kid ${JSON.stringify(signingKeyId)}`,
      )
    }
  } else signingKey = signers.values().next().value
  // The signing key's own verification key first: the tokens of this instance find it first.
  const first = verifyKeys.findIndex((k) => k.kid === signingKey?.kid)
  if (first > 0) verifyKeys.unshift(...verifyKeys.splice(first, 1))
  return { signingKey, verifyKeys }
}
