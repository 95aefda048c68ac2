/**
 * The `keys` option (a JWK Set: every key with its kid, bound to its one algorithm; the signing key
 * chosen by `signingKeyId` or the first private key), the kid an asymmetric key given without one
 * is published under (its RFC 7638 thumbprint, checked against jose's), and the checks of the remote
 * options at construction: `jwksUri`/`issuers` with local keys, each issuer's settings,
 * `decodeIssuer` as a list, and `tokenProfile: 'rfc9068'` without an audience.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, test } from 'node:test'
import { calculateJwkThumbprint, createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import type { JSONWebKeySet, JWK } from 'jose'
import { AuthX } from '../../src/authx.ts'
import type { AuthXOptions } from '../../src/config/index.ts'
import {
  BadConfigurationError,
  JWTDecodeError,
  TokenInvalidIssuerError,
  TokenInvalidSignatureError,
} from '../../src/errors.ts'
import type { JWKInput } from '../../src/token/keys.ts'
import { generateKeyPairSync } from '../helpers/keypair.ts'
import { signedToken } from '../helpers/jwks-server.ts'
import type { TestKeyPair } from '../helpers/keypair.ts'

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
const rsaOther = generateKeyPairSync('rsa', { modulusLength: 2048 })
const p256 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' })
const p521 = generateKeyPairSync('ec', { namedCurve: 'secp521r1' })
const ed25519 = generateKeyPairSync('ed25519')

/** A private JWK of a key pair with its kid and, unless undefined, its alg. */
function privateJWK(pair: TestKeyPair, kid: string, alg?: string): JWKInput {
  const jwk = pair.privateKey.export({ format: 'jwk' }) as JWKInput
  return { ...jwk, kid, ...(alg === undefined ? {} : { alg }) }
}

/** The public JWK of a key pair with its kid and, unless undefined, its alg. */
function publicJWK(pair: TestKeyPair, kid: string, alg?: string): JWKInput {
  const jwk = pair.publicKey.export({ format: 'jwk' }) as JWKInput
  return { ...jwk, kid, ...(alg === undefined ? {} : { alg }) }
}

/** An HMAC JWK of `bytes` random bytes. */
function octJWK(kid: string, alg: string | undefined, bytes = 32): JWKInput {
  return {
    kty: 'oct',
    k: randomBytes(bytes).toString('base64url'),
    kid,
    ...(alg === undefined ? {} : { alg }),
  }
}

/** The protected header of a token. */
function headerOf(token: string): Record<string, unknown> {
  return decodeProtectedHeader(token)
}

/** Asserts construction fails with BadConfigurationError whose message starts with `option:`. */
function refused(options: AuthXOptions, option: string, hint?: RegExp): void {
  assert.throws(
    () => new AuthX(options),
    (error: unknown) => {
      assert.ok(
        error instanceof BadConfigurationError,
        `not a BadConfigurationError: ${String(error)}`,
      )
      assert.ok(error.message.startsWith(`${option}:`), `names ${option}: ${error.message}`)
      if (hint !== undefined) assert.match(error.message, hint)
      return true
    },
  )
}

