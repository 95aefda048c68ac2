/**
 * Sealing private keys at rest (the key ring's store document): AES-256-GCM under a key derived
 * from a configured secret, with the key's `kid` as additional data, so that a sealed key moved
 * to another entry of the ring does not open. Several secrets may be configured, newest first:
 * the newest seals, any of them opens, which lets the secret itself be rotated.
 *
 * @packageDocumentation
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'

/** A sealed value as stored: which secret sealed it, and the parts of the AES-GCM output. */
export interface Sealed {
  /** The id of the secret that sealed it (not the secret: a hash of its derived key). */
  readonly by: string
  readonly iv: string
  readonly data: string
  readonly tag: string
}

/** A secret ready for sealing: the derived AES key and its public id. */
export interface SealingKey {
  readonly id: string
  readonly key: Buffer
}

/**
 * Derives the AES-256 key of a secret (domain-separated SHA-256: the secret is a high-entropy
 * string, checked at configuration) and its id.
 *
 * @param secret - the configured encryption secret
 */
export function sealingKey(secret: string): SealingKey {
  const key = createHash('sha256').update('authx-ts key ring v1\0').update(secret).digest()
  const id = createHash('sha256').update('authx-ts key ring id\0').update(key).digest('base64url')
  return { id: id.slice(0, 16), key }
}

/**
 * Seals bytes.
 *
 * @param with_ - the sealing key (the newest configured secret)
 * @param plaintext - what to seal
 * @param aad - bound to the result: opening needs the same value
 */
export function seal(with_: SealingKey, plaintext: Uint8Array, aad: string): Sealed {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', with_.key, iv)
  cipher.setAAD(Buffer.from(aad, 'utf8'))
  const data = Buffer.concat([cipher.update(plaintext), cipher.final()])
  return {
    by: with_.id,
    iv: iv.toString('base64url'),
    data: data.toString('base64url'),
    tag: cipher.getAuthTag().toString('base64url'),
  }
}

/**
 * Opens a sealed value with whichever configured key sealed it.
 *
 * @param keys - the configured sealing keys
 * @param sealed - the stored value
 * @param aad - the value it was bound to
 * @returns the plaintext, or undefined when no configured key opens it
 */
export function open(keys: readonly SealingKey[], sealed: Sealed, aad: string): Buffer | undefined {
  const key = keys.find((k) => k.id === sealed.by)
  if (key === undefined) return undefined
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.key, Buffer.from(sealed.iv, 'base64url'))
    decipher.setAAD(Buffer.from(aad, 'utf8'))
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64url'))
    return Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64url')), decipher.final()])
  } catch {
    // a tampered document, or another secret with a colliding id: not opened
    return undefined
  }
}
