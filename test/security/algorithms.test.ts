/**
 * Algorithms: `none` in every casing, algorithms outside the allowlist, and key confusion (the
 * public key used as an HMAC secret in every spelling). Each key is bound to one algorithm at
 * construction; the header's `alg` only selects among those bindings (RFC 8725 section 3.1).
 */
import { generateKeyPairSync } from '../helpers/keypair.ts'
import { after, before, describe, test } from 'node:test'
import { forgeToken, splitToken } from '../helpers/forge.ts'
import type { ForgeAlgorithm } from '../helpers/forge.ts'
import {
  SECRET,
  baseClaims,
  bearer,
  buildSecurityApp,
  expectRejected,
} from '../helpers/http-invariants.ts'
import type { SecurityApp } from '../helpers/http-invariants.ts'
import { ed25519, p256, p384, publicKeySpellings, rsa } from './fixtures.ts'

const DECODE = { status: 401, errorType: 'JWTDecodeError' } as const
const SIGNATURE = { status: 401, errorType: 'TokenInvalidSignatureError' } as const

function pem(key: import('node:crypto').KeyObject): string {
  return key.export({ type: 'spki', format: 'pem' }) as string
}

void describe('security: algorithms on an HS256 app', () => {
  let target: SecurityApp
  before(async () => {
    target = await buildSecurityApp()
  })
  after(() => target.close())

  for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
    void test(`alg "${alg}" with an empty signature is refused (CVE-2015-9235, CVE-2022-23540 GHSA-qwph-4952-7xr6, PortSwigger "JWT authentication bypass via flawed signature verification")`, async () => {
      const token = forgeToken({
        header: { alg, typ: 'JWT' },
        payload: baseClaims({ sub: 'admin' }),
      })
      await expectRejected(target, bearer(token), DECODE)
    })
  }

  void test('alg "none" keeping the original HS256 signature is refused (jwt_tool playbook -X a)', async () => {
    const [, p, s] = splitToken(target.validToken())
    const token = `${forgeToken({ header: { alg: 'none' } }).split('.')[0]}.${p}.${s}`
    await expectRejected(target, bearer(token), DECODE)
  })

  void test('a header without alg is refused (RFC 7515 §4.1.1: alg is required)', async () => {
    const token = forgeToken({
      header: { typ: 'JWT' },
      payload: baseClaims(),
      key: SECRET,
      alg: 'HS256',
    })
    await expectRejected(target, bearer(token), DECODE)
  })

  void test('alg null is refused (RFC 7515 §4.1.1: a case-sensitive string)', async () => {
    const token = forgeToken({
      header: { alg: null },
      payload: baseClaims(),
      key: SECRET,
      alg: 'HS256',
    })
    await expectRejected(target, bearer(token), DECODE)
  })

  void test('alg as an array ["HS256"] is refused (type confusion, RFC 7515 §4.1.1)', async () => {
    const token = forgeToken({
      header: { alg: ['HS256'] },
      payload: baseClaims(),
      key: SECRET,
      alg: 'HS256',
    })
    await expectRejected(target, bearer(token), DECODE)
  })

  void test('alg "hs256" (wrong case) is refused (RFC 7515 §4.1.1: case-sensitive)', async () => {
    const token = forgeToken({
      header: { alg: 'hs256' },
      payload: baseClaims(),
      key: SECRET,
      alg: 'HS256',
    })
    await expectRejected(target, bearer(token), DECODE)
  })

  void test('alg "HS256 " (trailing space) is refused (RFC 7515 §4.1.1)', async () => {
    const token = forgeToken({
      header: { alg: 'HS256 ' },
      payload: baseClaims(),
      key: SECRET,
      alg: 'HS256',
    })
    await expectRejected(target, bearer(token), DECODE)
  })

  for (const alg of ['HS384', 'HS512'] as const) {
    void test(`${alg} signed with the right secret is outside the allowlist and refused (RFC 8725 §3.1)`, async () => {
      const token = forgeToken({ header: { alg, typ: 'JWT' }, payload: baseClaims(), key: SECRET })
      await expectRejected(target, bearer(token), DECODE)
    })
  }

  void test('an RS256 token signed by an attacker key is refused on an HMAC app (RFC 8725 §3.1)', async () => {
    const token = forgeToken({
      header: { alg: 'RS256' },
      payload: baseClaims(),
      key: rsa('attacker').privateKey,
    })
    await expectRejected(target, bearer(token), DECODE)
  })
})

