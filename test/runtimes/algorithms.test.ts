/**
 * Every signing algorithm, with its keys in each form the options take (PEM text, JWK, CryptoKey,
 * secret text and bytes), signs and verifies through the Fetch integration, and a token signed
 * by another key or with a changed signature is refused. The keys are generated with WebCrypto,
 * which every runtime has, so this file runs unchanged under Node (here) and, bundled with the
 * conformance suite, inside Bun, Deno and workerd, where the core's `node:crypto` calls are the
 * runtime's own implementation.
 */
import assert from 'node:assert/strict'
import { before, describe, test } from 'node:test'
import { withAuth } from '../../src/adapters/fetch.ts'
import { AuthX } from '../../src/index.ts'
import type { AuthXOptions, KeyInput } from '../../src/index.ts'

/**
 * workerd's `node:crypto` ignores the RSA-PSS padding option (it signs and verifies PKCS#1 v1.5),
 * so the key import refuses PS256/384/512 there; everywhere else they must work.
 */
const PSS_REFUSED = typeof navigator !== 'undefined' && navigator.userAgent === 'Cloudflare-Workers'

type Asymmetric =
  'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512' | 'EdDSA'

/** What WebCrypto generates for each algorithm; the RSA ones share one key pair. */
const GENERATE: Record<
  'rsa' | 'P-256' | 'P-384' | 'P-521' | 'ed25519',
  RsaHashedKeyGenParams | EcKeyGenParams | Algorithm
> = {
  rsa: {
    name: 'RSASSA-PKCS1-v1_5',
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: 'SHA-256',
  },
  'P-256': { name: 'ECDSA', namedCurve: 'P-256' },
  'P-384': { name: 'ECDSA', namedCurve: 'P-384' },
  'P-521': { name: 'ECDSA', namedCurve: 'P-521' },
  ed25519: { name: 'Ed25519' },
}

/** The key pair each algorithm signs with. */
const PAIR_OF: Record<Asymmetric, keyof typeof GENERATE> = {
  RS256: 'rsa',
  RS384: 'rsa',
  RS512: 'rsa',
  PS256: 'rsa',
  PS384: 'rsa',
  PS512: 'rsa',
  ES256: 'P-256',
  ES384: 'P-384',
  ES512: 'P-521',
  EdDSA: 'ed25519',
}

/** How WebCrypto imports a key of one algorithm, and signs with it. */
interface WebCryptoParams {
  key: RsaHashedImportParams | EcKeyImportParams | Algorithm
  sign: RsaPssParams | EcdsaParams | Algorithm
}

/** How WebCrypto imports the keys of each algorithm, and signs with them. */
const WEBCRYPTO: Record<Asymmetric, WebCryptoParams> = {
  RS256: rsa('RSASSA-PKCS1-v1_5', 'SHA-256'),
  RS384: rsa('RSASSA-PKCS1-v1_5', 'SHA-384'),
  RS512: rsa('RSASSA-PKCS1-v1_5', 'SHA-512'),
  PS256: rsa('RSA-PSS', 'SHA-256'),
  PS384: rsa('RSA-PSS', 'SHA-384'),
  PS512: rsa('RSA-PSS', 'SHA-512'),
  ES256: ecdsa('P-256', 'SHA-256'),
  ES384: ecdsa('P-384', 'SHA-384'),
  ES512: ecdsa('P-521', 'SHA-512'),
  EdDSA: { key: { name: 'Ed25519' }, sign: { name: 'Ed25519' } },
}

function rsa(name: 'RSASSA-PKCS1-v1_5' | 'RSA-PSS', hash: string): WebCryptoParams {
  // JWS's PSS salt is as long as the hash (RFC 7518 section 3.5).
  const saltLength = Number(hash.slice(4)) / 8
  return {
    key: { name, hash },
    sign: name === 'RSA-PSS' ? { name, saltLength } : { name },
  }
}

function ecdsa(namedCurve: string, hash: string): WebCryptoParams {
  return {
    key: { name: 'ECDSA', namedCurve },
    sign: { name: 'ECDSA', hash },
  }
}

