/**
 * Signatures: crafted ECDSA values (CVE-2022-21449), DER instead of R||S, malleability, RSA and
 * EdDSA edge cases, and bit flips, over HTTP for every family (RFC 7515 section 5.2 step 8, RFC
 * 7518 section 3, RFC 8032 section 5.1.7).
 */
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import {
  CURVE_ORDERS,
  ecdsaSignature,
  flipBit,
  forgeToken,
  isHighS,
  jsonSegment,
  malleateEd25519,
  negateS,
  p1363ToDer,
  signBytes,
  signatureOf,
  splitToken,
  withSignature,
} from '../helpers/forge.ts'
import {
  SECRET,
  baseClaims,
  bearer,
  buildSecurityApp,
  expectAccepted,
  expectRejected,
} from '../helpers/http-invariants.ts'
import type { SecurityApp } from '../helpers/http-invariants.ts'
import { ed25519, p256, rsa } from './fixtures.ts'

const SIGNATURE = { status: 401, errorType: 'TokenInvalidSignatureError' } as const
const N = CURVE_ORDERS.ES256

void describe('security: ECDSA signatures (ES256)', () => {
  let target: SecurityApp
  before(async () => {
    target = await buildSecurityApp({ auth: { algorithm: 'ES256', privateKey: p256().privateKey } })
  })
  after(() => target.close())

  void test('r = s = 0 is refused (CVE-2022-21449 "psychic signatures")', async () => {
    await expectRejected(
      target,
      bearer(withSignature(target.validToken('admin'), ecdsaSignature('ES256', 0n, 0n))),
      SIGNATURE,
    )
  })

  void test('r = s = n (the group order) is refused (CVE-2022-21449 variant, Wycheproof "r,s = n")', async () => {
    await expectRejected(
      target,
      bearer(withSignature(target.validToken(), ecdsaSignature('ES256', N, N))),
      SIGNATURE,
    )
  })

  void test('r = 0 with the real s is refused (SEC 1 §4.1.4 step 1: 1 <= r < n)', async () => {
    const token = target.validToken()
    const s = signatureOf(token).subarray(32)
    await expectRejected(
      target,
      bearer(withSignature(token, Buffer.concat([Buffer.alloc(32), s]))),
      SIGNATURE,
    )
  })

  void test('the real r with s = 0 is refused (SEC 1 §4.1.4 step 1: 1 <= s < n)', async () => {
    const token = target.validToken()
    const r = signatureOf(token).subarray(0, 32)
    await expectRejected(
      target,
      bearer(withSignature(token, Buffer.concat([r, Buffer.alloc(32)]))),
      SIGNATURE,
    )
  })

  void test('a valid signature in DER form instead of R||S is refused (RFC 7518 §3.4)', async () => {
    const token = target.validToken()
    await expectRejected(
      target,
      bearer(withSignature(token, p1363ToDer(signatureOf(token)))),
      SIGNATURE,
    )
  })

  void test('a DER signature produced by node:crypto (dsaEncoding "der") is refused (RFC 7518 §3.4)', async () => {
    const token = forgeToken({
      header: { alg: 'ES256' },
      payload: baseClaims(),
      key: p256().privateKey,
      dsaEncoding: 'der',
    })
    await expectRejected(target, bearer(token), SIGNATURE)
  })

  void test('the high-S twin of a valid signature is accepted, as RFC 7518 and WebCrypto do (DESIGN §6)', async () => {
    const token = target.validToken()
    const twin = negateS('ES256', signatureOf(token))
    assert.notEqual(isHighS('ES256', twin), isHighS('ES256', signatureOf(token)))
    await expectAccepted(target, bearer(withSignature(token, twin)))
  })

  void test('an R||S signature one byte short is refused (RFC 7518 §3.4: exactly 64 bytes)', async () => {
    const token = target.validToken()
    await expectRejected(
      target,
      bearer(withSignature(token, signatureOf(token).subarray(0, 63))),
      SIGNATURE,
    )
  })

  void test('an R||S signature with a zero byte prepended is refused (RFC 7518 §3.4)', async () => {
    const token = target.validToken()
    await expectRejected(
      target,
      bearer(withSignature(token, Buffer.concat([Buffer.of(0), signatureOf(token)]))),
      SIGNATURE,
    )
  })

  void test('one flipped bit in s is refused (jwt_tool playbook: signature tampering)', async () => {
    const token = target.validToken()
    await expectRejected(
      target,
      bearer(withSignature(token, flipBit(signatureOf(token), 511))),
      SIGNATURE,
    )
  })
})

