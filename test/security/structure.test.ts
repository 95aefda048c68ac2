/**
 * Structure: every malformed compact serialization is refused over HTTP with a 401, before any
 * claim is believed (RFC 7515 section 7.1, RFC 8725 section 3.1 and 3.11, jwt_tool playbook).
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import {
  addPadding,
  b64url,
  forgeToken,
  jsonSegment,
  rawSegment,
  replaceSegment,
  setTrailingBits,
  splitToken,
  toStandardAlphabet,
  truncateSignature,
  extendSignature,
} from '../helpers/forge.ts'
import {
  SECRET,
  baseClaims,
  bearer,
  buildSecurityApp,
  expectAccepted,
  expectRejected,
  forgeClaims,
} from '../helpers/http-invariants.ts'
import type { SecurityApp } from '../helpers/http-invariants.ts'

const DECODE = { status: 401, errorType: 'JWTDecodeError' } as const
const SIGNATURE = { status: 401, errorType: 'TokenInvalidSignatureError' } as const

/** Signs a raw `header.payload` text with the app's secret, exactly as given. */
function signRaw(header: string, payload: string): string {
  return forgeToken({ rawHeader: header, rawPayload: payload, key: SECRET, alg: 'HS256' })
}

const HEADER = jsonSegment({ alg: 'HS256', typ: 'JWT' })

/** A valid token whose segment `index` contains `-` or `_` (so its standard spelling differs). */
function tokenWithUrlChars(index: 0 | 1 | 2): string {
  for (let i = 0; ; i++) {
    const header = index === 0 ? { alg: 'HS256', typ: 'JWT', kid: `k${i}>?` } : undefined
    const token = forgeClaims({ n: i, pad: '??>>' }, header === undefined ? {} : { header })
    if (/[-_]/.test(splitToken(token)[index])) return token
  }
}

