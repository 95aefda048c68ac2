/**
 * `jose` as an independent oracle: for every algorithm, tokens we sign verify with
 * `jose.jwtVerify`, tokens `jose` signs verify with ours, and a token signed by another key of the
 * same kind is refused. Keys are passed in every accepted form: PEM, JWK, KeyObject, CryptoKey.
 */
import assert from 'node:assert/strict'
import { createSecretKey, KeyObject, randomBytes, webcrypto } from 'node:crypto'
import { generateKeyPairSync } from './helpers/keypair.ts'
import { describe, test } from 'node:test'
import * as jose from 'jose'
import { AuthX } from '../src/authx.ts'
import { TokenInvalidSignatureError } from '../src/errors.ts'
import type { Algorithm, KeyInput } from '../src/token/keys.ts'

const NOW = 1_700_000_000

interface Pair {
  privateKey: KeyObject
  publicKey: KeyObject
}

/** Two key pairs per kind: the one in use and "another key of the same kind". */
const rsa: [Pair, Pair] = [
  generateKeyPairSync('rsa', { modulusLength: 2048 }),
  generateKeyPairSync('rsa', { modulusLength: 2048 }),
]
const ec = (namedCurve: string): [Pair, Pair] => [
  generateKeyPairSync('ec', { namedCurve }),
  generateKeyPairSync('ec', { namedCurve }),
]
const ASYMMETRIC: Record<Exclude<Algorithm, 'HS256' | 'HS384' | 'HS512'>, [Pair, Pair]> = {
  RS256: rsa,
  RS384: rsa,
  RS512: rsa,
  PS256: rsa,
  PS384: rsa,
  PS512: rsa,
  ES256: ec('P-256'),
  ES384: ec('P-384'),
  ES512: ec('P-521'),
  EdDSA: [generateKeyPairSync('ed25519'), generateKeyPairSync('ed25519')],
}
const HMAC = { HS256: 32, HS384: 48, HS512: 64 } as const

/** WebCrypto import parameters per algorithm. */
function webCryptoAlgorithm(
  alg: Algorithm,
): AlgorithmIdentifier | RsaHashedImportParams | EcKeyImportParams | HmacImportParams {
  const hash = `SHA-${alg.slice(2)}`
  switch (alg.slice(0, 2)) {
    case 'HS':
      return { name: 'HMAC', hash }
    case 'RS':
      return { name: 'RSASSA-PKCS1-v1_5', hash }
    case 'PS':
      return { name: 'RSA-PSS', hash }
    case 'ES':
      return {
        name: 'ECDSA',
        namedCurve: `P-${alg === 'ES512' ? 521 : alg.slice(2)}`,
      }
    default:
      return { name: 'Ed25519' }
  }
}

type Format = 'PEM' | 'JWK' | 'KeyObject' | 'CryptoKey'
const FORMATS: Format[] = ['PEM', 'JWK', 'KeyObject', 'CryptoKey']

async function asFormat(key: KeyObject, alg: Algorithm, format: Format): Promise<KeyInput> {
  switch (format) {
    case 'PEM':
      return key
        .export(
          key.type === 'private'
            ? { type: 'pkcs8', format: 'pem' }
            : { type: 'spki', format: 'pem' },
        )
        .toString()
    case 'JWK':
      return key.export({ format: 'jwk' }) as KeyInput
    case 'KeyObject':
      return key
    case 'CryptoKey':
      return webcrypto.subtle.importKey(
        'jwk',
        key.export({ format: 'jwk' }),
        webCryptoAlgorithm(alg),
        false,
        [key.type === 'private' ? 'sign' : 'verify'],
      )
  }
}

/** The claims of an access token as we create them. */
function ourClaims(sub: string): jose.JWTPayload {
  return {
    sub,
    jti: crypto.randomUUID(),
    type: 'access',
    fresh: false,
    csrf: '',
    iat: NOW,
    nbf: NOW,
    exp: NOW + 900,
    role: 'admin',
    scopes: ['read'],
  }
}

async function joseSign(claims: jose.JWTPayload, alg: Algorithm, key: KeyObject | Uint8Array) {
  return new jose.SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT' }).sign(key)
}

/** jose checks exp against the real clock; our tokens live at NOW, so give it that date. */
const JOSE_OPTIONS = { currentDate: new Date(NOW * 1000) }