void describe('the keys option: a JWK Set', () => {
  void test('the first private key signs by default, its kid and alg in the header', () => {
    const auth = new AuthX({
      keys: {
        keys: [
          publicJWK(p256, 'verify-only', 'ES256'),
          privateJWK(rsa, 'rsa-1', 'RS256'),
          privateJWK(ed25519, 'ed-1', 'EdDSA'),
        ],
      },
    })
    const token = auth.createAccessToken('alice')
    assert.deepEqual(headerOf(token), { alg: 'RS256', typ: 'JWT', kid: 'rsa-1' })
    assert.equal(auth.verifyTokenSync(token).sub, 'alice')
  })

  void test('signingKeyId chooses the signing key; the other keys still verify', () => {
    const keys = { keys: [privateJWK(rsa, 'rsa-1', 'RS256'), privateJWK(ed25519, 'ed-1', 'EdDSA')] }
    const byEd = new AuthX({ keys, signingKeyId: 'ed-1' })
    const byRsa = new AuthX({ keys })
    const token = byEd.createAccessToken('alice')
    assert.deepEqual(headerOf(token), { alg: 'EdDSA', typ: 'JWT', kid: 'ed-1' })
    assert.equal(byRsa.verifyTokenSync(token).sub, 'alice')
    assert.equal(byEd.verifyTokenSync(byRsa.createAccessToken('bob')).sub, 'bob')
  })

  void test('public-only keys verify and cannot sign', () => {
    const signer = new AuthX({ keys: { keys: [privateJWK(rsa, 'rsa-1', 'RS256')] } })
    const verifier = new AuthX({
      keys: { keys: [publicJWK(rsa, 'rsa-1', 'RS256'), publicJWK(p256, 'ec-1', 'ES256')] },
    })
    assert.equal(verifier.verifyTokenSync(signer.createAccessToken('alice')).sub, 'alice')
    assert.throws(() => verifier.createAccessToken('alice'), BadConfigurationError)
  })

  void test('a token naming one kid is verified by that key only', () => {
    const a = new AuthX({ keys: { keys: [privateJWK(rsa, 'a', 'RS256')] } })
    const impostor = new AuthX({ keys: { keys: [privateJWK(rsaOther, 'a', 'RS256')] } })
    const verifier = new AuthX({
      keys: { keys: [publicJWK(rsaOther, 'b', 'RS256'), publicJWK(rsa, 'a', 'RS256')] },
    })
    assert.equal(verifier.verifyTokenSync(a.createAccessToken('alice')).sub, 'alice')
    // rsaOther's token names kid "a", whose key is rsa: refused, though rsaOther is configured as "b".
    assert.throws(
      () => verifier.verifyTokenSync(impostor.createAccessToken('alice')),
      TokenInvalidSignatureError,
    )
  })

  const families: [string, () => JWKInput, (() => JWKInput) | null][] = [
    ['HS256', () => octJWK('k', 'HS256', 32), null],
    ['HS384', () => octJWK('k', 'HS384', 48), null],
    ['HS512', () => octJWK('k', 'HS512', 64), null],
    ['RS256', () => privateJWK(rsa, 'k', 'RS256'), () => publicJWK(rsa, 'k', 'RS256')],
    ['RS384', () => privateJWK(rsa, 'k', 'RS384'), () => publicJWK(rsa, 'k', 'RS384')],
    ['RS512', () => privateJWK(rsa, 'k', 'RS512'), () => publicJWK(rsa, 'k', 'RS512')],
    ['PS256', () => privateJWK(rsa, 'k', 'PS256'), () => publicJWK(rsa, 'k', 'PS256')],
    ['PS384', () => privateJWK(rsa, 'k', 'PS384'), () => publicJWK(rsa, 'k', 'PS384')],
    ['PS512', () => privateJWK(rsa, 'k', 'PS512'), () => publicJWK(rsa, 'k', 'PS512')],
    ['ES256', () => privateJWK(p256, 'k', 'ES256'), () => publicJWK(p256, 'k', 'ES256')],
    ['ES384', () => privateJWK(p384, 'k', 'ES384'), () => publicJWK(p384, 'k', 'ES384')],
    ['ES512', () => privateJWK(p521, 'k', 'ES512'), () => publicJWK(p521, 'k', 'ES512')],
    ['EdDSA', () => privateJWK(ed25519, 'k', 'EdDSA'), () => publicJWK(ed25519, 'k', 'EdDSA')],
  ]
  for (const [alg, signing, verifying] of families) {
    void test(`${alg}: a JWK signs with its alg; its public JWK verifies`, () => {
      const key = signing()
      const signer = new AuthX({ keys: { keys: [key] } })
      const token = signer.createAccessToken('alice')
      assert.deepEqual(headerOf(token), { alg, typ: 'JWT', kid: 'k' })
      assert.equal(signer.verifyTokenSync(token).sub, 'alice')
      if (verifying !== null) {
        const verifier = new AuthX({ keys: { keys: [verifying()] } })
        assert.equal(verifier.verifyTokenSync(token).sub, 'alice')
      }
    })
  }

  void test('each key is bound to its one algorithm: the header names a key, never how to use it', () => {
    const claims = {
      sub: 'alice',
      type: 'access',
      fresh: false,
      csrf: '',
      iat: 1,
      exp: 4_000_000_000,
    }
    const auth = new AuthX({
      keys: { keys: [publicJWK(rsa, 'r-rs', 'RS256'), publicJWK(rsa, 'r-ps', 'PS256')] },
    })
    assert.equal(
      auth.verifyTokenSync(signedToken(rsa.privateKey, 'RS256', 'r-rs', claims)).sub,
      'alice',
    )
    assert.equal(
      auth.verifyTokenSync(signedToken(rsa.privateKey, 'PS256', 'r-ps', claims)).sub,
      'alice',
    )
    // The same key material, named under the kid of its other binding: no key verifies it.
    assert.throws(
      () => auth.verifyTokenSync(signedToken(rsa.privateKey, 'PS256', 'r-rs', claims)),
      TokenInvalidSignatureError,
    )
    const rsOnly = new AuthX({ keys: { keys: [publicJWK(rsa, 'r', 'RS256')] } })
    assert.throws(
      () => rsOnly.verifyTokenSync(signedToken(rsa.privateKey, 'PS256', 'r', claims)),
      JWTDecodeError,
    )
  })

  void test('a JWK without alg takes the algorithm option; without either it is refused', () => {
    const auth = new AuthX({ keys: { keys: [privateJWK(p256, 'ec')] }, algorithm: 'ES256' })
    assert.equal(headerOf(auth.createAccessToken('alice')).alg, 'ES256')
    refused({ keys: { keys: [privateJWK(p256, 'ec')] } }, 'keys.keys[0]', /alg/)
    refused(
      { keys: { keys: [privateJWK(rsa, 'a', 'RS256'), octJWK('b', undefined)] } },
      'keys.keys[1]',
      /alg/,
    )
  })

  void test('duplicate kids, a missing kid and entries that are not JWKs are refused, naming the entry', () => {
    refused(
      { keys: { keys: [privateJWK(rsa, 'same', 'RS256'), publicJWK(p256, 'same', 'ES256')] } },
      'keys.keys[1]',
      /"same" appears twice/,
    )
    refused(
      {
        keys: {
          keys: [
            privateJWK(rsa, 'a', 'RS256'),
            { ...publicJWK(p256, 'x', 'ES256'), kid: undefined },
          ],
        },
      },
      'keys.keys[1]',
      /kid/,
    )
    refused({ keys: { keys: [{ ...octJWK('x', 'HS256'), kid: '' }] } }, 'keys.keys[0]', /kid/)
    refused({ keys: { keys: ['not a jwk'] } } as unknown as AuthXOptions, 'keys.keys[0]')
    refused({ keys: { keys: [] } }, 'keys')
    refused({ keys: [privateJWK(rsa, 'a', 'RS256')] } as unknown as AuthXOptions, 'keys')
  })

  void test('a JWK whose key does not fit its alg is refused, naming the entry', () => {
    refused({ keys: { keys: [privateJWK(p256, 'ec', 'ES384')] } }, 'keys.keys[0]')
    refused({ keys: { keys: [privateJWK(rsa, 'r', 'ES256')] } }, 'keys.keys[0]')
    refused({ keys: { keys: [octJWK('short', 'HS512', 32)] } }, 'keys.keys[0]', /64/)
    refused({ keys: { keys: [privateJWK(rsa, 'r', 'none')] } }, 'keys.keys[0].alg')
  })

  void test('keys cannot be mixed with the single-key options', () => {
    const keys = { keys: [privateJWK(rsa, 'a', 'RS256')] }
    refused({ keys, secretKey: 'k'.repeat(32) }, 'secretKey', /keys/)
    refused({ keys, privateKey: rsa.privateKey }, 'privateKey', /keys/)
    refused({ keys, publicKey: rsa.publicKey }, 'publicKey', /keys/)
    refused({ keys, keyId: 'a' }, 'keyId', /keys/)
    refused({ keys, previousPublicKey: rsaOther.publicKey }, 'previousPublicKey', /keys/)
  })

  void test('signingKeyId must name a private key of keys, and needs keys', () => {
    const keys = { keys: [privateJWK(rsa, 'a', 'RS256'), publicJWK(p256, 'pub', 'ES256')] }
    refused({ keys, signingKeyId: 'missing' }, 'signingKeyId', /no key of keys has kid "missing"/)
    refused({ keys, signingKeyId: 'pub' }, 'signingKeyId', /public/)
    refused({ secretKey: 'k'.repeat(32), signingKeyId: 'a' }, 'signingKeyId', /keyId/)
  })
})