/** The same key pair in each encoding the options accept. */
interface Encoded {
  crypto: CryptoKeyPair
  privatePem: string
  publicPem: string
  privateJwk: JsonWebKey
  publicJwk: JsonWebKey
}

function pem(label: string, der: ArrayBuffer): string {
  const base64 = btoa(String.fromCharCode(...new Uint8Array(der)))
  const lines = base64.match(/.{1,64}/g) ?? []
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`
}

async function generate(
  params: RsaHashedKeyGenParams | EcKeyGenParams | Algorithm,
): Promise<Encoded> {
  const crypto = (await globalThis.crypto.subtle.generateKey(params, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair
  const { subtle } = globalThis.crypto
  return {
    crypto,
    privatePem: pem('PRIVATE KEY', await subtle.exportKey('pkcs8', crypto.privateKey)),
    publicPem: pem('PUBLIC KEY', await subtle.exportKey('spki', crypto.publicKey)),
    privateJwk: await subtle.exportKey('jwk', crypto.privateKey),
    publicJwk: await subtle.exportKey('jwk', crypto.publicKey),
  }
}

/** The bytes of a binary string (what `atob` returns). */
function bytesOf(binary: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

function derOf(pemText: string): Uint8Array<ArrayBuffer> {
  return bytesOf(atob(pemText.replace(/-----[A-Z ]+-----|\s/g, '')))
}

function base64url(bytes: ArrayBuffer): string {
  return btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '')
}

function fromBase64url(text: string): Uint8Array<ArrayBuffer> {
  return bytesOf(atob(text.replace(/-/g, '+').replace(/_/g, '/')))
}

/** A JWK as WebCrypto exports it, without the members that would tie it to one algorithm. */
function bare(jwk: JsonWebKey): KeyInput {
  const copy: Record<string, unknown> = { ...jwk }
  for (const member of ['alg', 'key_ops', 'ext']) delete copy[member]
  return copy as KeyInput
}

/**
 * A guarded Fetch handler of the instance: 200 with the subject, or the error contract; it
 * counts its runs so a refusal can be shown not to reach it.
 */
function protectedRoute(auth: AuthX): {
  get: (token: string) => Promise<Response>
  runs: () => number
} {
  let runs = 0
  const handler = withAuth(auth, {}, (_request, { payload }) => {
    runs++
    return Response.json({ sub: payload.sub })
  })
  return {
    get: (token) =>
      handler(new Request('http://localhost/p', { headers: { authorization: `Bearer ${token}` } })),
    runs: () => runs,
  }
}

async function assertAccepted(verifier: AuthX, token: string): Promise<void> {
  const route = protectedRoute(verifier)
  const res = await route.get(token)
  assert.equal(res.status, 200, await res.clone().text())
  assert.deepEqual(await res.json(), { sub: 'alice' })
  assert.equal(route.runs(), 1)
}

async function assertBadSignature(verifier: AuthX, token: string): Promise<void> {
  const route = protectedRoute(verifier)
  const res = await route.get(token)
  assert.equal(res.status, 401)
  assert.deepEqual(await res.json(), {
    detail: 'Signature verification failed',
    error_type: 'TokenInvalidSignatureError',
  })
  assert.equal(route.runs(), 0)
}

/** The token with the first character of its signature changed. */
function withChangedSignature(token: string): string {
  const dot = token.lastIndexOf('.') + 1
  const first = token[dot] === 'A' ? 'B' : 'A'
  return `${token.slice(0, dot)}${first}${token.slice(dot + 1)}`
}

void describe('every algorithm signs and verifies through the Fetch integration', () => {
  const pairs = new Map<keyof typeof GENERATE, Encoded>()
  const others = new Map<keyof typeof GENERATE, Encoded>()
  before(async () => {
    for (const name of Object.keys(GENERATE) as (keyof typeof GENERATE)[]) {
      pairs.set(name, await generate(GENERATE[name]))
      others.set(name, await generate(GENERATE[name]))
    }
  })
  const pairFor = (alg: Asymmetric): Encoded => {
    const pair = pairs.get(PAIR_OF[alg])
    assert.ok(pair !== undefined)
    return pair
  }

  for (const alg of ['HS256', 'HS384', 'HS512'] as const) {
    test(`${alg}: a text secret and the same secret as bytes`, async () => {
      const secret = `${alg} `.repeat(16)
      const signer = new AuthX({ algorithm: alg, secretKey: secret })
      const token = signer.createAccessToken('alice')
      await assertAccepted(signer, token)
      await assertAccepted(
        new AuthX({ algorithm: alg, secretKey: new TextEncoder().encode(secret) }),
        token,
      )
      await assertBadSignature(new AuthX({ algorithm: alg, secretKey: `${secret}?` }), token)
      await assertBadSignature(signer, withChangedSignature(token))
    })
  }

  for (const alg of Object.keys(PAIR_OF) as Asymmetric[]) {
    if (alg.startsWith('PS') && PSS_REFUSED) {
      test(`${alg}: refused at construction, for signing and for verifying`, () => {
        const pair = pairFor(alg)
        for (const options of [
          { algorithm: alg, privateKey: pair.privatePem },
          { algorithm: alg, publicKey: pair.publicPem },
        ])
          assert.throws(() => new AuthX(options), {
            name: 'BadConfigurationError',
            message: new RegExp(`${alg} .*RSA-PSS padding`),
          })
      })
      continue
    }

    test(`${alg}: PEM signs; PEM, JWK and CryptoKey public keys verify`, async () => {
      const pair = pairFor(alg)
      const signer = new AuthX({ algorithm: alg, privateKey: pair.privatePem })
      const token = signer.createAccessToken('alice')
      await assertAccepted(signer, token)
      const verifiers: AuthXOptions[] = [
        { algorithm: alg, publicKey: pair.publicPem },
        { algorithm: alg, publicKey: bare(pair.publicJwk) },
      ]
      // A CryptoKey is bound to its algorithm: the RSA pair was generated for RS256 only.
      if (PAIR_OF[alg] !== 'rsa' || alg === 'RS256')
        verifiers.push({ algorithm: alg, publicKey: pair.crypto.publicKey })
      for (const options of verifiers) await assertAccepted(new AuthX(options), token)
      await assertBadSignature(signer, withChangedSignature(token))
      const other = others.get(PAIR_OF[alg])
      assert.ok(other !== undefined)
      await assertBadSignature(new AuthX({ algorithm: alg, publicKey: other.publicPem }), token)
    })

    test(`${alg}: a JWK private key signs what the PEM public key verifies`, async () => {
      const pair = pairFor(alg)
      const signer = new AuthX({ algorithm: alg, privateKey: bare(pair.privateJwk) })
      await assertAccepted(
        new AuthX({ algorithm: alg, publicKey: pair.publicPem }),
        signer.createAccessToken('alice'),
      )
    })

    test(`${alg}: WebCrypto verifies what AuthX signs, and AuthX accepts what WebCrypto signs`, async () => {
      // WebCrypto is the runtime's other, independent signer: agreement in both directions
      // shows the signatures are the algorithm's, not merely self-consistent.
      const pair = pairFor(alg)
      const { subtle } = globalThis.crypto
      const { key: params, sign: signing } = WEBCRYPTO[alg]
      const publicKey = await subtle.importKey('spki', derOf(pair.publicPem), params, false, [
        'verify',
      ])
      const privateKey = await subtle.importKey('pkcs8', derOf(pair.privatePem), params, false, [
        'sign',
      ])
      const token = new AuthX({ algorithm: alg, privateKey: pair.privatePem }).createAccessToken(
        'alice',
      )
      const [header = '', payload = '', signature = ''] = token.split('.')
      const input = new TextEncoder().encode(`${header}.${payload}`)
      assert.equal(await subtle.verify(signing, publicKey, fromBase64url(signature), input), true)
      const theirs = `${header}.${payload}.${base64url(await subtle.sign(signing, privateKey, input))}`
      await assertAccepted(new AuthX({ algorithm: alg, publicKey: pair.publicPem }), theirs)
    })
  }
})
