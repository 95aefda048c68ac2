/**
 * Key building: the key options (`secretKey`, `privateKey`, `publicKey`, `keyId` and their
 * `previous*` counterparts) become one signing key and the verification keys, each bound to one
 * algorithm at construction. Their schema rows point here instead of resolving one value each,
 * because the keys are checked together: which one is required depends on the algorithm.
 */
import { createPublicKey } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import type { Algorithm, BoundKey } from '../token/keys.ts'
import { bindKey, importSignKey, importVerifyKey } from '../token/keys.ts'
import type { AuthXOptions } from './options.ts'
import { algorithmOption, fail } from './validators.ts'

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
    signingKey = privateKey === undefined ? undefined : bindKey(privateKey, algorithm, keyId)
    const publicKey =
      options.publicKey === undefined
        ? undefined
        : importVerifyKey(options.publicKey, algorithm, 'publicKey')
    // With only a private key, its public half verifies: one key pair, one binding.
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
    verifyKeys.push(
      bindKey(
        importVerifyKey(previous, previousAlgorithm, option),
        previousAlgorithm,
        options.previousKeyId,
      ),
    )
  }
  return { signingKey, verifyKeys }
}