void describe('published kids of keys configured without one (RFC 7638 thumbprints)', () => {
  const asymmetric: [string, TestKeyPair][] = [
    ['RS256', rsa],
    ['PS384', rsa],
    ['ES256', p256],
    ['ES384', p384],
    ['ES512', p521],
    ['EdDSA', ed25519],
  ]
  for (const [alg, pair] of asymmetric) {
    void test(`${alg}: a key configured without keyId is published under its thumbprint; its tokens name no kid`, async () => {
      const auth = new AuthX({
        algorithm: alg as AuthXOptions['algorithm'],
        privateKey: pair.privateKey,
      })
      const expected = await calculateJwkThumbprint(
        pair.publicKey.export({ format: 'jwk' }),
        'sha256',
      )
      assert.equal(auth.jwks().keys[0]?.kid, expected)
      const token = auth.createAccessToken('alice')
      assert.deepEqual(headerOf(token), { alg, typ: 'JWT' })
      // Verifiers find the key by trial: one with only the public key (which publishes the same
      // kid), and jose reading the published set.
      const verifier = new AuthX({
        algorithm: alg as AuthXOptions['algorithm'],
        publicKey: pair.publicKey,
      })
      assert.equal(verifier.verifyTokenSync(token).sub, 'alice')
      assert.equal(verifier.jwks().keys[0]?.kid, expected)
      const { payload } = await jwtVerify(
        token,
        createLocalJWKSet(JSON.parse(JSON.stringify(auth.jwks())) as JSONWebKeySet),
      )
      assert.equal(payload.sub, 'alice')
    })
  }

  void test('a configured keyId wins over the thumbprint', () => {
    const auth = new AuthX({ algorithm: 'ES256', privateKey: p256.privateKey, keyId: '2026-12' })
    assert.equal(headerOf(auth.createAccessToken('alice')).kid, '2026-12')
  })

  void test('the previous public key gets its own thumbprint', async () => {
    const old = new AuthX({ algorithm: 'RS256', privateKey: rsaOther.privateKey })
    const auth = new AuthX({
      algorithm: 'ES256',
      privateKey: p256.privateKey,
      previousAlgorithm: 'RS256',
      previousPublicKey: rsaOther.publicKey,
    })
    const kids = auth.jwks().keys.map((k) => k.kid)
    assert.deepEqual(kids, [
      await calculateJwkThumbprint(p256.publicKey.export({ format: 'jwk' }) as JWK, 'sha256'),
      await calculateJwkThumbprint(rsaOther.publicKey.export({ format: 'jwk' }) as JWK, 'sha256'),
    ])
    assert.equal(auth.verifyTokenSync(old.createAccessToken('alice')).sub, 'alice')
  })

  void test('an HMAC key never gets a kid of its own making, nor is published', () => {
    for (const algorithm of ['HS256', 'HS384', 'HS512'] as const) {
      const auth = new AuthX({ algorithm, secretKey: randomBytes(64) })
      assert.deepEqual(headerOf(auth.createAccessToken('alice')), { alg: algorithm, typ: 'JWT' })
    }
    const rotated = new AuthX({ secretKey: randomBytes(32), previousSecretKey: randomBytes(32) })
    assert.equal(headerOf(rotated.createAccessToken('alice')).kid, undefined)
    assert.throws(() => rotated.jwks(), BadConfigurationError)
  })
})

