/**
 * JWKs in and out: the one algorithm a JWK is bound to, which keys of a fetched JWK Set are
 * usable, the RFC 7638 thumbprint, and what a published JWK carries.
 */
import assert from 'node:assert/strict'
import { createPublicKey } from 'node:crypto'
import { describe, it } from 'node:test'
import {
  InvalidJWKSetError,
  algorithmForJWK,
  keysOfJWKSet,
  publishedJWK,
  thumbprint,
} from '../../src/token/jwk.ts'
import { bindKey, importVerifyKey } from '../../src/token/keys.ts'
import type { JWKInput } from '../../src/token/keys.ts'
import { generateKeyPairSync } from '../helpers/keypair.ts'

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const ed = generateKeyPairSync('ed25519')
const jwkOf = (key: typeof rsa.publicKey, extra: object = {}): JWKInput => ({
  ...(key.export({ format: 'jwk' }) as JWKInput),
  ...extra,
})

void describe('algorithmForJWK', () => {
  it('takes the JWK alg when the allowlist names it, and refuses it otherwise', () => {
    assert.equal(algorithmForJWK(jwkOf(rsa.publicKey, { alg: 'PS256' }), ['PS256']), 'PS256')
    assert.equal(algorithmForJWK(jwkOf(rsa.publicKey, { alg: 'PS256' }), ['RS256']), undefined)
    assert.equal(algorithmForJWK(jwkOf(rsa.publicKey, { alg: 'none' }), ['RS256']), undefined)
  })

  it('maps a JWK without alg by kty and crv, only when one allowed algorithm fits', () => {
    assert.equal(algorithmForJWK(jwkOf(p256.publicKey), ['ES256', 'ES384']), 'ES256')
    assert.equal(algorithmForJWK(jwkOf(ed.publicKey), ['EdDSA', 'RS256']), 'EdDSA')
    assert.equal(algorithmForJWK(jwkOf(rsa.publicKey), ['RS256', 'ES256']), 'RS256')
    // RS256 or PS256? Not ours to guess.
    assert.equal(algorithmForJWK(jwkOf(rsa.publicKey), ['RS256', 'PS256']), undefined)
    assert.equal(algorithmForJWK(jwkOf(p256.publicKey), ['ES384']), undefined)
    assert.equal(algorithmForJWK({ kty: 'oct', k: 'AAAA' }, ['HS256']), undefined)
  })
})

void describe('keysOfJWKSet', () => {
  const allowed = ['RS256', 'ES256', 'EdDSA'] as const

  it('binds each usable key to its algorithm, kid and issuer', () => {
    const keys = keysOfJWKSet(
      {
        keys: [
          jwkOf(rsa.publicKey, { kid: 'r', alg: 'RS256' }),
          jwkOf(p256.publicKey, { kid: 'e' }),
        ],
      },
      [...allowed],
      'https://idp.example',
    )
    assert.deepEqual(
      keys.map((k) => [k.kid, k.alg, k.issuer]),
      [
        ['r', 'RS256', 'https://idp.example'],
        ['e', 'ES256', 'https://idp.example'],
      ],
    )
  })

  it('skips symmetric, private, encryption-only, wrongly-scoped and unknown keys', () => {
    const keys = keysOfJWKSet(
      {
        keys: [
          {
            kty: 'oct',
            k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA',
            kid: 'oct',
            alg: 'HS256',
          },
          jwkOf(rsa.privateKey, { kid: 'private', alg: 'RS256' }),
          jwkOf(rsa.publicKey, { kid: 'enc', alg: 'RS256', use: 'enc' }),
          jwkOf(rsa.publicKey, { kid: 'ops', alg: 'RS256', key_ops: ['encrypt'] }),
          jwkOf(rsa.publicKey, { kid: 'other-alg', alg: 'RS512' }),
          { kty: 'XYZ', kid: 'unknown' },
          'not a key',
          jwkOf(ed.publicKey, { kid: 'good' }),
        ],
      },
      [...allowed],
    )
    assert.deepEqual(
      keys.map((k) => k.kid),
      ['good'],
    )
  })

  it('refuses a document that is not a JWK Set, or repeats a kid', () => {
    for (const document of [null, [], { keys: {} }, { nokeys: [] }, 'text']) {
      assert.throws(() => keysOfJWKSet(document, [...allowed]), InvalidJWKSetError)
    }
    const twice = {
      keys: [jwkOf(rsa.publicKey, { kid: 'k', alg: 'RS256' }), jwkOf(p256.publicKey, { kid: 'k' })],
    }
    assert.throws(() => keysOfJWKSet(twice, [...allowed]), /appears twice/)
  })
})

void describe('thumbprint and publishing', () => {
  it('computes the RFC 7638 section 3.1 example thumbprint', () => {
    const key = createPublicKey({
      format: 'jwk',
      key: {
        kty: 'RSA',
        n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
        e: 'AQAB',
      },
    })
    assert.equal(thumbprint(key), 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs')
  })

  it('publishes the public members, kid, alg and use only, even of a private key', () => {
    const bound = bindKey(rsa.privateKey, 'RS256', 'k1')
    const jwk = publishedJWK(bound)
    assert.deepEqual(Object.keys(jwk).sort(), ['alg', 'e', 'kid', 'kty', 'n', 'use'])
    assert.equal(jwk.use, 'sig')
    // The published key verifies what the private key signs: it is the same key pair.
    const again = importVerifyKey(jwk, 'RS256', 'jwk')
    assert.ok(again.equals(rsa.publicKey))
  })

  it('never publishes a secret; a key without a kid is published under its thumbprint', () => {
    const secret = bindKey(
      importVerifyKey('x'.repeat(32) + 'y'.repeat(32), 'HS256', 'secretKey'),
      'HS256',
      'h',
    )
    assert.throws(() => publishedJWK(secret), TypeError)
    const anonymous = publishedJWK(bindKey(ed.publicKey, 'EdDSA', undefined))
    assert.equal(anonymous.kid, thumbprint(ed.publicKey))
  })
})