void describe('security: key confusion on asymmetric apps (CVE-2015-9235, CVE-2023-48223 GHSA-c2ff-88x2-x9pg)', () => {
  let rs: SecurityApp
  let es: SecurityApp
  let ed: SecurityApp
  let mixed: SecurityApp
  before(async () => {
    const r = rsa()
    rs = await buildSecurityApp({
      auth: { algorithm: 'RS256', privateKey: r.privateKey },
      secrets: [pem(r.publicKey)],
    })
    es = await buildSecurityApp({ auth: { algorithm: 'ES256', privateKey: p256().privateKey } })
    ed = await buildSecurityApp({ auth: { algorithm: 'EdDSA', privateKey: ed25519().privateKey } })
    mixed = await buildSecurityApp({
      auth: {
        algorithm: 'RS256',
        privateKey: r.privateKey,
        previousAlgorithm: 'HS256',
        previousSecretKey: SECRET,
      },
    })
  })
  after(async () => {
    await Promise.all([rs.close(), es.close(), ed.close(), mixed.close()])
  })

  for (const [spelling, key] of Object.entries(publicKeySpellings(rsa().publicKey))) {
    const source = spelling.includes('leading whitespace')
      ? 'GHSA-mvf2-f6gm-w987 (CVE-2026-34950)'
      : spelling.includes('comment')
        ? 'GHSA-ww5h-9m49-7xx4'
        : 'PortSwigger "JWT authentication bypass via algorithm confusion"'
    void test(`HS256 signed with the RS256 public key as ${spelling} is refused (${source})`, async () => {
      const token = forgeToken({
        header: { alg: 'HS256', typ: 'JWT' },
        payload: baseClaims({ sub: 'admin' }),
        key,
      })
      await expectRejected(rs, bearer(token), DECODE)
    })
  }

  void test('HS256 signed with the ES256 public key PEM is refused (CVE-2015-9235 on EC keys)', async () => {
    const token = forgeToken({
      header: { alg: 'HS256' },
      payload: baseClaims(),
      key: pem(p256().publicKey),
    })
    await expectRejected(es, bearer(token), DECODE)
  })

  void test('HS256 signed with the Ed25519 public key PEM is refused (CVE-2015-9235 on OKP keys)', async () => {
    const token = forgeToken({
      header: { alg: 'HS256' },
      payload: baseClaims(),
      key: pem(ed25519().publicKey),
    })
    await expectRejected(ed, bearer(token), DECODE)
  })

  void test('with an HS256 previous key configured, HS256 signed with the RSA public PEM still fails: the HS binding uses only the secret (hono GHSA-f67f-6cw9-8mq4)', async () => {
    const token = forgeToken({
      header: { alg: 'HS256' },
      payload: baseClaims(),
      key: pem(rsa().publicKey),
    })
    await expectRejected(mixed, bearer(token), SIGNATURE)
  })

  void test('PS256 signed with the real RSA private key is refused on an RS256 app: one key, one algorithm (RFC 8725 §3.1, hono GHSA-3vhc-576x-3qv4)', async () => {
    const token = forgeToken({
      header: { alg: 'PS256' },
      payload: baseClaims(),
      key: rsa().privateKey,
    })
    await expectRejected(rs, bearer(token), DECODE)
  })

  void test('RS512 signed with the real RSA private key is refused on an RS256 app (RFC 8725 §3.1)', async () => {
    const token = forgeToken({
      header: { alg: 'RS512' },
      payload: baseClaims(),
      key: rsa().privateKey,
    })
    await expectRejected(rs, bearer(token), DECODE)
  })

  void test('ES384 signed with a P-384 key is refused on an ES256 app (RFC 7518 §3.4: curve bound to alg)', async () => {
    const token = forgeToken({
      header: { alg: 'ES384' },
      payload: baseClaims(),
      key: p384().privateKey,
    })
    await expectRejected(es, bearer(token), DECODE)
  })

  void test('ES256 header signed with a P-384 key (curve mismatch) is refused (RFC 7518 §3.4)', async () => {
    const token = forgeToken({
      header: { alg: 'ES256' },
      payload: baseClaims(),
      key: p384().privateKey,
      alg: 'ES256' as ForgeAlgorithm,
    })
    await expectRejected(es, bearer(token), SIGNATURE)
  })

  void test('ES256 signed by an attacker P-256 key is refused (RFC 7515 §5.2 step 8)', async () => {
    const token = forgeToken({
      header: { alg: 'ES256' },
      payload: baseClaims(),
      key: p256('attacker').privateKey,
    })
    await expectRejected(es, bearer(token), SIGNATURE)
  })

  void test('alg "Ed25519" (fully specified name) is not an alias of the configured EdDSA binding (RFC 8725 §3.1)', async () => {
    const token = forgeToken({
      header: { alg: 'Ed25519' },
      payload: baseClaims(),
      key: ed25519().privateKey,
      alg: 'EdDSA',
    })
    await expectRejected(ed, bearer(token), DECODE)
  })

  void test('EdDSA signed with an Ed448 key is refused on an Ed25519 app (RFC 8037 §3.1: curve bound to the key)', async () => {
    const ed448 = generateKeyPairSync('ed448').privateKey
    const token = forgeToken({
      header: { alg: 'EdDSA' },
      payload: baseClaims(),
      key: ed448,
      alg: 'EdDSA',
    })
    await expectRejected(ed, bearer(token), SIGNATURE)
  })

  void test('alg "none" is refused on a verify-only RS256 app (CVE-2022-23540: no insecure default)', async () => {
    const verifyOnly = await buildSecurityApp({
      auth: { algorithm: 'RS256', publicKey: rsa().publicKey },
    })
    try {
      const token = forgeToken({ header: { alg: 'none' }, payload: baseClaims() })
      await expectRejected(verifyOnly, bearer(token), { ...DECODE, followUp: false })
    } finally {
      await verifyOnly.close()
    }
  })
})
