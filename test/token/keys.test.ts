/**
 * Every rule of `importVerifyKey` / `importSignKey`: what is refused at construction (always a
 * `BadConfigurationError` whose message starts with the option name and never echoes key
 * material) and every accepted input format.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import {
  KeyObject,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  randomBytes,
  webcrypto,
} from 'node:crypto'
import { generateKeyPairSync } from '../helpers/keypair.ts'
import type { RSAPSSKeyPairKeyObjectOptions } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { BadConfigurationError } from '../../src/errors.ts'
import { SyncJWSVerifier } from '../helpers/sync-verifier.ts'
import {
  ALGORITHMS,
  ALGORITHM_SPECS,
  bindKey,
  importSignKey,
  importVerifyKey,
  isAlgorithm,
} from '../../src/token/keys.ts'
import type { Algorithm, JWKInput, KeyInput } from '../../src/token/keys.ts'
import { b64url, bigIntToBytes, forgeToken } from '../helpers/forge.ts'

const { subtle } = webcrypto

// ---------------------------------------------------------------------------------------------
// Keys.

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 })
const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' })
const p521 = generateKeyPairSync('ec', { namedCurve: 'P-521' })
const k256 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' })
const ed25519 = generateKeyPairSync('ed25519')
const ed448 = generateKeyPairSync('ed448')
const x25519 = generateKeyPairSync('x25519')

const pem = (key: KeyObject, type: 'spki' | 'pkcs1' | 'pkcs8' | 'sec1'): string =>
  key.export({ type, format: 'pem' }) as string
const jwkOf = (key: KeyObject): JWKInput => key.export({ format: 'jwk' }) as JWKInput

/** Asserts a `BadConfigurationError` whose message names `option` and matches `pattern`. */
function assertBadConfig(
  action: () => unknown,
  option: string,
  pattern: RegExp,
  mustNotContain: readonly string[] = [],
): void {
  assert.throws(action, (error: unknown) => {
    assert.ok(error instanceof Error)
    assert.equal(error.constructor, BadConfigurationError, String(error))
    assert.ok(
      error.message.startsWith(`${option}: `),
      `message does not name ${option}: ${error.message}`,
    )
    assert.match(error.message, pattern)
    for (const secret of mustNotContain) {
      assert.ok(!error.message.includes(secret), 'the message echoes key material')
    }
    return true
  })
}

/** Asserts that a key imported for `alg` verifies a token signed by `privateKey`. */
function assertVerifies(key: KeyObject, alg: Algorithm, privateKey: KeyInput): void {
  const token = forgeToken({
    header: { alg },
    payload: { sub: 'alice' },
    alg,
    key: privateKey as KeyObject,
  })
  const verifier = new SyncJWSVerifier([bindKey(key, alg, undefined)], [alg], 8192)
  assert.equal(verifier.verify(token).payload.sub, 'alice')
}

// ---------------------------------------------------------------------------------------------