void describe('remote key options at construction', () => {
  const jwksUri = 'https://idp.example/.well-known/jwks.json'

  void test('jwksUri or issuers with local keys is refused, naming the local option', () => {
    refused({ jwksUri, secretKey: 'k'.repeat(32) }, 'secretKey', /remote keys only/)
    refused({ jwksUri, privateKey: rsa.privateKey }, 'privateKey', /remote keys only/)
    refused({ jwksUri, publicKey: rsa.publicKey }, 'publicKey', /remote keys only/)
    refused({ jwksUri, keys: { keys: [publicJWK(rsa, 'a', 'RS256')] } }, 'keys', /remote keys only/)
    refused({ jwksUri, keyId: 'a' }, 'keyId', /remote keys only/)
    const issuers = { 'https://idp.example': { jwksUri } }
    refused({ issuers, privateKey: rsa.privateKey }, 'privateKey', /remote keys only/)
    refused({ issuers, keys: { keys: [publicJWK(rsa, 'a', 'RS256')] } }, 'keys', /remote keys only/)
  })

  void test('jwksUri and issuers together are refused', () => {
    refused({ jwksUri, issuers: { 'https://idp.example': { jwksUri } } }, 'issuers', /not both/)
  })

  void test('a remote instance takes only asymmetric algorithms', () => {
    refused({ jwksUri, decodeAlgorithms: ['HS256'] }, 'decodeAlgorithms', /shared secret/)
    refused({ jwksUri, decodeAlgorithms: [] }, 'decodeAlgorithms')
    assert.doesNotThrow(() => new AuthX({ jwksUri, decodeAlgorithms: ['ES256', 'EdDSA'] }))
  })

  void test('each issuer needs exactly one of jwksUri and discovery', () => {
    const iss = 'https://idp.example'
    const name = `issuers[${JSON.stringify(iss)}]`
    refused({ issuers: { [iss]: {} } }, name, /either jwksUri or discovery/)
    refused({ issuers: { [iss]: { discovery: false } } }, name, /either jwksUri or discovery/)
    refused(
      { issuers: { [iss]: { jwksUri, discovery: true } } },
      name,
      /either jwksUri or discovery/,
    )
    assert.doesNotThrow(() => new AuthX({ issuers: { [iss]: { discovery: true } } }))
    assert.doesNotThrow(() => new AuthX({ issuers: { [iss]: { jwksUri } } }))
  })

  void test('bad issuer settings are refused, naming the issuer and the setting', () => {
    const iss = 'https://idp.example'
    const name = `issuers[${JSON.stringify(iss)}]`
    refused({ issuers: {} }, 'issuers', /at least one/)
    refused({ issuers: [] } as unknown as AuthXOptions, 'issuers')
    refused({ issuers: { [iss]: 'https://idp.example/jwks' } } as unknown as AuthXOptions, name)
    refused(
      { issuers: { [iss]: { jwksUri: 'http://idp.example/jwks' } } },
      `${name}.jwksUri`,
      /https/,
    )
    refused({ issuers: { [iss]: { jwksUri: 'jwks.json' } } }, `${name}.jwksUri`, /absolute URL/)
    // Discovery fetches from the issuer, so the issuer must be a URL we may fetch.
    refused({ issuers: { 'my-idp': { discovery: true } } }, 'issuers["my-idp"]', /absolute URL/)
    refused(
      { issuers: { 'http://idp.example': { discovery: true } } },
      'issuers["http://idp.example"]',
      /https/,
    )
    refused(
      { issuers: { [iss]: { jwksUri, algorithms: ['HS256'] } } },
      `${name}.algorithms`,
      /shared secret/,
    )
    refused({ issuers: { [iss]: { jwksUri, algorithms: [] } } }, `${name}.algorithms`)
    refused(
      {
        issuers: { [iss]: { jwksUri, algorithms: ['PS256'] } },
        decodeAlgorithms: ['RS256', 'ES256'],
      },
      `${name}.algorithms`,
      /PS256 is not in decodeAlgorithms/,
    )
    refused(
      { issuers: { [iss]: { jwksUri, audience: 42 } } } as unknown as AuthXOptions,
      `${name}.audience`,
    )
  })

  void test('decodeIssuer takes a list; with issuers it is their names and cannot be set', async () => {
    const secret = randomBytes(32)
    const signer = (iss: string | undefined): string =>
      new AuthX({
        secretKey: secret,
        ...(iss === undefined ? {} : { encodeIssuer: iss }),
      }).createAccessToken('alice')
    const auth = new AuthX({
      secretKey: secret,
      decodeIssuer: ['https://a.example', 'https://b.example'],
    })
    assert.equal(auth.verifyTokenSync(signer('https://a.example')).iss, 'https://a.example')
    assert.equal(auth.verifyTokenSync(signer('https://b.example')).iss, 'https://b.example')
    assert.throws(() => auth.verifyTokenSync(signer('https://c.example')), TokenInvalidIssuerError)
    // No iss at all, where one is required: a malformed token for this instance.
    assert.throws(() => auth.verifyTokenSync(signer(undefined)), JWTDecodeError)
    refused({ secretKey: secret, decodeIssuer: [] }, 'decodeIssuer')
    refused(
      { secretKey: secret, decodeIssuer: ['https://a.example', 7] } as unknown as AuthXOptions,
      'decodeIssuer',
    )
    refused(
      { issuers: { 'https://a.example': { jwksUri } }, decodeIssuer: 'https://a.example' },
      'decodeIssuer',
      /issuers already names/,
    )
  })

  void test("tokenProfile 'rfc9068' needs an audience: decodeAudience, or every issuer's own", () => {
    refused({ jwksUri, tokenProfile: 'rfc9068' }, 'tokenProfile', /audience/)
    refused(
      {
        issuers: {
          'https://a.example': { jwksUri, audience: 'api' },
          'https://b.example': { jwksUri },
        },
        tokenProfile: 'rfc9068',
      },
      'tokenProfile',
      /audience/,
    )
    assert.doesNotThrow(
      () => new AuthX({ jwksUri, tokenProfile: 'rfc9068', decodeAudience: 'api' }),
    )
    assert.doesNotThrow(
      () =>
        new AuthX({
          issuers: { 'https://a.example': { jwksUri, audience: 'api' } },
          tokenProfile: 'rfc9068',
        }),
    )
    refused({ jwksUri, tokenProfile: 'oauth' } as unknown as AuthXOptions, 'tokenProfile')
  })
})