void describe('security: token structure over HTTP', () => {
  let target: SecurityApp
  before(async () => {
    target = await buildSecurityApp()
  })
  after(() => target.close())

  void test('one segment is refused (RFC 7515 §7.1: three parts)', async () => {
    await expectRejected(target, bearer('eyJhbGciOiJIUzI1NiJ9'), DECODE)
  })

  void test('two segments are refused (RFC 7515 §7.1)', async () => {
    const [h, p] = splitToken(target.validToken())
    await expectRejected(target, bearer(`${h}.${p}`), DECODE)
  })

  void test('empty signature "h.p." is refused (RFC 8725 §3.1, jwt_tool "null signature")', async () => {
    const [h, p] = splitToken(target.validToken())
    await expectRejected(target, bearer(`${h}.${p}.`), DECODE)
  })

  void test('four segments are refused (RFC 7515 §7.1)', async () => {
    await expectRejected(target, bearer(`${target.validToken()}.AAAA`), DECODE)
  })

  void test('a five-part JWE is refused (RFC 7516 §7.1, RFC 8725 §3.11 cross-JWT confusion)', async () => {
    const jwe = [
      jsonSegment({ alg: 'dir', enc: 'A256GCM' }),
      '',
      'AAAAAAAAAAAAAAAA',
      'Y2lwaGVy',
      'dGFndGFndGFndGFn',
    ]
    await expectRejected(target, bearer(jwe.join('.')), DECODE)
  })

  void test('an empty header segment is refused (RFC 7515 §5.2 step 1)', async () => {
    const [, p, s] = splitToken(target.validToken())
    await expectRejected(target, bearer(`.${p}.${s}`), DECODE)
  })

  void test('an empty payload segment is refused (RFC 7515 §5.2)', async () => {
    const [h, , s] = splitToken(target.validToken())
    await expectRejected(target, bearer(`${h}..${s}`), DECODE)
  })

  void test('a truncated signature is refused (jwt_tool playbook: signature tampering)', async () => {
    await expectRejected(target, bearer(truncateSignature(target.validToken())), SIGNATURE)
  })

  void test('an overlong signature is refused (jwt_tool playbook: signature tampering)', async () => {
    await expectRejected(target, bearer(extendSignature(target.validToken(), 1)), SIGNATURE)
  })

  void test('a signature spelled in the standard base64 alphabet is refused (RFC 7515 §2, Node decodes "+/" silently)', async () => {
    const token = tokenWithUrlChars(2)
    const [h, p, s] = splitToken(token)
    await expectRejected(target, bearer(`${h}.${p}.${toStandardAlphabet(s)}`), DECODE)
  })

  void test('a header spelled in the standard alphabet, re-signed over that text, is refused (RFC 7515 §2)', async () => {
    const [h, p] = splitToken(tokenWithUrlChars(0))
    await expectRejected(target, bearer(signRaw(toStandardAlphabet(h), p)), DECODE)
  })

  void test('a payload spelled in the standard alphabet, re-signed over that text, is refused (RFC 7515 §2)', async () => {
    const [h, p] = splitToken(tokenWithUrlChars(1))
    await expectRejected(target, bearer(signRaw(h, toStandardAlphabet(p))), DECODE)
  })

  void test('"=" padding on the signature is refused (RFC 7515 §2: padding omitted)', async () => {
    const token = target.validToken()
    const [h, p, s] = splitToken(token)
    await expectRejected(target, bearer(`${h}.${p}.${addPadding(s, 1)}`), DECODE)
  })

  void test('"=" padding on a payload, re-signed over the padded text, is refused (RFC 7515 §2)', async () => {
    let payload = jsonSegment(baseClaims())
    while (payload.length % 4 === 0) payload = jsonSegment(baseClaims({ pad: 'x' }))
    await expectRejected(target, bearer(signRaw(HEADER, addPadding(payload))), DECODE)
  })

  void test('non-canonical trailing bits in the signature are refused (RFC 4648 §3.5)', async () => {
    const [h, p, s] = splitToken(target.validToken())
    await expectRejected(target, bearer(`${h}.${p}.${setTrailingBits(s)}`), DECODE)
  })

  void test('non-canonical trailing bits in a re-signed payload are refused (RFC 4648 §3.5)', async () => {
    let payload = jsonSegment(baseClaims())
    for (let i = 0; payload.length % 4 === 0 || payload.length % 4 === 1; i++)
      payload = jsonSegment(baseClaims({ pad: 'x'.repeat(i) }))
    await expectRejected(target, bearer(signRaw(HEADER, setTrailingBits(payload))), DECODE)
  })

  void test('a header that is a JSON array is refused (RFC 7515 §4: a JSON object)', async () => {
    const token = forgeToken({
      header: '[{"alg":"HS256"}]',
      payload: baseClaims(),
      key: SECRET,
      alg: 'HS256',
    })
    await expectRejected(target, bearer(token), DECODE)
  })

  void test('a correctly signed payload that is a JSON array is refused (RFC 7519 §7.2 step 10)', async () => {
    await expectRejected(target, bearer(forgeClaims(JSON.stringify([baseClaims()]))), DECODE)
  })

  void test('a correctly signed payload that is a JSON string is refused (RFC 7519 §7.2)', async () => {
    await expectRejected(target, bearer(forgeClaims('"alice"')), DECODE)
  })

  void test('a correctly signed payload that is a number is refused (RFC 7519 §7.2)', async () => {
    await expectRejected(target, bearer(forgeClaims('1750000000')), DECODE)
  })

  void test('a correctly signed payload that is null is refused (RFC 7519 §7.2)', async () => {
    await expectRejected(target, bearer(forgeClaims('null')), DECODE)
  })

  void test('a header that is not JSON is refused (RFC 7515 §5.2 step 3)', async () => {
    const token = forgeToken({
      header: '{alg:HS256}',
      payload: baseClaims(),
      key: SECRET,
      alg: 'HS256',
    })
    await expectRejected(target, bearer(token), DECODE)
  })

  void test('a correctly signed payload that is not JSON is refused (RFC 7519 §7.2 step 10)', async () => {
    await expectRejected(target, bearer(forgeClaims('{"sub":"alice",')), DECODE)
  })

  void test('a correctly signed payload with invalid UTF-8 is refused (RFC 7515 §5.2 step 2, RFC 8259 §8.1)', async () => {
    const json = Buffer.from(JSON.stringify(baseClaims({ name: 'XX' })))
    const at = json.indexOf('XX')
    json[at] = 0xc3
    json[at + 1] = 0x28
    const token = forgeToken({ header: { alg: 'HS256' }, payload: json, key: SECRET })
    await expectRejected(target, bearer(token), DECODE)
  })

  void test('a header with a UTF-8 byte order mark is refused (RFC 8259 §8.1: no BOM)', async () => {
    const header = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"alg":"HS256"}')])
    const token = forgeToken({ header, payload: baseClaims(), key: SECRET, alg: 'HS256' })
    await expectRejected(target, bearer(token), DECODE)
  })

  void test('duplicate "alg" members resolve to the last one, so HS256-then-none is refused (RFC 7515 §5.2, CVE-2015-9235 family)', async () => {
    const token = forgeToken({
      header: '{"alg":"HS256","alg":"none"}',
      payload: baseClaims(),
      key: SECRET,
      alg: 'HS256',
    })
    await expectRejected(target, bearer(token), DECODE)
  })

  void test('duplicate "sub" members: every decision reads the one parse, last wins (RFC 7515 §5.2 step 4, RFC 8259 §4)', async () => {
    const claims = JSON.stringify(baseClaims({ sub: 'admin' })).replace(/}$/, ',"sub":"alice"}')
    const body = await expectAccepted(target, bearer(forgeClaims(claims)))
    assert.equal(body.sub, 'alice')
  })

  void test('the JWS JSON serialization is refused in a compact-only slot (RFC 7515 §7.2)', async () => {
    const [h, p, s] = splitToken(target.validToken())
    const json = JSON.stringify({ payload: p, protected: h, signature: s })
    await expectRejected(target, bearer(json), DECODE)
  })

  void test('the flattened JWS JSON serialization, base64url-wrapped, is refused (RFC 7515 §7.2.2)', async () => {
    const [h, p, s] = splitToken(target.validToken())
    await expectRejected(
      target,
      bearer(b64url(JSON.stringify({ payload: p, protected: h, signature: s }))),
      DECODE,
    )
  })

  void test('a nested JWT (cty "JWT", payload is a token) is refused (RFC 7519 §5.2, RFC 8725 §3.11)', async () => {
    const inner = target.validToken()
    const token = forgeToken({
      header: { alg: 'HS256', cty: 'JWT' },
      payload: JSON.stringify(inner),
      key: SECRET,
    })
    await expectRejected(target, bearer(token), DECODE)
  })

  void test('whitespace inside the token is refused, not stripped (RFC 7515 §7.1: no whitespace)', async () => {
    const [h, p, s] = splitToken(target.validToken())
    await expectRejected(target, bearer(`${h}.${p} .${s}`), DECODE)
  })

  void test('a NUL byte inside the header segment is refused (jwt_tool playbook: null byte injection)', async () => {
    const token = target.validToken()
    await expectRejected(
      target,
      bearer(replaceSegment(token, 0, `${splitToken(token)[0]}\u0000`)),
      DECODE,
    )
  })

  void test('a NUL byte appended to the payload breaks the signature (jwt_tool playbook: null byte injection)', async () => {
    const token = target.validToken()
    await expectRejected(
      target,
      bearer(replaceSegment(token, 1, `${splitToken(token)[1]}\u0000`)),
      SIGNATURE,
    )
  })

  void test('a non-ASCII character inside a re-signed payload segment is refused (RFC 7515 §2: base64url alphabet only)', async () => {
    const [h, p] = splitToken(target.validToken())
    await expectRejected(target, bearer(signRaw(h, `${p}é`)), DECODE)
  })

  void test('a raw (unencoded) JSON header is refused (jwt_tool playbook: header not base64)', async () => {
    const [, p, s] = splitToken(target.validToken())
    await expectRejected(target, bearer(`${rawSegment('x')}{"alg":"HS256"}.${p}.${s}`), DECODE)
  })
})