describe('HMAC secrets', () => {
  for (const alg of ['HS256', 'HS384', 'HS512'] as const) {
    const size = ALGORITHM_SPECS[alg].hashBytes

    it(`${alg}: refuses a ${size - 1}-byte secret in every form and accepts ${size} bytes`, () => {
      const short = randomBytes(size - 1)
      const shortText = 'x'.repeat(size - 1)
      const forms: KeyInput[] = [
        short,
        new Uint8Array(short),
        shortText,
        createSecretKey(short),
        { kty: 'oct', k: b64url(short) },
      ]
      for (const input of forms) {
        for (const importKey of [importVerifyKey, importSignKey]) {
          assertBadConfig(
            () => importKey(input, alg, 'secretKey'),
            'secretKey',
            new RegExp(`${alg} needs a secret of at least ${size} bytes.*got ${size - 1}`),
            [shortText, short.toString('base64'), b64url(short)],
          )
        }
      }
      const exact = randomBytes(size)
      for (const input of [
        exact,
        'y'.repeat(size),
        createSecretKey(exact),
        { kty: 'oct', k: b64url(exact) },
      ]) {
        assert.equal(importVerifyKey(input, alg, 'secretKey').symmetricKeySize, size)
        assert.equal(importSignKey(input, alg, 'secretKey').symmetricKeySize, size)
      }
    })
  }

  it('counts bytes, not characters (16 two-byte characters are 32 bytes)', () => {
    assert.equal(importVerifyKey('é'.repeat(16), 'HS256', 'secretKey').symmetricKeySize, 32)
    assertBadConfig(
      () => importVerifyKey('é'.repeat(15), 'HS256', 'secretKey'),
      'secretKey',
      /at least 32 bytes/,
    )
  })

  it('refuses empty secrets', () => {
    for (const input of ['', Buffer.alloc(0), new Uint8Array(0), { kty: 'oct', k: '' }]) {
      assertBadConfig(
        () => importVerifyKey(input, 'HS256', 'secretKey'),
        'secretKey',
        /at least 32 bytes/,
      )
    }
  })

  const pems: ReadonlyArray<[string, string]> = [
    ['an SPKI public key PEM', pem(rsa.publicKey, 'spki')],
    ['a PKCS#1 public key PEM', pem(rsa.publicKey, 'pkcs1')],
    ['a PKCS#8 private key PEM', pem(rsa.privateKey, 'pkcs8')],
    ['a PKCS#1 private key PEM', pem(rsa.privateKey, 'pkcs1')],
    ['an EC public key PEM', pem(p256.publicKey, 'spki')],
    ['an Ed25519 public key PEM', pem(ed25519.publicKey, 'spki')],
    ['a PEM with leading whitespace', `\n\t  ${pem(rsa.publicKey, 'spki')}`],
    ['a PEM after a comment line', `# our key\n${pem(rsa.publicKey, 'spki')}`],
    ['a PEM with CRLF line ends', pem(rsa.publicKey, 'spki').replaceAll('\n', '\r\n')],
  ]
  for (const [name, text] of pems) {
    it(`refuses ${name} as an HMAC secret (string and bytes)`, () => {
      for (const input of [text, Buffer.from(text), new Uint8Array(Buffer.from(text))]) {
        for (const importKey of [importVerifyKey, importSignKey]) {
          assertBadConfig(
            () => importKey(input, 'HS256', 'secretKey'),
            'secretKey',
            /a PEM key cannot be an HS256 secret/,
          )
        }
      }
    })
  }

  // The same public material in encodings without the PEM armor (SECURITY-TESTING: "in every
  // encoding"); before the fix these were accepted as 270-odd-byte HMAC secrets.
  const encoded: ReadonlyArray<[string, string | Buffer]> = [
    ['SPKI DER', rsa.publicKey.export({ type: 'spki', format: 'der' })],
    ['PKCS#1 DER', rsa.publicKey.export({ type: 'pkcs1', format: 'der' })],
    ['PKCS#8 DER (a private key)', rsa.privateKey.export({ type: 'pkcs8', format: 'der' })],
    ['SEC1 DER (an EC private key)', p256.privateKey.export({ type: 'sec1', format: 'der' })],
    ['EC SPKI DER', p256.publicKey.export({ type: 'spki', format: 'der' })],
    ['Ed25519 SPKI DER', ed25519.publicKey.export({ type: 'spki', format: 'der' })],
    [
      'the base64 body of a PEM, without armor',
      pem(rsa.publicKey, 'spki').split('\n').slice(1, -2).join(''),
    ],
    [
      'the base64 body of a PEM, with its line breaks',
      pem(rsa.publicKey, 'spki').split('\n').slice(1, -2).join('\n'),
    ],
    ['a JWK serialised as JSON text', JSON.stringify(jwkOf(rsa.publicKey))],
    ['an EC JWK serialised as JSON text', JSON.stringify(jwkOf(p256.publicKey))],
    [
      'an oct JWK serialised as JSON text',
      JSON.stringify({ kty: 'oct', k: b64url(randomBytes(32)) }),
    ],
    // Before the fix these were accepted: only armourless standard base64 was decoded.
    ['SPKI DER as hex', rsa.publicKey.export({ type: 'spki', format: 'der' }).toString('hex')],
    ['SPKI DER as base64url', b64url(rsa.publicKey.export({ type: 'spki', format: 'der' }))],
    [
      'Ed25519 SPKI DER as unpadded base64 (shorter than 64 characters)',
      ed25519.publicKey
        .export({ type: 'spki', format: 'der' })
        .toString('base64')
        .replace(/=+$/, ''),
    ],
    ['a JWK Set serialised as JSON text', JSON.stringify({ keys: [jwkOf(p256.publicKey)] })],
    ['an array of JWKs serialised as JSON text', JSON.stringify([jwkOf(ed25519.publicKey)])],
  ]
  for (const [name, material] of encoded) {
    it(`refuses ${name} as an HMAC secret`, () => {
      for (const importKey of [importVerifyKey, importSignKey]) {
        assertBadConfig(
          () => importKey(material, 'HS256', 'secretKey'),
          'secretKey',
          /is an encoded key or certificate.*not a random secret/,
        )
      }
    })
  }

  it('refuses public DER carried by an "oct" JWK or a secret KeyObject', () => {
    const der = rsa.publicKey.export({ type: 'spki', format: 'der' })
    for (const input of [{ kty: 'oct', k: b64url(der) }, createSecretKey(der)]) {
      for (const importKey of [importVerifyKey, importSignKey]) {
        assertBadConfig(
          () => importKey(input, 'HS256', 'previousSecretKey'),
          'previousSecretKey',
          /is an encoded key or certificate/,
        )
      }
    }
  })

  it('refuses a JWK Set object with a BadConfigurationError, not a TypeError', () => {
    const jwks = { keys: [jwkOf(rsa.publicKey)] } as unknown as KeyInput
    assertBadConfig(() => importVerifyKey(jwks, 'HS256', 'secretKey'), 'secretKey', /JWK Set/)
    assertBadConfig(
      () => importSignKey(42 as unknown as KeyInput, 'HS256', 'secretKey'),
      'secretKey',
      /needs a secret as a string.*got number/,
    )
  })

  it('still accepts random and base64/hex-looking secrets', () => {
    for (let i = 0; i < 50; i++) {
      const bytes = randomBytes(48)
      for (const input of [bytes, bytes.toString('base64'), bytes.toString('hex'), b64url(bytes)]) {
        assert.equal(importVerifyKey(input, 'HS256', 'secretKey').type, 'secret')
      }
    }
    // A DER-looking first byte (0x30, SEQUENCE) alone does not make a key.
    const sequence = Buffer.concat([Buffer.of(0x30, 0x82), randomBytes(62)])
    assert.equal(importVerifyKey(sequence, 'HS256', 'secretKey').symmetricKeySize, 64)
  })

  it('refuses asymmetric KeyObjects and JWKs as HMAC secrets', () => {
    for (const key of [rsa.publicKey, rsa.privateKey, p256.publicKey, ed25519.publicKey]) {
      assertBadConfig(
        () => importVerifyKey(key, 'HS256', 'secretKey'),
        'secretKey',
        new RegExp(`HS256 needs a secret, got a ${key.type} key`),
      )
    }
    for (const jwk of [
      jwkOf(rsa.publicKey),
      jwkOf(p256.publicKey),
      { kty: 'oct' },
      { kty: 'oct', k: 7 },
    ]) {
      assertBadConfig(
        () => importVerifyKey(jwk, 'HS256', 'secretKey'),
        'secretKey',
        /HS256 needs an "oct" JWK with a "k" member/,
      )
    }
  })

  it('honours an oct JWK\'s "use", "key_ops" and "alg" (RFC 7517 section 4)', () => {
    const k = b64url(randomBytes(64))
    assert.equal(
      importVerifyKey({ kty: 'oct', k, use: 'sig', alg: 'HS256' }, 'HS256', 'secretKey').type,
      'secret',
    )
    assert.equal(
      importSignKey({ kty: 'oct', k, key_ops: ['sign', 'verify'] }, 'HS512', 'secretKey').type,
      'secret',
    )
    assertBadConfig(
      () => importVerifyKey({ kty: 'oct', k, use: 'enc' }, 'HS256', 'secretKey'),
      'secretKey',
      /"use"/,
    )
    assertBadConfig(
      () => importVerifyKey({ kty: 'oct', k, key_ops: ['encrypt'] }, 'HS256', 'secretKey'),
      'secretKey',
      /"key_ops".*"verify"/,
    )
    assertBadConfig(
      () => importSignKey({ kty: 'oct', k, key_ops: ['verify'] }, 'HS256', 'secretKey'),
      'secretKey',
      /"key_ops".*"sign"/,
    )
    for (const alg of ['HS512', 'A256GCM', 'A256KW', 'RS256']) {
      assertBadConfig(
        () => importVerifyKey({ kty: 'oct', k, alg }, 'HS256', 'secretKey'),
        'secretKey',
        /"alg"/,
      )
    }
  })
})

