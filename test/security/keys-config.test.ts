/**
 * Keys and configuration: weak or mismatched keys are refused when the instance is built, with a
 * message that names the option (RFC 7518 section 3.2 and 3.3, RFC 8725 section 3.5); key
 * rotation keeps the previous key for verification only, bound to its own algorithm.
 */
import assert from 'node:assert/strict'
import { createSecretKey, randomBytes } from 'node:crypto'
import { generateKeyPairSync } from '../helpers/keypair.ts'
import { after, before, describe, test } from 'node:test'
import { AuthX } from '../../src/authx.ts'
import type { AuthXOptions } from '../../src/config/index.ts'
import { BadConfigurationError } from '../../src/errors.ts'
import { forgeToken } from '../helpers/forge.ts'
import {
  NOW,
  SECRET,
  baseClaims,
  bearer,
  buildSecurityApp,
  expectAccepted,
  expectRejected,
} from '../helpers/http-invariants.ts'
import type { SecurityApp } from '../helpers/http-invariants.ts'
import { ed25519, p256, p384, rsa } from './fixtures.ts'

/** Asserts construction fails with BadConfigurationError naming `option`. */
function refused(options: AuthXOptions, option: string, hint?: RegExp): void {
  assert.throws(
    () => new AuthX(options),
    (error: unknown) => {
      assert.ok(
        error instanceof BadConfigurationError,
        `not a BadConfigurationError: ${String(error)}`,
      )
      assert.ok(error.message.startsWith(`${option}:`), `message names ${option}: ${error.message}`)
      if (hint !== undefined) assert.match(error.message, hint)
      return true
    },
  )
}

void describe('security: keys and configuration are checked at construction', () => {
  void test('an empty HS256 secret is refused (RFC 7518 §3.2)', () => {
    refused({ secretKey: '' }, 'secretKey')
  })

  void test('no key at all is refused, never a silent "none" (CVE-2022-23540 GHSA-qwph-4952-7xr6)', () => {
    refused({}, 'secretKey')
  })

  void test('a 31-byte HS256 secret is refused (RFC 7518 §3.2: key >= hash size)', () => {
    refused({ secretKey: 'x'.repeat(31) }, 'secretKey', /32 bytes/)
  })

  void test('a 47-byte HS384 secret is refused (RFC 7518 §3.2)', () => {
    refused({ algorithm: 'HS384', secretKey: randomBytes(47) }, 'secretKey', /48 bytes/)
  })

  void test('a 63-byte HS512 secret is refused (RFC 7518 §3.2)', () => {
    refused({ algorithm: 'HS512', secretKey: createSecretKey(randomBytes(63)) }, 'secretKey', /64/)
  })

  void test('a PEM public key given as an HMAC secret is refused (CVE-2015-9235 set-up, jsonwebtoken CVE-2022-23541)', () => {
    const pem = rsa().publicKey.export({ type: 'spki', format: 'pem' }) as string
    refused({ secretKey: pem }, 'secretKey', /PEM/)
  })

  void test('a PEM with leading whitespace given as an HMAC secret is refused (fast-jwt GHSA-mvf2-f6gm-w987)', () => {
    const pem = rsa().publicKey.export({ type: 'spki', format: 'pem' }) as string
    refused({ secretKey: `\n  ${pem}` }, 'secretKey', /PEM/)
  })

  void test('a public KeyObject given as an HMAC secret is refused (RFC 8725 §3.1)', () => {
    refused({ secretKey: rsa().publicKey }, 'secretKey', /secret/)
  })

  void test('an RSA key under 2048 bits is refused (RFC 7518 §3.3, jsonwebtoken CVE-2022-23539)', () => {
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 })
    refused({ algorithm: 'RS256', privateKey: weak.privateKey }, 'privateKey', /2048/)
  })

  void test('an EC P-384 key for ES256 is refused (RFC 7518 §3.4: curve bound to alg)', () => {
    refused({ algorithm: 'ES256', privateKey: p384().privateKey }, 'privateKey', /prime256v1/)
  })

  void test('an Ed25519 key for ES256 is refused (wrong key type)', () => {
    refused({ algorithm: 'ES256', privateKey: ed25519().privateKey }, 'privateKey', /EC/)
  })

  void test('an RSA key for EdDSA is refused (wrong key type)', () => {
    refused({ algorithm: 'EdDSA', publicKey: rsa().publicKey }, 'publicKey', /Ed25519/)
  })

  void test('an EC key for RS256 is refused (wrong key type)', () => {
    refused({ algorithm: 'RS256', publicKey: p256().publicKey }, 'publicKey', /RSA/)
  })

  void test('a private key where the public key belongs is refused', () => {
    const pem = rsa().privateKey.export({ type: 'pkcs8', format: 'pem' }) as string
    refused({ algorithm: 'RS256', publicKey: pem }, 'publicKey', /private key/)
  })

  void test('a public key where the private key belongs is refused', () => {
    refused({ algorithm: 'RS256', privateKey: rsa().publicKey }, 'privateKey')
  })

  void test('a short previous HMAC secret is refused too (rotation cannot weaken the key)', () => {
    refused({ secretKey: SECRET, previousSecretKey: 'short' }, 'previousSecretKey', /32 bytes/)
  })

  void test('algorithm "none" is refused (RFC 8725 §3.1)', () => {
    refused({ secretKey: SECRET, algorithm: 'none' as 'HS256' }, 'algorithm')
  })

  void test('decodeAlgorithms naming an algorithm with no bound key is refused (RFC 8725 §3.1)', () => {
    refused({ secretKey: SECRET, decodeAlgorithms: ['HS256', 'RS256'] }, 'decodeAlgorithms')
  })
})

void describe('security: previous-key rotation over HTTP', () => {
  const previous = randomBytes(32).toString('hex')
  let target: SecurityApp
  before(async () => {
    target = await buildSecurityApp({
      auth: { secretKey: SECRET, previousSecretKey: previous },
      secrets: [previous],
    })
  })
  after(() => target.close())

  void test('a token signed by the previous secret is still accepted during rotation (RFC 7517 §4.5 kid rollover practice)', async () => {
    const token = forgeToken({ header: { alg: 'HS256' }, payload: baseClaims(), key: previous })
    await expectAccepted(target, bearer(token))
  })

  void test('a token signed by neither secret is refused (RFC 7515 §5.2 step 8)', async () => {
    const token = forgeToken({
      header: { alg: 'HS256' },
      payload: baseClaims(),
      key: randomBytes(32),
    })
    await expectRejected(target, bearer(token), {
      status: 401,
      errorType: 'TokenInvalidSignatureError',
    })
  })

  void test('an expired token signed by the previous secret says "expired", not "bad signature" (AuthX defect fixed, DESIGN §9)', async () => {
    const token = forgeToken({
      header: { alg: 'HS256' },
      payload: baseClaims({ exp: NOW - 60 }),
      key: previous,
    })
    await expectRejected(target, bearer(token), { status: 401, errorType: 'TokenExpiredError' })
  })
})
