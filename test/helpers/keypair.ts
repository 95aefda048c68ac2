/**
 * Key pairs for tests, detached from the job that generated them.
 *
 * Node 20 can deadlock when a key made by `generateKeyPairSync` is exported as a JWK while the
 * garbage collector finalizes that key's generation job: the export holds the key's mutex and
 * allocates, the collection runs the job's destructor, which takes the same mutex (seen as a hung
 * test process whose main thread waits in `KeyGenJob::~KeyGenJob` under `ExportJWK`). Re-importing
 * each key from PEM gives it key data of its own that no job refers to. The library never exports
 * keys; only tests do.
 */
import { generateKeyPairSync as generate, createPrivateKey, createPublicKey } from 'node:crypto'
import type { KeyObject } from 'node:crypto'

/** A generated key pair as `KeyObject`s. */
export interface TestKeyPair {
  publicKey: KeyObject
  privateKey: KeyObject
}

/**
 * `crypto.generateKeyPairSync` without encodings, returning keys safe to export in any format.
 *
 * @param type - `rsa`, `rsa-pss`, `ec`, `ed25519`...
 * @param options - the generation options (no encodings)
 */
export function generateKeyPairSync(type: string, options?: object): TestKeyPair {
  const pair = (generate as (t: string, o?: object) => TestKeyPair)(type, options)
  const privatePem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' })
  const publicPem = pair.publicKey.export({ type: 'spki', format: 'pem' })
  return { privateKey: createPrivateKey(privatePem), publicKey: createPublicKey(publicPem) }
}