describe('asymmetric key rules', () => {
  it('refuses RSA keys under 2048 bits for RS* and PS*, both to verify and to sign', () => {
    for (const alg of ['RS256', 'RS512', 'PS256', 'PS384'] as const) {
      assertBadConfig(
        () => importVerifyKey(rsa1024.publicKey, alg, 'publicKey'),
        'publicKey',
        /at least 2048 bits.*got 1024/,
      )
      assertBadConfig(
        () => importVerifyKey(pem(rsa1024.publicKey, 'spki'), alg, 'publicKey'),
        'publicKey',
        /2048 bits/,
      )
      assertBadConfig(
        () => importSignKey(rsa1024.privateKey, alg, 'privateKey'),
        'privateKey',
        /2048 bits/,
      )
      assertBadConfig(
        () => importSignKey(pem(rsa1024.privateKey, 'pkcs8'), alg, 'privateKey'),
        'privateKey',
        /2048 bits/,
      )
    }
  })

  it('refuses RSA public exponents 1 and even (e = 1 lets anyone forge)', () => {
    const n = jwkOf(rsa.publicKey).n as string
    for (const e of [1n, 2n, 4n, 65536n]) {
      const jwk = {
        kty: 'RSA',
        n,
        e: b64url(bigIntToBytes(e, Math.ceil(e.toString(16).length / 2))),
      }
      assertBadConfig(
        () => importVerifyKey(jwk, 'RS256', 'publicKey'),
        'publicKey',
        /public exponent/,
      )
    }
    // e = 3 is weak practice but sound, and Wycheproof's RS256 groups use it.
    const three = { kty: 'RSA', n, e: 'Aw' }
    assert.equal(
      importVerifyKey(three, 'RS256', 'publicKey').asymmetricKeyDetails?.publicExponent,
      3n,
    )
  })

  const CURVES: ReadonlyArray<[Algorithm, KeyObject, string]> = [
    ['ES256', p384.publicKey, 'secp384r1'],
    ['ES256', p521.publicKey, 'secp521r1'],
    ['ES256', k256.publicKey, 'secp256k1'],
    ['ES384', p256.publicKey, 'prime256v1'],
    ['ES512', p256.publicKey, 'prime256v1'],
    ['ES512', p384.publicKey, 'secp384r1'],
  ]
  for (const [alg, key, curve] of CURVES) {
    it(`refuses a ${curve} key for ${alg} (wrong curve)`, () => {
      const want = ALGORITHM_SPECS[alg].curve as string
      const pattern = new RegExp(`${alg} needs an EC key on curve ${want}, got ${curve}`)
      assertBadConfig(() => importVerifyKey(key, alg, 'publicKey'), 'publicKey', pattern)
      assertBadConfig(
        () => importVerifyKey(jwkOf(key), alg, 'publicKey'),
        'publicKey',
        /curve|not a usable/,
      )
    })
  }

  const KINDS: ReadonlyArray<[Algorithm, KeyObject, KeyObject, string]> = [
    ['ES256', ed25519.publicKey, ed25519.privateKey, 'an EC key, got ed25519'],
    ['ES256', rsa.publicKey, rsa.privateKey, 'an EC key, got rsa'],
    ['RS256', p256.publicKey, p256.privateKey, 'an RSA key, got ec'],
    ['PS256', ed25519.publicKey, ed25519.privateKey, 'an RSA key, got ed25519'],
    ['EdDSA', p256.publicKey, p256.privateKey, 'an Ed25519 key, got ec'],
    ['EdDSA', ed448.publicKey, ed448.privateKey, 'an Ed25519 key, got ed448'],
    ['EdDSA', x25519.publicKey, x25519.privateKey, 'an Ed25519 key, got x25519'],
    ['EdDSA', rsa.publicKey, rsa.privateKey, 'an Ed25519 key, got rsa'],
  ]
  for (const [alg, publicKey, privateKey, message] of KINDS) {
    it(`refuses ${message.replace(/^an? /, '').replace(' key, got ', ' wanted, ')} for ${alg}`, () => {
      const pattern = new RegExp(`${alg} needs ${message}`)
      assertBadConfig(() => importVerifyKey(publicKey, alg, 'publicKey'), 'publicKey', pattern)
      assertBadConfig(
        () => importVerifyKey(pem(publicKey, 'spki'), alg, 'publicKey'),
        'publicKey',
        pattern,
      )
      assertBadConfig(() => importSignKey(privateKey, alg, 'privateKey'), 'privateKey', pattern)
      assertBadConfig(
        () => importSignKey(pem(privateKey, 'pkcs8'), alg, 'privateKey'),
        'privateKey',
        pattern,
      )
    })
  }

  interface PSSRestrictions {
    hashAlgorithm: string
    mgf1HashAlgorithm: string
    saltLength: number
  }
  /** An rsa-pss key pair, optionally carrying parameter restrictions (RFC 4055). */
  function pssKeyPair(restrictions?: PSSRestrictions): {
    publicKey: KeyObject
    privateKey: KeyObject
  } {
    // @types/node types saltLength as a string; Node wants the number of bytes.
    const options = {
      modulusLength: 2048,
      ...restrictions,
    } as unknown as RSAPSSKeyPairKeyObjectOptions
    return generateKeyPairSync('rsa-pss', options)
  }
  const unrestrictedPSS = pssKeyPair()

  it('refuses an RSASSA-PSS (rsa-pss) key for RS256', () => {
    const pss = unrestrictedPSS
    assertBadConfig(
      () => importVerifyKey(pss.publicKey, 'RS256', 'publicKey'),
      'publicKey',
      /RS256 needs an RSA key, got rsa-pss/,
    )
  })

  it('accepts an unrestricted rsa-pss key for PS256 and it verifies', () => {
    const pss = unrestrictedPSS
    assertVerifies(importVerifyKey(pss.publicKey, 'PS256', 'publicKey'), 'PS256', pss.privateKey)
  })

  it("accepts an rsa-pss key restricted to exactly PS256's parameters", () => {
    const pss = pssKeyPair({ hashAlgorithm: 'sha256', mgf1HashAlgorithm: 'sha256', saltLength: 32 })
    assertVerifies(importVerifyKey(pss.publicKey, 'PS256', 'publicKey'), 'PS256', pss.privateKey)
    assert.equal(importSignKey(pss.privateKey, 'PS256', 'privateKey').type, 'private')
  })

  // OpenSSL enforces an rsa-pss key's restrictions on every call by throwing: without a check at
  // import, each token would end in a raw crypto error (a 500), not a 401.
  const RESTRICTED: ReadonlyArray<[string, Algorithm, PSSRestrictions]> = [
    [
      'hash SHA-512',
      'PS256',
      { hashAlgorithm: 'sha512', mgf1HashAlgorithm: 'sha512', saltLength: 64 },
    ],
    [
      'hash SHA-256',
      'PS384',
      { hashAlgorithm: 'sha256', mgf1HashAlgorithm: 'sha256', saltLength: 32 },
    ],
    [
      'MGF1 with SHA-512',
      'PS256',
      { hashAlgorithm: 'sha256', mgf1HashAlgorithm: 'sha512', saltLength: 32 },
    ],
    [
      'a 64-byte minimum salt',
      'PS256',
      { hashAlgorithm: 'sha256', mgf1HashAlgorithm: 'sha256', saltLength: 64 },
    ],
  ]
  for (const [name, alg, parameters] of RESTRICTED) {
    it(`refuses an rsa-pss key restricted to ${name} for ${alg}, to verify and to sign`, () => {
      const pss = pssKeyPair(parameters)
      assertBadConfig(
        () => importVerifyKey(pss.publicKey, alg, 'publicKey'),
        'publicKey',
        /RSASSA-PSS key is restricted/,
      )
      assertBadConfig(
        () => importVerifyKey(pem(pss.publicKey, 'spki'), alg, 'publicKey'),
        'publicKey',
        /restricted/,
      )
      assertBadConfig(
        () => importSignKey(pss.privateKey, alg, 'privateKey'),
        'privateKey',
        /restricted/,
      )
    })
  }

  it('refuses an RSA or EC JWK whose "use", "key_ops" or "alg" says otherwise', () => {
    const jwk = jwkOf(rsa.publicKey)
    assert.equal(
      importVerifyKey(
        { ...jwk, use: 'sig', alg: 'RS256', key_ops: ['verify'] },
        'RS256',
        'publicKey',
      ).type,
      'public',
    )
    assertBadConfig(
      () => importVerifyKey({ ...jwk, use: 'enc' }, 'RS256', 'publicKey'),
      'publicKey',
      /"use" is "enc"/,
    )
    assertBadConfig(
      () => importVerifyKey({ ...jwk, key_ops: ['encrypt'] }, 'RS256', 'publicKey'),
      'publicKey',
      /"key_ops"/,
    )
    assertBadConfig(
      () => importVerifyKey({ ...jwk, key_ops: 'verify' }, 'RS256', 'publicKey'),
      'publicKey',
      /"key_ops"/,
    )
    assertBadConfig(
      () => importVerifyKey({ ...jwk, alg: 'RS512' }, 'RS256', 'publicKey'),
      'publicKey',
      /"alg" is "RS512", not RS256/,
    )
    assertBadConfig(
      () => importVerifyKey({ ...jwk, alg: 'RSA-OAEP' }, 'RS256', 'publicKey'),
      'publicKey',
      /"alg"/,
    )
    const ec = jwkOf(p256.publicKey)
    assertBadConfig(
      () => importVerifyKey({ ...ec, alg: 'ES384' }, 'ES256', 'publicKey'),
      'publicKey',
      /"alg"/,
    )
    assertBadConfig(
      () => importVerifyKey({ ...ec, use: 'enc' }, 'ES256', 'publicKey'),
      'publicKey',
      /"use"/,
    )
    const privateJwk = jwkOf(p256.privateKey)
    assert.equal(
      importSignKey({ ...privateJwk, key_ops: ['sign'] }, 'ES256', 'privateKey').type,
      'private',
    )
    assertBadConfig(
      () => importSignKey({ ...privateJwk, key_ops: ['verify'] }, 'ES256', 'privateKey'),
      'privateKey',
      /"key_ops".*"sign"/,
    )
    assertBadConfig(
      () => importSignKey({ ...privateJwk, alg: 'ES512' }, 'ES256', 'privateKey'),
      'privateKey',
      /"alg"/,
    )
  })
})