for (const [alg, [current, other]] of Object.entries(ASYMMETRIC) as [Algorithm, [Pair, Pair]][]) {
  void describe(`oracle ${alg}`, () => {
    for (const format of FORMATS) {
      void test(`${format} keys: our tokens verify with jose, jose's with ours`, async () => {
        const signer = new AuthX({
          algorithm: alg,
          privateKey: await asFormat(current.privateKey, alg, format),
          clock: () => NOW,
        })
        const verifier = new AuthX({
          algorithm: alg,
          publicKey: await asFormat(current.publicKey, alg, format),
          clock: () => NOW,
        })

        const ours = signer.createAccessToken('alice', {
          data: { role: 'admin' },
          scopes: ['read'],
        })
        const verified = await jose.jwtVerify(ours, current.publicKey, {
          algorithms: [alg],
          ...JOSE_OPTIONS,
        })
        assert.equal(verified.protectedHeader.alg, alg)
        assert.deepEqual(verified.payload, verifier.verifyTokenSync(ours).toJSON())

        const claims = ourClaims('bob')
        const theirs = await joseSign(claims, alg, current.privateKey)
        const payload = verifier.verifyTokenSync(theirs)
        assert.deepEqual(payload.toJSON(), claims)
        assert.equal(payload.sub, 'bob')
        assert.equal(payload.extra.role, 'admin')
        // The signer derives its public key and verifies jose's tokens too.
        assert.equal(signer.verifyTokenSync(theirs).sub, 'bob')
      })
    }

    void test('a token signed by another key of the same kind is refused', async () => {
      const verifier = new AuthX({ algorithm: alg, publicKey: current.publicKey, clock: () => NOW })
      const forged = await joseSign(ourClaims('mallory'), alg, other.privateKey)
      assert.throws(() => verifier.verifyTokenSync(forged), TokenInvalidSignatureError)
      const ours = new AuthX({ algorithm: alg, privateKey: other.privateKey, clock: () => NOW })
      const token = ours.createAccessToken('mallory')
      assert.throws(() => verifier.verifyTokenSync(token), TokenInvalidSignatureError)
      await assert.rejects(
        jose.jwtVerify(token, current.publicKey, JOSE_OPTIONS),
        jose.errors.JWSSignatureVerificationFailed,
      )
    })
  })
}

for (const [alg, bytes] of Object.entries(HMAC) as [Algorithm, number][]) {
  void describe(`oracle ${alg}`, () => {
    const secret = randomBytes(bytes)
    const inputs: [string, () => Promise<KeyInput>][] = [
      ['string', () => Promise.resolve(secret.toString('hex'))],
      ['Buffer', () => Promise.resolve(secret)],
      ['JWK', () => Promise.resolve({ kty: 'oct', k: secret.toString('base64url') })],
      ['KeyObject', () => Promise.resolve(createSecretKey(secret))],
      [
        'CryptoKey',
        () =>
          webcrypto.subtle.importKey('raw', secret, webCryptoAlgorithm(alg), false, [
            'sign',
            'verify',
          ]),
      ],
    ]
    for (const [format, input] of inputs) {
      void test(`${format} secret: our tokens verify with jose, jose's with ours`, async () => {
        const key = await input()
        // The bytes jose must use: a string secret is its UTF-8 encoding.
        const raw = typeof key === 'string' ? Buffer.from(key, 'utf8') : secret
        const auth = new AuthX({ algorithm: alg, secretKey: key, clock: () => NOW })
        const ours = auth.createAccessToken('alice', { data: { role: 'admin' }, scopes: ['read'] })
        const verified = await jose.jwtVerify(ours, raw, { algorithms: [alg], ...JOSE_OPTIONS })
        assert.deepEqual(verified.payload, auth.verifyTokenSync(ours).toJSON())
        const claims = ourClaims('bob')
        const theirs = await joseSign(claims, alg, raw)
        assert.deepEqual(auth.verifyTokenSync(theirs).toJSON(), claims)
      })
    }

    void test('a token signed by another secret is refused', async () => {
      const auth = new AuthX({ algorithm: alg, secretKey: secret, clock: () => NOW })
      const forged = await joseSign(ourClaims('mallory'), alg, randomBytes(bytes))
      assert.throws(() => auth.verifyTokenSync(forged), TokenInvalidSignatureError)
    })
  })
}

void test('jose and we agree that no algorithm is interchangeable with another', async () => {
  // A token jose signs with RS256 is refused by a PS256 verifier holding the same RSA key: the
  // key is bound to PS256, so the header alg cannot switch it.
  const [pair] = rsa
  const verifier = new AuthX({ algorithm: 'PS256', publicKey: pair.publicKey, clock: () => NOW })
  const token = await joseSign(ourClaims('x'), 'RS256', pair.privateKey)
  assert.throws(() => verifier.verifyTokenSync(token), { name: 'JWTDecodeError' })
  await assert.rejects(
    jose.jwtVerify(token, pair.publicKey, { algorithms: ['PS256'], ...JOSE_OPTIONS }),
    jose.errors.JOSEAlgNotAllowed,
  )
})