void describe('security: RSA signatures (RS256, PS256)', () => {
  let rs: SecurityApp
  let ps: SecurityApp
  before(async () => {
    rs = await buildSecurityApp({ auth: { algorithm: 'RS256', privateKey: rsa().privateKey } })
    ps = await buildSecurityApp({ auth: { algorithm: 'PS256', privateKey: rsa().privateKey } })
  })
  after(async () => {
    await Promise.all([rs.close(), ps.close()])
  })

  void test('RS256: one flipped bit in the first byte is refused (RFC 8017 §8.2.2)', async () => {
    const token = rs.validToken()
    await expectRejected(
      rs,
      bearer(withSignature(token, flipBit(signatureOf(token), 0))),
      SIGNATURE,
    )
  })

  void test('RS256: a leading zero byte (257-byte signature) is refused (RFC 8017 §8.2.2 step 1: length k)', async () => {
    const token = rs.validToken()
    await expectRejected(
      rs,
      bearer(withSignature(token, Buffer.concat([Buffer.of(0), signatureOf(token)]))),
      SIGNATURE,
    )
  })

  void test('RS256: an all-zero signature is refused (Wycheproof "signature = 0")', async () => {
    await expectRejected(rs, bearer(withSignature(rs.validToken(), Buffer.alloc(256))), SIGNATURE)
  })

  void test('RS256: the signature value 1 is refused (Wycheproof "signature = 1")', async () => {
    const one = Buffer.alloc(256)
    one[255] = 1
    await expectRejected(rs, bearer(withSignature(rs.validToken(), one)), SIGNATURE)
  })

  void test('PS256: a signature with salt length 0 is refused (RFC 7518 §3.5: salt = hash size)', async () => {
    const token = forgeToken({
      header: { alg: 'PS256' },
      payload: baseClaims(),
      key: rsa().privateKey,
      saltLength: 0,
    })
    await expectRejected(ps, bearer(token), SIGNATURE)
  })

  void test('PS256: a signature with salt length 64 is refused (RFC 7518 §3.5)', async () => {
    const token = forgeToken({
      header: { alg: 'PS256' },
      payload: baseClaims(),
      key: rsa().privateKey,
      saltLength: 64,
    })
    await expectRejected(ps, bearer(token), SIGNATURE)
  })

  void test('PS256 header over a PKCS#1 v1.5 signature is refused (RFC 7518 §3.3 vs §3.5)', async () => {
    const token = forgeToken({
      header: { alg: 'PS256' },
      payload: baseClaims(),
      key: rsa().privateKey,
      alg: 'RS256',
    })
    await expectRejected(ps, bearer(token), SIGNATURE)
  })
})

void describe('security: EdDSA signatures (Ed25519)', () => {
  let target: SecurityApp
  before(async () => {
    target = await buildSecurityApp({
      auth: { algorithm: 'EdDSA', privateKey: ed25519().privateKey },
    })
  })
  after(() => target.close())

  void test('S + L (malleated) is refused (RFC 8032 §5.1.7: S < L)', async () => {
    const token = target.validToken()
    await expectRejected(
      target,
      bearer(withSignature(token, malleateEd25519(signatureOf(token)))),
      SIGNATURE,
    )
  })

  void test('an all-zero signature is refused (Wycheproof EdDSA "special values")', async () => {
    await expectRejected(
      target,
      bearer(withSignature(target.validToken(), Buffer.alloc(64))),
      SIGNATURE,
    )
  })

  void test('a valid signature over another message is refused (RFC 8032 §5.1.7)', async () => {
    const other = signBytes('EdDSA', ed25519().privateKey, 'another message')
    await expectRejected(target, bearer(withSignature(target.validToken(), other)), SIGNATURE)
  })
})

void describe('security: HMAC signatures (HS256)', () => {
  let target: SecurityApp
  before(async () => {
    target = await buildSecurityApp()
  })
  after(() => target.close())

  void test('the first signature bit flipped is refused (jwt_tool playbook: signature tampering)', async () => {
    const token = target.validToken()
    await expectRejected(
      target,
      bearer(withSignature(token, flipBit(signatureOf(token), 0))),
      SIGNATURE,
    )
  })

  void test('the last signature bit flipped is refused (jwt_tool playbook: signature tampering)', async () => {
    const token = target.validToken()
    await expectRejected(
      target,
      bearer(withSignature(token, flipBit(signatureOf(token), 255))),
      SIGNATURE,
    )
  })

  void test('an HMAC over the header alone is refused (RFC 7515 §5.1 step 5: input is header.payload)', async () => {
    const token = target.validToken()
    const header = splitToken(token)[0]
    const mac = createHmac('sha256', SECRET).update(header).digest()
    await expectRejected(target, bearer(withSignature(token, mac)), SIGNATURE)
  })

  void test("another valid token's signature is refused (signature transplant)", async () => {
    const mine = target.validToken('alice')
    const other = target.validToken('admin')
    await expectRejected(target, bearer(withSignature(other, signatureOf(mine))), SIGNATURE)
  })

  void test('the same claims re-serialised with whitespace keep the old signature and are refused (RFC 7515 §5.2: bytes, not JSON, are signed)', async () => {
    const token = target.validToken()
    const [h, p, s] = splitToken(token)
    const claims: unknown = JSON.parse(Buffer.from(p, 'base64url').toString())
    const respaced = Buffer.from(JSON.stringify(claims, null, 1)).toString('base64url')
    await expectRejected(target, bearer(`${h}.${respaced}.${s}`), SIGNATURE)
  })

  void test('the header re-serialised with reordered members keeps the old signature and is refused (RFC 7515 §5.2)', async () => {
    const [, p, s] = splitToken(target.validToken())
    await expectRejected(
      target,
      bearer(`${jsonSegment({ typ: 'JWT', alg: 'HS256' })}.${p}.${s}`),
      SIGNATURE,
    )
  })

  void test('an HMAC with the secret plus a trailing newline is refused (key handling: exact bytes)', async () => {
    const token = forgeToken({
      header: { alg: 'HS256' },
      payload: baseClaims(),
      key: `${SECRET}\n`,
    })
    await expectRejected(target, bearer(token), SIGNATURE)
  })
})