describe('private key where a public key belongs', () => {
  const privateInputs: ReadonlyArray<[string, Algorithm, KeyInput]> = [
    ['a PKCS#8 PEM (RSA)', 'RS256', pem(rsa.privateKey, 'pkcs8')],
    ['a PKCS#1 PEM (BEGIN RSA PRIVATE KEY)', 'RS256', pem(rsa.privateKey, 'pkcs1')],
    ['a SEC1 PEM (BEGIN EC PRIVATE KEY)', 'ES256', pem(p256.privateKey, 'sec1')],
    ['a PKCS#8 PEM (Ed25519)', 'EdDSA', pem(ed25519.privateKey, 'pkcs8')],
    [
      'an encrypted PKCS#8 PEM',
      'RS256',
      rsa.privateKey.export({
        type: 'pkcs8',
        format: 'pem',
        cipher: 'aes-256-cbc',
        passphrase: 'pw',
      }),
    ],
    ['a PKCS#8 PEM as a Buffer', 'ES256', Buffer.from(pem(p256.privateKey, 'pkcs8'))],
    ['a JWK with "d" (RSA)', 'RS256', jwkOf(rsa.privateKey)],
    ['a JWK with "d" (EC)', 'ES256', jwkOf(p256.privateKey)],
    ['a JWK with "d" (OKP)', 'EdDSA', jwkOf(ed25519.privateKey)],
    ['a private KeyObject (RSA)', 'PS256', rsa.privateKey],
    ['a private KeyObject (EC)', 'ES384', p384.privateKey],
    ['a private KeyObject (Ed25519)', 'EdDSA', ed25519.privateKey],
  ]
  for (const [name, alg, input] of privateInputs) {
    it(`refuses ${name} for ${alg} verification`, () => {
      assertBadConfig(
        () => importVerifyKey(input, alg, 'publicKey'),
        'publicKey',
        /a private key was given where a public key belongs/,
        [
          'PRIVATE KEY-----',
          typeof input === 'object' && 'd' in input ? String(input.d) : '\u0000',
        ],
      )
    })
  }

  it('refuses a private CryptoKey for verification', async () => {
    const pair = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'sign',
      'verify',
    ])
    assertBadConfig(
      () => importVerifyKey(pair.privateKey, 'ES256', 'publicKey'),
      'publicKey',
      /private key was given/,
    )
  })

  it('refuses a secret KeyObject for RS256, to verify and to sign', () => {
    const secret = createSecretKey(randomBytes(64))
    assertBadConfig(
      () => importVerifyKey(secret, 'RS256', 'publicKey'),
      'publicKey',
      /RS256 needs a public key, got a secret key/,
    )
    assertBadConfig(
      () => importSignKey(secret, 'RS256', 'privateKey'),
      'privateKey',
      /RS256 signing needs a private key, got a secret key/,
    )
    assertBadConfig(
      () => importVerifyKey(secret, 'EdDSA', 'publicKey'),
      'publicKey',
      /EdDSA needs a public key, got a secret key/,
    )
  })

  it('refuses public keys for signing', () => {
    assertBadConfig(
      () => importSignKey(rsa.publicKey, 'RS256', 'privateKey'),
      'privateKey',
      /RS256 signing needs a private key, got a public key/,
    )
    assertBadConfig(
      () => importSignKey(pem(rsa.publicKey, 'spki'), 'RS256', 'privateKey'),
      'privateKey',
      /not a usable private key for RS256/,
    )
    assertBadConfig(
      () => importSignKey(jwkOf(p256.publicKey), 'ES256', 'privateKey'),
      'privateKey',
      /not a usable private key for ES256/,
    )
  })

  it('refuses a passphrase-protected private key for signing without echoing it', () => {
    const encrypted = rsa.privateKey.export({
      type: 'pkcs8',
      format: 'pem',
      cipher: 'aes-256-cbc',
      passphrase: 'hunter2',
    }) as string
    assertBadConfig(
      () => importSignKey(encrypted, 'RS256', 'privateKey'),
      'privateKey',
      /not a usable private key/,
      ['hunter2', encrypted.slice(40, 80)],
    )
  })
})

describe('accepted key formats', () => {
  it('imports SPKI PEM, PKCS#1 PEM, PEM bytes, JWK and KeyObject to the same RSA key', () => {
    const inputs: KeyInput[] = [
      pem(rsa.publicKey, 'spki'),
      `\n${pem(rsa.publicKey, 'spki')}`,
      pem(rsa.publicKey, 'pkcs1'),
      Buffer.from(pem(rsa.publicKey, 'spki')),
      new Uint8Array(Buffer.from(pem(rsa.publicKey, 'pkcs1'))),
      jwkOf(rsa.publicKey),
      rsa.publicKey,
    ]
    for (const input of inputs) {
      for (const alg of ['RS256', 'PS512'] as const) {
        const key = importVerifyKey(input, alg, 'publicKey')
        assert.ok(key.equals(rsa.publicKey))
      }
    }
    assertVerifies(
      importVerifyKey(pem(rsa.publicKey, 'pkcs1'), 'RS256', 'publicKey'),
      'RS256',
      rsa.privateKey,
    )
  })

  it('imports EC and Ed25519 public keys as PEM, JWK and KeyObject', () => {
    const cases: ReadonlyArray<[Algorithm, { publicKey: KeyObject; privateKey: KeyObject }]> = [
      ['ES256', p256],
      ['ES384', p384],
      ['ES512', p521],
      ['EdDSA', ed25519],
    ]
    for (const [alg, pair] of cases) {
      for (const input of [pem(pair.publicKey, 'spki'), jwkOf(pair.publicKey), pair.publicKey]) {
        const key = importVerifyKey(input, alg, 'publicKey')
        assert.ok(key.equals(pair.publicKey))
        assertVerifies(key, alg, pair.privateKey)
      }
    }
  })

  it('imports private keys as PKCS#8, PKCS#1 and SEC1 PEM, JWK and KeyObject', () => {
    const cases: ReadonlyArray<[Algorithm, KeyInput, KeyObject]> = [
      ['RS256', pem(rsa.privateKey, 'pkcs8'), rsa.privateKey],
      ['RS256', pem(rsa.privateKey, 'pkcs1'), rsa.privateKey],
      ['PS256', Buffer.from(pem(rsa.privateKey, 'pkcs8')), rsa.privateKey],
      ['ES256', pem(p256.privateKey, 'sec1'), p256.privateKey],
      ['ES512', jwkOf(p521.privateKey), p521.privateKey],
      ['EdDSA', pem(ed25519.privateKey, 'pkcs8'), ed25519.privateKey],
      ['EdDSA', ed25519.privateKey, ed25519.privateKey],
    ]
    for (const [alg, input, expected] of cases) {
      assert.ok(importSignKey(input, alg, 'privateKey').equals(expected))
    }
  })

  it('refuses input that is no key at all, naming the accepted formats', () => {
    const garbage: KeyInput[] = [
      'not a key',
      '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n',
      randomBytes(64),
      { kty: 'RSA' },
      { kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'AAAA' },
      {} as unknown as KeyInput,
      42 as unknown as KeyInput,
    ]
    for (const input of garbage) {
      assertBadConfig(
        () => importVerifyKey(input, 'ES256', 'publicKey'),
        'publicKey',
        /not a usable public key for ES256 \(expected PEM SPKI\/PKCS#1\/certificate, JWK, KeyObject or CryptoKey\)/,
      )
      assertBadConfig(
        () => importSignKey(input, 'ES256', 'privateKey'),
        'privateKey',
        /not a usable private key for ES256/,
      )
    }
  })

  describe('X.509 certificates', () => {
    const openssl = (() => {
      try {
        execFileSync('openssl', ['version'], { stdio: 'ignore' })
        return true
      } catch {
        return false
      }
    })()
    const dir = mkdtempSync(join(tmpdir(), 'authx-keys-'))
    after(() => rmSync(dir, { recursive: true, force: true }))

    /** A self-signed certificate for `privateKey`, made by the openssl CLI at test time. */
    function certificateFor(privateKey: KeyObject, name: string): string {
      const keyPath = join(dir, `${name}.key`)
      const certPath = join(dir, `${name}.crt`)
      writeFileSync(keyPath, pem(privateKey, 'pkcs8'), { mode: 0o600 })
      execFileSync(
        'openssl',
        [
          'req',
          '-new',
          '-x509',
          '-key',
          keyPath,
          '-out',
          certPath,
          '-days',
          '1',
          '-subj',
          '/CN=authx-ts test',
        ],
        { stdio: 'ignore' },
      )
      return readFileSync(certPath, 'utf8')
    }

    const skip = openssl ? false : 'the openssl CLI is not installed'
    it('imports an RSA certificate PEM as its public key, and it verifies', { skip }, () => {
      const certificate = certificateFor(rsa.privateKey, 'rsa')
      assert.match(certificate, /BEGIN CERTIFICATE/)
      const key = importVerifyKey(certificate, 'RS256', 'publicKey')
      assert.ok(key.equals(rsa.publicKey))
      assertVerifies(key, 'RS256', rsa.privateKey)
      assert.ok(
        importVerifyKey(Buffer.from(certificate), 'PS256', 'publicKey').equals(rsa.publicKey),
      )
    })

    it(
      'imports an EC certificate PEM for ES256 and refuses it for ES384 and RS256',
      { skip },
      () => {
        const certificate = certificateFor(p256.privateKey, 'ec')
        assert.ok(importVerifyKey(certificate, 'ES256', 'publicKey').equals(p256.publicKey))
        assertBadConfig(
          () => importVerifyKey(certificate, 'ES384', 'publicKey'),
          'publicKey',
          /curve secp384r1/,
        )
        assertBadConfig(
          () => importVerifyKey(certificate, 'RS256', 'publicKey'),
          'publicKey',
          /needs an RSA key/,
        )
      },
    )

    it('refuses a certificate PEM as an HMAC secret', { skip }, () => {
      const certificate = certificateFor(rsa.privateKey, 'rsa-hmac')
      assertBadConfig(
        () => importVerifyKey(certificate, 'HS256', 'secretKey'),
        'secretKey',
        /PEM key cannot be an HS256 secret/,
      )
    })

    it('refuses a certificate as DER, as its armourless base64 body and as hex', { skip }, () => {
      const certificate = certificateFor(p256.privateKey, 'ec-hmac')
      const body = certificate.split('\n').slice(1, -2).join('\n')
      const der = Buffer.from(body, 'base64')
      for (const input of [der, body, body.replaceAll('\n', ''), der.toString('hex')]) {
        assertBadConfig(
          () => importVerifyKey(input, 'HS256', 'secretKey'),
          'secretKey',
          /is an encoded key or certificate/,
        )
      }
    })
  })
})

describe('WebCrypto CryptoKey import', () => {
  // RSA key generation is slow, so RSA CryptoKeys wrap the pair generated above; the EC, Ed25519
  // and HMAC ones come from subtle.generateKey.
  const spki = rsa.publicKey.export({ type: 'spki', format: 'der' })
  const pkcs8 = rsa.privateKey.export({ type: 'pkcs8', format: 'der' })
  async function rsaCryptoKeys(
    algorithm: webcrypto.RsaHashedImportParams,
    usages: { public: webcrypto.KeyUsage[]; private: webcrypto.KeyUsage[] } = {
      public: ['verify'],
      private: ['sign'],
    },
  ): Promise<{ publicKey: webcrypto.CryptoKey; privateKey: webcrypto.CryptoKey }> {
    return {
      publicKey: await subtle.importKey('spki', spki, algorithm, true, usages.public),
      privateKey: await subtle.importKey('pkcs8', pkcs8, algorithm, true, usages.private),
    }
  }

  it('imports ECDSA P-256 keys for ES256, public to verify and private to sign', async () => {
    const pair = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
      'sign',
      'verify',
    ])
    const publicKey = importVerifyKey(pair.publicKey, 'ES256', 'publicKey')
    const privateKey = importSignKey(pair.privateKey, 'ES256', 'privateKey')
    assertVerifies(publicKey, 'ES256', privateKey)
    assertBadConfig(
      () => importVerifyKey(pair.publicKey, 'ES384', 'publicKey'),
      'publicKey',
      /curve secp384r1/,
    )
    assertBadConfig(
      () => importSignKey(pair.publicKey, 'ES256', 'privateKey'),
      'privateKey',
      /signing needs a private key, got a public key/,
    )
  })

  it('imports RSASSA-PKCS1-v1_5 / SHA-256 for RS256 and RSA-PSS / SHA-256 for PS256', async () => {
    const pkcs1 = await rsaCryptoKeys({ name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' })
    assertVerifies(
      importVerifyKey(pkcs1.publicKey, 'RS256', 'publicKey'),
      'RS256',
      importSignKey(pkcs1.privateKey, 'RS256', 'privateKey'),
    )
    const pss = await rsaCryptoKeys({ name: 'RSA-PSS', hash: 'SHA-256' })
    assertVerifies(
      importVerifyKey(pss.publicKey, 'PS256', 'publicKey'),
      'PS256',
      importSignKey(pss.privateKey, 'PS256', 'privateKey'),
    )
  })

  it('imports Ed25519 keys for EdDSA', async () => {
    const pair = (await subtle.generateKey({ name: 'Ed25519' }, true, [
      'sign',
      'verify',
    ])) as webcrypto.CryptoKeyPair
    assertVerifies(
      importVerifyKey(pair.publicKey, 'EdDSA', 'publicKey'),
      'EdDSA',
      importSignKey(pair.privateKey, 'EdDSA', 'privateKey'),
    )
  })

  it('imports HMAC keys and checks their length', async () => {
    const long = await subtle.generateKey({ name: 'HMAC', hash: 'SHA-256', length: 256 }, true, [
      'sign',
      'verify',
    ])
    assert.equal(importVerifyKey(long, 'HS256', 'secretKey').symmetricKeySize, 32)
    const short = await subtle.generateKey({ name: 'HMAC', hash: 'SHA-256', length: 128 }, true, [
      'sign',
      'verify',
    ])
    assertBadConfig(
      () => importVerifyKey(short, 'HS256', 'secretKey'),
      'secretKey',
      /at least 32 bytes.*got 16/,
    )
  })

  // KeyObject.from drops a CryptoKey's algorithm and usages; without a check, a key made for
  // encryption or for another hash would verify tokens (RFC 8725 section 3.1: one key, one alg).
  const MISMATCHED: ReadonlyArray<[string, Algorithm, () => Promise<webcrypto.CryptoKey>]> = [
    [
      'an RSA-OAEP (encryption) key',
      'RS256',
      async () =>
        (
          await rsaCryptoKeys(
            { name: 'RSA-OAEP', hash: 'SHA-256' },
            { public: ['encrypt'], private: ['decrypt'] },
          )
        ).publicKey,
    ],
    [
      'an RSASSA-PKCS1-v1_5 / SHA-512 key',
      'RS256',
      async () => (await rsaCryptoKeys({ name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-512' })).publicKey,
    ],
    [
      'an RSASSA-PKCS1-v1_5 key',
      'PS256',
      async () => (await rsaCryptoKeys({ name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' })).publicKey,
    ],
    [
      'an RSA-PSS / SHA-256 key',
      'PS512',
      async () => (await rsaCryptoKeys({ name: 'RSA-PSS', hash: 'SHA-256' })).publicKey,
    ],
    [
      'an RSA-PSS / SHA-256 private key, to sign',
      'RS256',
      async () => (await rsaCryptoKeys({ name: 'RSA-PSS', hash: 'SHA-256' })).privateKey,
    ],
    [
      'an ECDH key',
      'ES256',
      async () =>
        (await subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, ['deriveBits']))
          .publicKey,
    ],
    [
      'an AES-GCM key',
      'HS256',
      () => subtle.generateKey({ name: 'AES-GCM', length: 256 }, true, ['encrypt', 'decrypt']),
    ],
    [
      'an HMAC / SHA-256 key',
      'HS512',
      () =>
        subtle.generateKey({ name: 'HMAC', hash: 'SHA-256', length: 512 }, true, [
          'sign',
          'verify',
        ]),
    ],
  ]
  for (const [name, alg, make] of MISMATCHED) {
    it(`refuses ${name} for ${alg}`, async () => {
      const key = await make()
      const signing = key.type === 'private'
      const option = alg.startsWith('HS') ? 'secretKey' : signing ? 'privateKey' : 'publicKey'
      const importKey = signing ? importSignKey : importVerifyKey
      assertBadConfig(
        () => importKey(key, alg, option),
        option,
        new RegExp(`CryptoKey is for .*, not ${alg}`),
      )
    })
  }

  it('refuses CryptoKeys whose usages exclude the operation', async () => {
    const verifyOnly = await subtle.importKey(
      'raw',
      randomBytes(32),
      { name: 'HMAC', hash: 'SHA-256' },
      true,
      ['verify'],
    )
    assert.equal(importVerifyKey(verifyOnly, 'HS256', 'secretKey').type, 'secret')
    assertBadConfig(
      () => importSignKey(verifyOnly, 'HS256', 'secretKey'),
      'secretKey',
      /usages do not include "sign"/,
    )
    const signOnly = await subtle.importKey(
      'raw',
      randomBytes(32),
      { name: 'HMAC', hash: 'SHA-256' },
      true,
      ['sign'],
    )
    assertBadConfig(
      () => importVerifyKey(signOnly, 'HS256', 'secretKey'),
      'secretKey',
      /usages do not include "verify"/,
    )
  })
})

describe('algorithm table and binding', () => {
  it('isAlgorithm knows exactly the 13 algorithms', () => {
    for (const alg of ALGORITHMS) assert.ok(isAlgorithm(alg))
    assert.equal(ALGORITHMS.length, 13)
    for (const value of [
      'none',
      'NONE',
      'hs256',
      'Ed25519',
      'ES256K',
      '__proto__',
      'constructor',
      'toString',
      '',
      1,
      null,
      undefined,
      ['HS256'],
    ]) {
      assert.equal(isAlgorithm(value), false, String(value))
    }
  })

  it('the table matches RFC 7518 (hash, minimum HMAC size, ECDSA curve and R||S size)', () => {
    assert.deepEqual(
      ALGORITHMS.map((alg) => [
        alg,
        ALGORITHM_SPECS[alg].hash,
        ALGORITHM_SPECS[alg].signatureBytes ?? null,
      ]),
      [
        ['HS256', 'sha256', null],
        ['HS384', 'sha384', null],
        ['HS512', 'sha512', null],
        ['RS256', 'sha256', null],
        ['RS384', 'sha384', null],
        ['RS512', 'sha512', null],
        ['PS256', 'sha256', null],
        ['PS384', 'sha384', null],
        ['PS512', 'sha512', null],
        ['ES256', 'sha256', 64],
        ['ES384', 'sha384', 96],
        ['ES512', 'sha512', 132],
        ['EdDSA', null, null],
      ],
    )
  })

  it('bindKey freezes one key to one algorithm and kid', () => {
    const key = importVerifyKey(p256.publicKey, 'ES256', 'publicKey')
    const bound = bindKey(key, 'ES256', 'k1')
    assert.ok(Object.isFrozen(bound))
    assert.deepEqual(
      { ...bound },
      { alg: 'ES256', spec: ALGORITHM_SPECS.ES256, key, kid: 'k1', issuer: undefined },
    )
    assert.throws(() => {
      ;(bound as { alg: string }).alg = 'HS256'
    }, TypeError)
  })

  it('a secret imported from a CryptoKey equals the same bytes imported directly', async () => {
    const raw = randomBytes(48)
    const cryptoKey = await subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-384' }, true, [
      'sign',
      'verify',
    ])
    assert.ok(importVerifyKey(cryptoKey, 'HS384', 'secretKey').equals(createSecretKey(raw)))
    assert.ok(KeyObject.from(cryptoKey).equals(importVerifyKey(raw, 'HS384', 'secretKey')))
    assert.ok(
      createPublicKey(rsa.privateKey).equals(
        importVerifyKey(createPublicKey(pem(rsa.privateKey, 'pkcs8')), 'RS256', 'publicKey'),
      ),
    )
    assert.ok(
      createPrivateKey(pem(p256.privateKey, 'sec1')).equals(
        importSignKey(p256.privateKey, 'ES256', 'privateKey'),
      ),
    )
  })
})
