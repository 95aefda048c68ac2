/**
 * The strictness rules of the JWS engine, one named negative test each, asserting the exact error
 * class (`JWTDecodeError` for a malformed token, `TokenInvalidSignatureError` when no configured
 * key verifies) and the internal reason, plus round trips against `jose` for all 13 algorithms.
 *
 * Every negative token is forged byte by byte in test/helpers/forge.ts and, unless the test says
 * otherwise, carries a valid signature over its own (malformed) signing input: so the rule under
 * test is the only thing that can reject it.
 */
import assert from 'node:assert/strict'
import { createHash, createSecretKey, randomBytes } from 'node:crypto'
import { generateKeyPairSync } from '../helpers/keypair.ts'
import type { KeyObject } from 'node:crypto'
import { describe, it } from 'node:test'
import * as jose from 'jose'
import { JWTDecodeError, TokenInvalidSignatureError } from '../../src/errors.ts'
import { encodeSegment, signCompact } from '../../src/token/jws.ts'
import { SyncJWSVerifier } from '../helpers/sync-verifier.ts'
import type { JSONObject } from '../../src/token/jws.ts'
import { ALGORITHMS, bindKey, importSignKey, importVerifyKey } from '../../src/token/keys.ts'
import type { Algorithm, BoundKey } from '../../src/token/keys.ts'
import {
  CURVE_ORDERS,
  addPadding,
  b64url,
  bigIntToBytes,
  bytesToBigInt,
  ecdsaSignature,
  encodeSegment as forgeSegment,
  extendSignature,
  flipCharBit,
  flipSegmentBit,
  forgeToken,
  isHighS,
  malleateEd25519,
  negateS,
  p1363ToDer,
  rawSegment,
  segmentBytes,
  setTrailingBits,
  signatureOf,
  splitToken,
  toStandardAlphabet,
  truncateSignature,
  unb64url,
  unusedTrailingBits,
  withSignature,
} from '../helpers/forge.ts'
import type { ForgeTokenOptions, SegmentContent } from '../helpers/forge.ts'

// ---------------------------------------------------------------------------------------------
// Keys: one pair per family (RS* and PS* share the RSA pair), plus attacker-controlled twins.

type ECAlgorithm = 'ES256' | 'ES384' | 'ES512'
const EC_ALGORITHMS: readonly ECAlgorithm[] = ['ES256', 'ES384', 'ES512']

interface Pair {
  privateKey: KeyObject
  publicKey: KeyObject
}

const secret = createSecretKey(randomBytes(64))
const attackerSecret = createSecretKey(randomBytes(64))
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
const attackerRsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
const ec: Record<ECAlgorithm, Pair> = {
  ES256: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  ES384: generateKeyPairSync('ec', { namedCurve: 'P-384' }),
  ES512: generateKeyPairSync('ec', { namedCurve: 'P-521' }),
}
const attackerEc: Record<ECAlgorithm, Pair> = {
  ES256: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  ES384: generateKeyPairSync('ec', { namedCurve: 'P-384' }),
  ES512: generateKeyPairSync('ec', { namedCurve: 'P-521' }),
}
const ed = generateKeyPairSync('ed25519')
const attackerEd = generateKeyPairSync('ed25519')

function pairFor(alg: Algorithm, attacker = false): Pair {
  if (alg.startsWith('HS')) {
    const key = attacker ? attackerSecret : secret
    return { privateKey: key, publicKey: key }
  }
  if (alg.startsWith('RS') || alg.startsWith('PS')) return attacker ? attackerRsa : rsa
  if (alg === 'EdDSA') return attacker ? attackerEd : ed
  return (attacker ? attackerEc : ec)[alg as ECAlgorithm]
}

/** The configured verification key for `alg`, imported the way the config does it. */
function boundFor(alg: Algorithm, kid?: string, key: KeyObject = pairFor(alg).publicKey): BoundKey {
  return bindKey(importVerifyKey(key, alg, 'publicKey'), alg, kid)
}

interface VerifierOptions {
  allowed?: readonly Algorithm[]
  maxLength?: number
  keys?: readonly BoundKey[]
}

function verifierFor(alg: Algorithm, options: VerifierOptions = {}): SyncJWSVerifier {
  return new SyncJWSVerifier(
    options.keys ?? [boundFor(alg)],
    options.allowed ?? [alg],
    options.maxLength ?? 8192,
  )
}

const CLAIMS = { sub: 'alice', iat: 1_700_000_000, scope: 'read write' }

/** A valid token for `alg`, forged independently of our signer; overrides change any part. */
function tokenFor(alg: Algorithm, overrides: ForgeTokenOptions = {}): string {
  return forgeToken({
    header: { alg, typ: 'JWT' },
    payload: CLAIMS,
    key: pairFor(alg).privateKey,
    alg,
    ...overrides,
  })
}

// ---------------------------------------------------------------------------------------------
// Assertions.

type RejectionClass = typeof JWTDecodeError | typeof TokenInvalidSignatureError

/** Asserts that `verify` throws exactly `expected` (not a subclass) with a matching reason. */
function assertRejected(
  verifier: SyncJWSVerifier,
  token: string,
  expected: RejectionClass,
  reason?: RegExp,
): void {
  assert.throws(
    () => verifier.verify(token),
    (error: unknown) => {
      assert.ok(error instanceof Error, 'a non-Error was thrown')
      const actual = error as JWTDecodeError
      assert.equal(
        error.constructor,
        expected,
        `expected ${expected.name}, got ${error.constructor.name} (${String(actual.reason)})`,
      )
      if (reason !== undefined) assert.match(actual.reason ?? '', reason)
      return true
    },
  )
}

/** Returns the first token `make(n)` accepted by `accept`; the searches below end within a few tries. */
function search(make: (n: number) => string, accept: (token: string) => boolean): string {
  for (let n = 0; n < 5000; n++) {
    const candidate = make(n)
    if (accept(candidate)) return candidate
  }
  throw new Error('search: no candidate found')
}

/**
 * Deterministic, varied filler text, so `-`, `_` and every length mod 4 show up within a few
 * tries. Plain ASCII alone rarely encodes to `-` or `_` (those need six set bits that straddle a
 * byte's top bit), hence the `?`, `>`, `~` and `ÿ`.
 */
function filler(n: number): string {
  return (
    createHash('sha256')
      .update(String(n))
      .digest('base64')
      .slice(0, 4 + (n % 7)) + '?>~ÿ'.slice(0, n % 5)
  )
}

const HS = verifierFor('HS256')
const DECODE = JWTDecodeError
const SIGNATURE = TokenInvalidSignatureError

// ---------------------------------------------------------------------------------------------

describe('JWS structure', () => {
  it('accepts the well-formed HS256 token the other tests mutate', () => {
    const { header, payload, key } = HS.verify(tokenFor('HS256'))
    assert.deepEqual(header, { alg: 'HS256', typ: 'JWT' })
    assert.deepEqual(payload, CLAIMS)
    assert.equal(key.alg, 'HS256')
  })

  const [h, p, s] = splitToken(tokenFor('HS256'))
  const segmentCases: ReadonlyArray<[string, string, RegExp]> = [
    ['1 segment', h, /three non-empty segments/],
    ['2 segments', `${h}.${p}`, /three non-empty segments/],
    ['4 segments', `${h}.${p}.${s}.${s}`, /more than three segments/],
    ['4 segments, the last empty', `${h}.${p}.${s}.`, /more than three segments/],
    ['5 segments (JWE compact shape)', `${h}.${p}.${s}.${s}.${s}`, /more than three segments/],
    ['an empty header segment', `.${p}.${s}`, /three non-empty segments/],
    ['an empty payload segment', `${h}..${s}`, /three non-empty segments/],
    ['an empty signature segment', `${h}.${p}.`, /three non-empty segments/],
    ['only separators (..)', '..', /three non-empty segments/],
    ['only separators (...)', '...', /more than three segments|three non-empty/],
    ['an empty string', '', /empty/],
  ]
  for (const [name, token, reason] of segmentCases) {
    it(`rejects ${name} with JWTDecodeError`, () => {
      assertRejected(HS, token, DECODE, reason)
    })
  }

  it('rejects values that are not strings with JWTDecodeError', () => {
    for (const value of [undefined, null, 42, {}, ['a.b.c'], new String(tokenFor('HS256'))]) {
      assertRejected(HS, value as string, DECODE, /empty/)
    }
  })

  it('rejects a token with surrounding or inner whitespace', () => {
    const token = tokenFor('HS256')
    const [hh, pp, ss] = splitToken(token)
    for (const variant of [
      ` ${token}`,
      `${token}\n`,
      `${token} `,
      `${hh}.${pp}.${ss.slice(0, 10)}\r\n${ss.slice(10)}`,
      `${hh.slice(0, 5)} ${hh.slice(5)}.${pp}.${ss}`,
    ]) {
      assertRejected(HS, variant, DECODE, /not canonical base64url/)
    }
  })

  it('rejects the JWS JSON serialization (RFC 7515 section 7.2)', () => {
    const [hh, pp, ss] = splitToken(tokenFor('HS256'))
    const json = JSON.stringify({ payload: pp, protected: hh, signature: ss })
    assertRejected(HS, json, DECODE)
    const general = JSON.stringify({ payload: pp, signatures: [{ protected: hh, signature: ss }] })
    assertRejected(HS, general, DECODE)
  })

  it('rejects a nested JWT (cty: JWT) whose payload is a token, not a JSON object', () => {
    const inner = tokenFor('HS256')
    const raw = tokenFor('HS256', { header: { alg: 'HS256', cty: 'JWT' }, payload: inner })
    assertRejected(HS, raw, DECODE, /payload is not valid JSON/)
    const quoted = tokenFor('HS256', {
      header: { alg: 'HS256', cty: 'JWT' },
      payload: `"${inner}"`,
    })
    assertRejected(HS, quoted, DECODE, /payload is not a JSON object/)
  })

  it('rejects a token over maxLength and accepts one exactly at it', () => {
    const token = tokenFor('HS256')
    assert.deepEqual(
      verifierFor('HS256', { maxLength: token.length }).verify(token).payload,
      CLAIMS,
    )
    assertRejected(verifierFor('HS256', { maxLength: token.length - 1 }), token, DECODE, /size/)
  })

  it('rejects a 1 MiB token on its length, before decoding anything', () => {
    const huge = `${'A'.repeat(512 * 1024)}.${'A'.repeat(512 * 1024)}.AAAA`
    assertRejected(HS, huge, DECODE, /size limit/)
  })
})

describe('JWS base64url strictness', () => {
  /** Finds a header/payload whose encoding contains `char`, then spells it with `+ /`. */
  function offAlphabetCase(which: 'header' | 'payload', char: '-' | '_'): string {
    return search(
      (n) =>
        which === 'header'
          ? forgeSegment({ alg: 'HS256', typ: 'JWT', x: filler(n) })
          : forgeSegment({ ...CLAIMS, x: filler(n) }),
      (segment) => segment.includes(char),
    )
  }

  for (const which of ['header', 'payload'] as const) {
    for (const [char, standard] of [
      ['-', '+'],
      ['_', '/'],
    ] as const) {
      it(`rejects a ${which} spelled with "${standard}" (standard base64) though Node decodes it`, () => {
        const canonical = offAlphabetCase(which, char)
        const spelled = toStandardAlphabet(canonical)
        assert.ok(spelled.includes(standard))
        // Node's decoder reads both spellings as the same bytes: only our check tells them apart.
        assert.deepEqual(unb64url(spelled), unb64url(canonical))
        const token = forgeToken({
          alg: 'HS256',
          key: secret,
          ...(which === 'header'
            ? { rawHeader: spelled, payload: CLAIMS }
            : { header: { alg: 'HS256' }, rawPayload: spelled }),
        })
        assertRejected(HS, token, DECODE, new RegExp(`${which} is not canonical`))
      })
    }

    it(`rejects a ${which} with "=" padding`, () => {
      const canonical = search(
        (n) =>
          which === 'header'
            ? forgeSegment({ alg: 'HS256', x: filler(n) })
            : forgeSegment({ ...CLAIMS, x: filler(n) }),
        (segment) => segment.length % 4 !== 0,
      )
      const padded = addPadding(canonical)
      assert.ok(padded.endsWith('='))
      assert.deepEqual(unb64url(padded), unb64url(canonical))
      const token = forgeToken({
        alg: 'HS256',
        key: secret,
        ...(which === 'header'
          ? { rawHeader: padded, payload: CLAIMS }
          : { header: { alg: 'HS256' }, rawPayload: padded }),
      })
      assertRejected(HS, token, DECODE, new RegExp(`${which} is not canonical`))
    })

    it(`rejects a ${which} with non-canonical trailing bits`, () => {
      for (const unused of [2, 4]) {
        const canonical = search(
          (n) =>
            which === 'header'
              ? forgeSegment({ alg: 'HS256', x: filler(n) })
              : forgeSegment({ ...CLAIMS, x: filler(n) }),
          (segment) => unusedTrailingBits(segment) === unused,
        )
        const spelled = setTrailingBits(canonical)
        assert.notEqual(spelled, canonical)
        assert.deepEqual(unb64url(spelled), unb64url(canonical))
        const token = forgeToken({
          alg: 'HS256',
          key: secret,
          ...(which === 'header'
            ? { rawHeader: spelled, payload: CLAIMS }
            : { header: { alg: 'HS256' }, rawPayload: spelled }),
        })
        assertRejected(HS, token, DECODE, new RegExp(`${which} is not canonical`))
      }
    })
  }

  for (const alg of ALGORITHMS) {
    it(`${alg}: rejects a signature spelled with "+" or "/"`, () => {
      const verifier = verifierFor(alg)
      for (const [char, standard] of [
        ['-', '+'],
        ['_', '/'],
      ] as const) {
        const token = search(
          (n) => tokenFor(alg, { payload: { ...CLAIMS, n } }),
          (t) => splitToken(t)[2].includes(char),
        )
        const spelled = toStandardAlphabet(splitToken(token)[2])
        assert.ok(spelled.includes(standard))
        assert.deepEqual(unb64url(spelled), signatureOf(token))
        assertRejected(
          verifier,
          withSignature(token, spelled),
          DECODE,
          /signature is not canonical/,
        )
      }
    })

    it(`${alg}: rejects a signature with "=" padding`, () => {
      const token = tokenFor(alg)
      const segment = splitToken(token)[2]
      // When the signature length is a multiple of 3 no padding exists; a stray "=" must fail too.
      const padded = segment.length % 4 === 0 ? addPadding(segment, 1) : addPadding(segment)
      assert.deepEqual(unb64url(padded), signatureOf(token))
      assertRejected(
        verifierFor(alg),
        withSignature(token, padded),
        DECODE,
        /signature is not canonical/,
      )
    })
  }

  // Only signatures whose byte length is not a multiple of 3 end with unused bits.
  const withUnusedBits = ALGORITHMS.filter(
    (alg) => unusedTrailingBits(splitToken(tokenFor(alg))[2]) > 0,
  )
  it('has signature lengths with unused trailing bits for HS256, HS512, RS*, PS*, ES256, EdDSA', () => {
    assert.deepEqual(
      [...withUnusedBits],
      ALGORITHMS.filter((alg) => !['HS384', 'ES384', 'ES512'].includes(alg)),
    )
  })
  for (const alg of withUnusedBits) {
    it(`${alg}: rejects a signature with non-canonical trailing bits`, () => {
      const token = tokenFor(alg)
      const segment = splitToken(token)[2]
      const unused = unusedTrailingBits(segment)
      for (let mask = 1; mask < 1 << unused; mask++) {
        const spelled = setTrailingBits(segment, mask)
        assert.deepEqual(unb64url(spelled), signatureOf(token))
        assertRejected(
          verifierFor(alg),
          withSignature(token, spelled),
          DECODE,
          /signature is not canonical/,
        )
      }
    })
  }

  it('rejects a segment whose length is 1 mod 4 (an impossible base64 length)', () => {
    const [h, p, s] = splitToken(tokenFor('HS256'))
    assert.equal(s.length % 4, 3)
    assertRejected(HS, `${h}.${p}.${s}AA`, DECODE, /signature is not canonical/)
    const header = search(
      (n) => forgeSegment({ alg: 'HS256', x: filler(n) }),
      (segment) => segment.length % 4 === 0,
    )
    const token = forgeToken({
      rawHeader: `${header}A`,
      payload: CLAIMS,
      alg: 'HS256',
      key: secret,
    })
    assertRejected(HS, token, DECODE, /header is not canonical/)
  })

  it('rejects characters outside any base64 alphabet', () => {
    const [h, p, s] = splitToken(tokenFor('HS256'))
    for (const bad of ['*', '%', '!', 'é', '\u0000', '.'.replace('.', '$')]) {
      assertRejected(HS, `${h}.${p}.${s.slice(0, 5)}${bad}${s.slice(6)}`, DECODE, /not canonical/)
      assertRejected(HS, `${h.slice(0, 5)}${bad}${h.slice(6)}.${p}.${s}`, DECODE, /not canonical/)
    }
  })
})

describe('JWS header and payload decoding', () => {
  /** Invalid UTF-8 byte sequences, each inside a string value that is otherwise valid JSON. */
  const INVALID_UTF8: ReadonlyArray<[string, number[]]> = [
    ['a lone 0xFF byte', [0xff]],
    ['a lone continuation byte', [0x80]],
    ['an overlong "/" (C0 AF)', [0xc0, 0xaf]],
    ['a UTF-16 surrogate (ED A0 80)', [0xed, 0xa0, 0x80]],
    ['a truncated 3-byte sequence', [0xe2, 0x82]],
    ['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
  ]
  function withBytes(prefix: string, bytes: number[], suffix: string): Buffer {
    return Buffer.concat([Buffer.from(prefix), Buffer.from(bytes), Buffer.from(suffix)])
  }

  for (const [name, bytes] of INVALID_UTF8) {
    it(`rejects a header containing ${name}`, () => {
      const header = withBytes('{"alg":"HS256","x":"', bytes, '"}')
      // Decoding with replacement characters would have produced an acceptable header.
      assert.equal((JSON.parse(header.toString('utf8')) as JSONObject).alg, 'HS256')
      const token = forgeToken({ header, payload: CLAIMS, alg: 'HS256', key: secret })
      assertRejected(HS, token, DECODE, /header is not valid UTF-8/)
    })

    it(`rejects a payload containing ${name}, even correctly signed`, () => {
      const payload = withBytes('{"sub":"', bytes, '"}')
      const token = forgeToken({ header: { alg: 'HS256' }, payload, key: secret })
      assertRejected(HS, token, DECODE, /payload is not valid UTF-8/)
    })
  }

  it('accepts valid multi-byte UTF-8 in header and payload', () => {
    const token = tokenFor('HS256', {
      header: { alg: 'HS256', note: 'Zoë 🚀' },
      payload: { sub: 'Zoë', emoji: '🚀', cjk: '漢字' },
    })
    const { header, payload } = HS.verify(token)
    assert.equal(header.note, 'Zoë 🚀')
    assert.deepEqual(payload, { sub: 'Zoë', emoji: '🚀', cjk: '漢字' })
  })

  const NOT_OBJECTS: ReadonlyArray<[string, string]> = [
    ['an array holding the header', '[{"alg":"HS256"}]'],
    ['an empty array', '[]'],
    ['a string', '"HS256"'],
    ['a number', '1'],
    ['null', 'null'],
    ['true', 'true'],
  ]
  for (const [name, text] of NOT_OBJECTS) {
    it(`rejects a header that is ${name}`, () => {
      const token = forgeToken({ header: text, payload: CLAIMS, alg: 'HS256', key: secret })
      assertRejected(HS, token, DECODE, /header is not a JSON object/)
    })
    it(`rejects a payload that is ${name}`, () => {
      const token = forgeToken({ header: { alg: 'HS256' }, payload: text, key: secret })
      assertRejected(HS, token, DECODE, /payload is not a JSON object/)
    })
  }

  const INVALID_JSON: ReadonlyArray<[string, string]> = [
    ['an unterminated object', '{"alg":"HS256"'],
    ['single quotes', "{'alg':'HS256'}"],
    ['a trailing comma', '{"alg":"HS256",}'],
    ['an unquoted member name', '{alg:"HS256"}'],
    ['trailing garbage', '{"alg":"HS256"} x'],
    ['NaN', '{"alg":"HS256","n":NaN}'],
    ['a byte order mark (BOM)', '\uFEFF{"alg":"HS256"}'],
    ['a comment', '{"alg":"HS256" /* c */}'],
    ['not JSON at all', 'alg=HS256'],
  ]
  for (const [name, text] of INVALID_JSON) {
    it(`rejects a header with ${name}`, () => {
      const token = forgeToken({ header: text, payload: CLAIMS, alg: 'HS256', key: secret })
      assertRejected(HS, token, DECODE, /header is not valid JSON/)
    })
    it(`rejects a payload with ${name}`, () => {
      const token = forgeToken({ header: { alg: 'HS256' }, payload: text, key: secret })
      assertRejected(HS, token, DECODE, /payload is not valid JSON/)
    })
  }

  it('rejects a header encoded as UTF-16 (valid UTF-8 bytes, not JSON)', () => {
    const header = Buffer.from('{"alg":"HS256"}', 'utf16le')
    const token = forgeToken({ header, payload: CLAIMS, alg: 'HS256', key: secret })
    assertRejected(HS, token, DECODE, /header is not valid JSON/)
  })

  it('duplicate header members: the last alg wins ("none" first, HS256 last is accepted)', () => {
    const token = forgeToken({
      header: '{"alg":"none","alg":"HS256"}',
      payload: CLAIMS,
      alg: 'HS256',
      key: secret,
    })
    assert.equal(HS.verify(token).header.alg, 'HS256')
  })

  it('duplicate header members: the last alg wins (HS256 first, "none" last is rejected)', () => {
    const token = forgeToken({
      header: '{"alg":"HS256","alg":"none"}',
      payload: CLAIMS,
      alg: 'HS256',
      key: secret,
    })
    assertRejected(HS, token, DECODE, /algorithm none is not allowed/)
  })

  it('duplicate payload members: the last value is the one returned', () => {
    const token = forgeToken({
      header: { alg: 'HS256' },
      payload: '{"sub":"alice","admin":true,"sub":"mallory","admin":false}',
      key: secret,
    })
    assert.deepEqual(HS.verify(token).payload, { sub: 'mallory', admin: false })
  })

  it('duplicate kid members: the last kid selects the key', () => {
    const one = createSecretKey(randomBytes(32))
    const two = createSecretKey(randomBytes(32))
    const verifier = new SyncJWSVerifier(
      [bindKey(one, 'HS256', 'one'), bindKey(two, 'HS256', 'two')],
      ['HS256'],
      8192,
    )
    const header = '{"alg":"HS256","kid":"one","kid":"two"}'
    const byTwo = forgeToken({ header, payload: CLAIMS, alg: 'HS256', key: two })
    assert.equal(verifier.verify(byTwo).key.kid, 'two')
    const byOne = forgeToken({ header, payload: CLAIMS, alg: 'HS256', key: one })
    assertRejected(verifier, byOne, SIGNATURE)
  })

  it('a "__proto__" member in header or payload is plain data, never a prototype', () => {
    const token = forgeToken({
      header: '{"alg":"HS256","__proto__":{"alg":"none","kid":"x"}}',
      payload:
        '{"sub":"alice","__proto__":{"admin":true},"constructor":{"prototype":{"admin":true}}}',
      key: secret,
      alg: 'HS256',
    })
    const { header, payload } = HS.verify(token)
    assert.equal(Object.getPrototypeOf(header), Object.prototype)
    assert.equal(Object.getPrototypeOf(payload), Object.prototype)
    assert.equal(header.alg, 'HS256')
    assert.equal(header.kid, undefined)
    assert.equal(payload.admin, undefined)
    assert.equal(({} as Record<string, unknown>).admin, undefined)
  })

  it('checks the signature before decoding the payload', () => {
    const badSignature = Buffer.alloc(32, 7)
    for (const payload of [
      'not json',
      '[1]',
      Buffer.from([0x7b, 0xff, 0x7d]),
    ] as SegmentContent[]) {
      const token = forgeToken({ header: { alg: 'HS256' }, payload, signature: badSignature })
      assertRejected(HS, token, SIGNATURE)
    }
    const offAlphabet = forgeToken({
      header: { alg: 'HS256' },
      rawPayload: 'e30+',
      signature: badSignature,
    })
    assertRejected(HS, offAlphabet, SIGNATURE)
  })

  it('returns a frozen header (it is shared through the header cache)', () => {
    const { header } = HS.verify(tokenFor('HS256'))
    assert.ok(Object.isFrozen(header))
    const again = HS.verify(tokenFor('HS256', { payload: { sub: 'bob' } }))
    assert.equal(again.header, header)
  })

  it('a cached header never spares a later token its signature check', () => {
    const token = tokenFor('HS256')
    void HS.verify(token)
    assertRejected(HS, withSignature(token, Buffer.alloc(32)), SIGNATURE)
    assertRejected(HS, flipSegmentBit(token, 1, 3), SIGNATURE)
  })

  it('keeps working after more distinct headers than the cache holds', () => {
    const verifier = verifierFor('HS256')
    for (let i = 0; i < 200; i++) {
      const token = tokenFor('HS256', { header: { alg: 'HS256', i } })
      assert.equal(verifier.verify(token).header.i, i)
      assertRejected(verifier, withSignature(token, Buffer.alloc(32)), SIGNATURE)
    }
  })
})

describe('JWS algorithm rules', () => {
  for (const none of ['none', 'NONE', 'nOnE', 'None']) {
    it(`rejects alg "${none}" with an empty signature`, () => {
      const token = forgeToken({ header: { alg: none }, payload: CLAIMS })
      assert.ok(token.endsWith('.'))
      assertRejected(HS, token, DECODE, /three non-empty segments/)
    })

    it(`rejects alg "${none}" with a signature, even when every algorithm is allowed`, () => {
      const verifier = new SyncJWSVerifier(
        [boundFor('HS256'), boundFor('RS256'), boundFor('ES256'), boundFor('EdDSA')],
        ALGORITHMS,
        8192,
      )
      for (const signature of ['AAAA', b64url(randomBytes(32))]) {
        const token = forgeToken({ header: { alg: none }, payload: CLAIMS, signature })
        assertRejected(verifier, token, DECODE, /is not allowed/)
      }
      const hmac = forgeToken({ header: { alg: none }, payload: CLAIMS, alg: 'HS256', key: secret })
      assertRejected(verifier, hmac, DECODE, /is not allowed/)
    })
  }

  it('cannot verify "none" even if a type cast smuggles it into the allowlist', () => {
    const verifier = new SyncJWSVerifier([boundFor('HS256')], ['none' as Algorithm], 8192)
    assertRejected(
      verifier,
      forgeToken({ header: { alg: 'none' }, payload: CLAIMS, signature: 'AAAA' }),
      SIGNATURE,
    )
  })

  const NOT_ALLOWED: ReadonlyArray<[Algorithm, string, Algorithm]> = [
    ['HS256', 'HS384', 'HS384'],
    ['HS256', 'HS512', 'HS512'],
    ['RS256', 'PS256', 'PS256'],
    ['RS256', 'RS512', 'RS512'],
    ['PS256', 'RS256', 'RS256'],
    ['ES256', 'ES384', 'ES256'],
    ['ES512', 'ES256', 'ES512'],
  ]
  for (const [configured, headerAlg, signer] of NOT_ALLOWED) {
    it(`rejects a ${headerAlg} token at a ${configured} verifier (alg not allowed)`, () => {
      const token = forgeToken({
        header: { alg: headerAlg },
        payload: CLAIMS,
        alg: signer,
        key: pairFor(signer).privateKey,
      })
      assertRejected(verifierFor(configured), token, DECODE, /is not allowed/)
    })
  }

  for (const spelled of ['hs256', 'Hs256', ' HS256', 'HS256 ', 'HS256\u0000', 'HS 256', '']) {
    it(`rejects alg ${JSON.stringify(spelled)} (exact match only)`, () => {
      const token = forgeToken({
        header: { alg: spelled },
        payload: CLAIMS,
        alg: 'HS256',
        key: secret,
      })
      assertRejected(HS, token, DECODE, /is not allowed/)
    })
  }

  it('rejects JOSE names we do not implement (Ed25519, ES256K, RS1, HS1)', () => {
    for (const alg of ['Ed25519', 'Ed448', 'ES256K', 'RS1', 'HS1']) {
      const verifier = new SyncJWSVerifier([boundFor('EdDSA')], ['EdDSA'], 8192)
      const token = forgeToken({
        header: { alg },
        payload: CLAIMS,
        alg: 'EdDSA',
        key: ed.privateKey,
      })
      assertRejected(verifier, token, DECODE, /is not allowed/)
    }
  })

  const BAD_ALGS: ReadonlyArray<[string, string]> = [
    ['missing', '{"typ":"JWT"}'],
    ['an empty header object', '{}'],
    ['a number', '{"alg":256}'],
    ['null', '{"alg":null}'],
    ['true', '{"alg":true}'],
    ['an array', '{"alg":["HS256"]}'],
    ['an object', '{"alg":{"name":"HS256"}}'],
  ]
  for (const [name, header] of BAD_ALGS) {
    it(`rejects a header whose alg is ${name}`, () => {
      const token = forgeToken({ header, payload: CLAIMS, alg: 'HS256', key: secret })
      assertRejected(HS, token, DECODE, /header has no alg/)
    })
  }

  it('an allowed alg with no key bound to it fails as a signature error', () => {
    const verifier = new SyncJWSVerifier([boundFor('HS256')], ['HS256', 'RS256'], 8192)
    assertRejected(verifier, tokenFor('RS256'), SIGNATURE)
  })

  it('a signature valid under one binding does not verify a token naming another alg', () => {
    // An RS256 signature under a header that says HS256: only HS256 bindings may be tried.
    const verifier = new SyncJWSVerifier(
      [boundFor('RS256'), boundFor('HS256')],
      ['RS256', 'HS256'],
      8192,
    )
    const token = forgeToken({
      header: { alg: 'HS256' },
      payload: CLAIMS,
      alg: 'RS256',
      key: rsa.privateKey,
    })
    assertRejected(verifier, token, SIGNATURE)
  })

  it('the header alg selects among bindings and never re-purposes a key (RS256 key, PS256 token)', () => {
    // Same RSA key pair, both algorithms allowed, but the key is bound to RS256 only.
    const verifier = new SyncJWSVerifier([boundFor('RS256')], ['RS256', 'PS256'], 8192)
    assertRejected(verifier, tokenFor('PS256'), SIGNATURE)
    assert.deepEqual(verifier.verify(tokenFor('RS256')).payload, CLAIMS)
  })
})

describe('JWS header members that are never honoured', () => {
  const REFUSED: ReadonlyArray<[string, Record<string, unknown>, RegExp]> = [
    ['crit naming a header', { alg: 'HS256', crit: ['exp'], exp: 1 }, /crit/],
    ['an empty crit', { alg: 'HS256', crit: [] }, /crit/],
    ['crit as a string', { alg: 'HS256', crit: 'b64' }, /crit/],
    ['crit: null', { alg: 'HS256', crit: null }, /crit/],
    ['b64: false (RFC 7797)', { alg: 'HS256', b64: false }, /b64/],
    ['b64: true', { alg: 'HS256', b64: true }, /b64/],
    ['b64 with crit', { alg: 'HS256', b64: false, crit: ['b64'] }, /crit/],
    ['zip: DEF', { alg: 'HS256', zip: 'DEF' }, /zip/],
    ['enc (a JWE header)', { alg: 'HS256', enc: 'A256GCM' }, /enc/],
  ]
  for (const [name, header, reason] of REFUSED) {
    it(`rejects ${name}`, () => {
      assertRejected(HS, tokenFor('HS256', { header }), DECODE, reason)
    })
  }

  it('rejects a JWE compact token (5 segments) before looking at it', () => {
    const jwe = [forgeSegment({ alg: 'dir', enc: 'A256GCM' }), '', b64url(randomBytes(12))]
    const token = [...jwe, b64url(randomBytes(40)), b64url(randomBytes(16))].join('.')
    assertRejected(HS, token, DECODE)
  })

  const NON_STRING_KIDS: ReadonlyArray<[string, unknown]> = [
    ['a number', 1],
    ['null', null],
    ['true', true],
    ['an array', ['one']],
    ['an object', { toString: 'one' }],
  ]
  for (const [name, kid] of NON_STRING_KIDS) {
    it(`rejects a kid that is ${name}`, () => {
      assertRejected(HS, tokenFor('HS256', { header: { alg: 'HS256', kid } }), DECODE, /kid/)
    })
  }

  // An attacker signs with their own key and ships it (or a pointer to it) in the header.
  const ATTACKER_HEADERS: ReadonlyArray<[string, (alg: Algorithm) => Record<string, unknown>]> = [
    ['an embedded jwk', (alg) => ({ jwk: attackerJWK(alg) })],
    ['a jku URL', () => ({ jku: 'https://attacker.example/.well-known/jwks.json' })],
    ['an x5u URL', () => ({ x5u: 'https://attacker.example/cert.pem' })],
    ['an x5c chain', (alg) => ({ x5c: [attackerDER(alg)] })],
    [
      'jwk, jku, x5u and x5c at once',
      (alg) => ({
        jwk: attackerJWK(alg),
        jku: 'https://attacker.example/jwks.json',
        x5u: 'https://attacker.example/cert.pem',
        x5c: [attackerDER(alg)],
      }),
    ],
  ]
  function attackerJWK(alg: Algorithm): JSONObject {
    if (alg.startsWith('HS'))
      return { kty: 'oct', k: attackerSecret.export().toString('base64url') }
    return pairFor(alg, true).publicKey.export({ format: 'jwk' })
  }
  // Stands in for a certificate: the engine must not parse it at all.
  function attackerDER(alg: Algorithm): string {
    if (alg.startsWith('HS')) return attackerSecret.export().toString('base64')
    return pairFor(alg, true).publicKey.export({ format: 'der', type: 'spki' }).toString('base64')
  }

  for (const alg of ['HS256', 'RS256', 'PS256', 'ES256', 'EdDSA'] as const) {
    for (const [name, extra] of ATTACKER_HEADERS) {
      it(`${alg}: a token signed by the attacker's key with ${name} is rejected, nothing fetched`, () => {
        const originalFetch = globalThis.fetch
        let fetched = 0
        globalThis.fetch = () => {
          fetched++
          return Promise.reject(new Error('no network in tests'))
        }
        try {
          const token = forgeToken({
            header: { alg, kid: 'attacker', ...extra(alg) },
            payload: { ...CLAIMS, sub: 'admin' },
            alg,
            key: pairFor(alg, true).privateKey,
          })
          assertRejected(verifierFor(alg), token, SIGNATURE)
        } finally {
          globalThis.fetch = originalFetch
        }
        assert.equal(fetched, 0)
      })
    }
  }

  it('the same members on a token signed by the configured key are inert', () => {
    for (const alg of ['HS256', 'RS256', 'ES256', 'EdDSA'] as const) {
      const token = tokenFor(alg, {
        header: { alg, jwk: attackerJWK(alg), jku: 'https://attacker.example/jwks.json' },
      })
      const { header, key } = verifierFor(alg).verify(token)
      assert.deepEqual(header.jwk, attackerJWK(alg))
      assert.equal(key.key, boundFor(alg).key)
    }
  })
})

describe('JWS kid selection', () => {
  const one = createSecretKey(randomBytes(32))
  const two = createSecretKey(randomBytes(32))
  const keyed = new SyncJWSVerifier(
    [bindKey(one, 'HS256', 'one'), bindKey(two, 'HS256', 'two')],
    ['HS256'],
    8192,
  )
  const signed = (kid: unknown, key: KeyObject): string =>
    forgeToken({
      header: kid === undefined ? { alg: 'HS256' } : { alg: 'HS256', kid },
      payload: CLAIMS,
      key,
    })

  it('with kids configured, the token kid selects its key', () => {
    assert.equal(keyed.verify(signed('one', one)).key.kid, 'one')
    assert.equal(keyed.verify(signed('two', two)).key.kid, 'two')
  })

  it('with kids configured, a kid naming the other key is a signature error (no trial of others)', () => {
    assertRejected(keyed, signed('one', two), SIGNATURE)
    assertRejected(keyed, signed('two', one), SIGNATURE)
  })

  for (const kid of [
    'three',
    '',
    'ONE',
    '../../../../etc/passwd',
    "' OR '1'='1' --",
    '__proto__',
    'constructor',
    'toString',
    'one\u0000',
  ]) {
    it(`with kids configured, unknown kid ${JSON.stringify(kid)} is a signature error`, () => {
      assertRejected(keyed, signed(kid, one), SIGNATURE)
    })
  }

  it('with kids configured, a token without kid is tried against every key of its alg', () => {
    assert.equal(keyed.verify(signed(undefined, two)).key.kid, 'two')
  })

  it('without kids configured, a token kid is ignored', () => {
    assert.deepEqual(HS.verify(signed('whatever', secret)).payload, CLAIMS)
  })

  it('a kid never reaches a key bound to another algorithm', () => {
    const mixed = new SyncJWSVerifier(
      [bindKey(secret, 'HS256', 'hmac'), boundFor('RS256', 'rsa')],
      ['HS256', 'RS256'],
      8192,
    )
    const pem = rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string
    const forged = forgeToken({ header: { alg: 'HS256', kid: 'rsa' }, payload: CLAIMS, key: pem })
    assertRejected(mixed, forged, SIGNATURE)
    assert.equal(
      mixed.verify(tokenFor('RS256', { header: { alg: 'RS256', kid: 'rsa' } })).key.kid,
      'rsa',
    )
  })
})

describe('JWS public key used as an HMAC secret (CVE-2015-9235 family)', () => {
  const asymmetric: ReadonlyArray<[Algorithm, KeyObject]> = [
    ['RS256', rsa.publicKey],
    ['PS256', rsa.publicKey],
    ['ES256', ec.ES256.publicKey],
    ['ES512', ec.ES512.publicKey],
    ['EdDSA', ed.publicKey],
  ]
  function encodings(publicKey: KeyObject): Array<[string, string | Buffer]> {
    const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string
    const der = publicKey.export({ type: 'spki', format: 'der' })
    const jwk = publicKey.export({ format: 'jwk' })
    const list: Array<[string, string | Buffer]> = [
      ['SPKI PEM', pem],
      ['SPKI PEM with leading whitespace', `\n  ${pem}`],
      ['SPKI PEM without its final newline', pem.trimEnd()],
      ['SPKI PEM with CRLF line ends', pem.replaceAll('\n', '\r\n')],
      ['SPKI PEM with a comment line', `# key\n${pem}`],
      ['SPKI PEM body without armor', pem.split('\n').slice(1, -2).join('')],
      ['SPKI DER', der],
      ['JWK serialised as JSON', JSON.stringify(jwk)],
      ['JWK with members sorted', JSON.stringify(Object.fromEntries(Object.entries(jwk).sort()))],
    ]
    if (publicKey.asymmetricKeyType === 'rsa') {
      list.push(['PKCS#1 PEM', publicKey.export({ type: 'pkcs1', format: 'pem' })])
      list.push(['PKCS#1 DER', publicKey.export({ type: 'pkcs1', format: 'der' })])
    }
    return list
  }

  for (const [alg, publicKey] of asymmetric) {
    for (const [name, material] of encodings(publicKey)) {
      it(`${alg} verifier: an HS256 token keyed with the public key as ${name} is rejected`, () => {
        const token = forgeToken({
          header: { alg: 'HS256', typ: 'JWT' },
          payload: { ...CLAIMS, sub: 'admin' },
          key: material,
        })
        // Only the asymmetric algorithm allowed: the alg check stops it.
        assertRejected(verifierFor(alg), token, DECODE, /algorithm HS256 is not allowed/)
        // HS256 allowed too (with its own secret): the key binding stops it.
        const both = new SyncJWSVerifier([boundFor(alg), boundFor('HS256')], [alg, 'HS256'], 8192)
        assertRejected(both, token, SIGNATURE)
      })
    }
  }
})

describe('JWS signature edge cases', () => {
  for (const alg of EC_ALGORITHMS) {
    const verifier = verifierFor(alg)
    const n = CURVE_ORDERS[alg]

    it(`${alg}: rejects the all-zero signature r = s = 0 (CVE-2022-21449)`, () => {
      const token = tokenFor(alg, { signature: ecdsaSignature(alg, 0n, 0n) })
      assert.ok(signatureOf(token).every((byte) => byte === 0))
      assertRejected(verifier, token, SIGNATURE)
    })

    it(`${alg}: rejects out-of-range r and s (0, n, n+1, all ones)`, () => {
      const good = signatureOf(tokenFor(alg))
      const size = good.length / 2
      const r = bytesToBigInt(good.subarray(0, size))
      const s = bytesToBigInt(good.subarray(size))
      const allOnes = 2n ** BigInt(size * 8) - 1n
      const cases: Array<[bigint, bigint]> = [
        [0n, s],
        [r, 0n],
        [n, n],
        [r + n, s],
        [r, s + n],
        [r, n + 1n],
        [allOnes, allOnes],
        [1n, 1n],
      ]
      for (const [cr, cs] of cases) {
        if (cr > allOnes || cs > allOnes) continue
        assertRejected(
          verifier,
          tokenFor(alg, { signature: ecdsaSignature(alg, cr, cs) }),
          SIGNATURE,
        )
      }
    })

    it(`${alg}: rejects a DER-encoded signature (JWS requires R||S)`, () => {
      const token = tokenFor(alg)
      const der = p1363ToDer(signatureOf(token))
      assert.equal(der[0], 0x30)
      assert.notEqual(der.length, signatureOf(token).length)
      assertRejected(verifier, withSignature(token, der), SIGNATURE)
      // And one produced by node:crypto with dsaEncoding 'der'.
      assertRejected(verifier, tokenFor(alg, { dsaEncoding: 'der' }), SIGNATURE)
    })

    it(`${alg}: accepts the high-S twin (r, n - s), as RFC 7518 and WebCrypto do`, async () => {
      const token = tokenFor(alg)
      const twin = withSignature(token, negateS(alg, signatureOf(token)))
      assert.notEqual(isHighS(alg, signatureOf(token)), isHighS(alg, signatureOf(twin)))
      assert.deepEqual(verifier.verify(twin).payload, CLAIMS)
      const viaJose = await jose.compactVerify(twin, ec[alg].publicKey, { algorithms: [alg] })
      assert.equal(viaJose.protectedHeader.alg, alg)
    })

    it(`${alg}: rejects a signature with a leading or trailing zero byte`, () => {
      const token = tokenFor(alg)
      const signature = signatureOf(token)
      assertRejected(
        verifier,
        withSignature(token, Buffer.concat([Buffer.of(0), signature])),
        SIGNATURE,
      )
      assertRejected(verifier, extendSignature(token, 1), SIGNATURE)
    })

    it(`${alg}: rejects R and S swapped`, () => {
      const token = tokenFor(alg)
      const signature = signatureOf(token)
      const half = signature.length / 2
      const swapped = Buffer.concat([signature.subarray(half), signature.subarray(0, half)])
      assertRejected(verifier, withSignature(token, swapped), SIGNATURE)
    })
  }

  it('EdDSA: rejects the malleated signature S + L (RFC 8032 requires S < L)', async () => {
    const token = tokenFor('EdDSA')
    const malleated = withSignature(token, malleateEd25519(signatureOf(token)))
    assertRejected(verifierFor('EdDSA'), malleated, SIGNATURE)
    await assert.rejects(jose.compactVerify(malleated, ed.publicKey))
  })

  it('EdDSA: rejects the all-zero and the identity-point signatures', () => {
    const token = tokenFor('EdDSA')
    const identity = Buffer.concat([Buffer.of(1), Buffer.alloc(63)])
    for (const signature of [Buffer.alloc(64), identity]) {
      assertRejected(verifierFor('EdDSA'), withSignature(token, signature), SIGNATURE)
    }
  })

  for (const alg of ['RS256', 'PS256'] as const) {
    it(`${alg}: rejects signature + n, zero, one and all-ones signatures`, () => {
      const token = tokenFor(alg)
      const modulus = bytesToBigInt(
        Buffer.from(rsa.publicKey.export({ format: 'jwk' }).n as string, 'base64url'),
      )
      const s = bytesToBigInt(signatureOf(token))
      for (const signature of [
        bigIntToBytes(s + modulus, 257),
        Buffer.alloc(256),
        bigIntToBytes(1n, 256),
        Buffer.alloc(256, 0xff),
        bigIntToBytes(modulus, 256),
        bigIntToBytes(modulus - 1n, 256),
      ]) {
        assertRejected(verifierFor(alg), withSignature(token, signature), SIGNATURE)
      }
    })
  }

  for (const alg of ALGORITHMS) {
    it(`${alg}: rejects truncated and extended signatures`, () => {
      const verifier = verifierFor(alg)
      const token = tokenFor(alg)
      const length = signatureOf(token).length
      for (const drop of [1, 2, Math.floor(length / 2), length - 1]) {
        assertRejected(verifier, truncateSignature(token, drop), SIGNATURE)
      }
      assertRejected(verifier, extendSignature(token, 1), SIGNATURE)
      assertRejected(verifier, extendSignature(token, signatureOf(token)), SIGNATURE)
      assertRejected(verifier, extendSignature(token, Buffer.from('garbage')), SIGNATURE)
    })

    it(`${alg}: rejects a token signed by another key of the same kind`, () => {
      const token = forgeToken({
        header: { alg, typ: 'JWT' },
        payload: CLAIMS,
        alg,
        key: pairFor(alg, true).privateKey,
      })
      assertRejected(verifierFor(alg), token, SIGNATURE)
    })

    it(`${alg}: rejects a signature moved onto another payload`, () => {
      const original = tokenFor(alg)
      const other = tokenFor(alg, { payload: { ...CLAIMS, sub: 'mallory' } })
      assertRejected(verifierFor(alg), withSignature(other, splitToken(original)[2]), SIGNATURE)
    })
  }
})

describe('JWS bit flips', () => {
  // Public-key verification is costly (P-521 takes milliseconds), so for RSA and P-384/P-521 the
  // positions are sampled: always the first and last 16, then every `stride`-th (strides coprime
  // with 8, so every bit position within a byte is hit). HMAC, ES256 and EdDSA try them all.
  const STRIDE: Partial<Record<Algorithm, number>> = {
    RS256: 3,
    RS384: 3,
    RS512: 3,
    PS256: 3,
    PS384: 3,
    PS512: 3,
    ES384: 5,
    ES512: 11,
  }
  function positions(alg: Algorithm, count: number): number[] {
    const stride = STRIDE[alg] ?? 1
    return Array.from({ length: count }, (_, i) => i).filter(
      (i) => i < 16 || i >= count - 16 || i % stride === 0,
    )
  }

  for (const alg of ALGORITHMS) {
    it(`${alg}: every flipped bit of the decoded header, payload and signature is rejected`, () => {
      const verifier = verifierFor(alg)
      const token = tokenFor(alg)
      assert.deepEqual(verifier.verify(token).payload, CLAIMS)
      const [h, p, s] = splitToken(token).map((segment) => unb64url(segment).length * 8) as [
        number,
        number,
        number,
      ]
      const seen = { decode: 0, signature: 0 }
      for (const bit of positions(alg, h)) {
        // A header flip breaks its JSON, its alg, or only its bytes (then the signature fails).
        assert.throws(
          () => verifier.verify(flipSegmentBit(token, 0, bit)),
          (error: unknown) => {
            const exact = (error as Error).constructor
            assert.ok(exact === DECODE || exact === SIGNATURE, `bit ${bit}: ${String(error)}`)
            seen[exact === DECODE ? 'decode' : 'signature']++
            return true
          },
        )
      }
      assert.ok(seen.decode > 0 && seen.signature > 0)
      // The payload is only decoded after the signature: every payload flip is a signature error.
      for (const bit of positions(alg, p)) {
        assertRejected(verifier, flipSegmentBit(token, 1, bit), SIGNATURE)
      }
      for (const bit of positions(alg, s)) {
        assertRejected(verifier, flipSegmentBit(token, 2, bit), SIGNATURE)
      }
    })

    it(`${alg}: every flipped bit of every token character is rejected`, () => {
      const verifier = verifierFor(alg)
      const token = tokenFor(alg)
      for (const index of positions(alg, token.length)) {
        // Bit 0 and 2 change the letter, bit 5 its case, bit 3 can reach "+ / = ." or controls, bit
        // 7 leaves ASCII; together they cover every kind of character substitution.
        for (const bit of [0, 2, 3, 5, 7]) {
          const mutated = flipCharBit(token, index, bit)
          assert.throws(
            () => verifier.verify(mutated),
            (error: unknown) => {
              const exact = (error as Error).constructor
              assert.ok(
                exact === DECODE || exact === SIGNATURE,
                `${index}/${bit}: ${String(error)}`,
              )
              return true
            },
            `char ${index} bit ${bit} was accepted`,
          )
        }
      }
    })
  }
})

describe('JWS round trips with jose', () => {
  for (const alg of ALGORITHMS) {
    const { privateKey, publicKey } = pairFor(alg)

    it(`${alg}: a token from signCompact verifies with jose.compactVerify and jose.jwtVerify`, async () => {
      const bound = bindKey(importSignKey(privateKey, alg, 'privateKey'), alg, undefined)
      const token = signCompact(bound, encodeSegment({ alg, typ: 'JWT' }), CLAIMS)
      const compact = await jose.compactVerify(token, publicKey, { algorithms: [alg] })
      assert.deepEqual(JSON.parse(Buffer.from(compact.payload).toString('utf8')), CLAIMS)
      const jwt = await jose.jwtVerify(token, publicKey, { algorithms: [alg] })
      assert.deepEqual(jwt.payload, CLAIMS)
      assert.deepEqual(jwt.protectedHeader, { alg, typ: 'JWT' })
      // And our own verifier, for symmetry.
      assert.deepEqual(verifierFor(alg).verify(token).payload, CLAIMS)
    })

    it(`${alg}: a token from jose.SignJWT verifies with JWSVerifier`, async () => {
      const token = await new jose.SignJWT(CLAIMS)
        .setProtectedHeader({ alg, typ: 'JWT', kid: 'jose' })
        .sign(privateKey)
      const { header, payload, key } = verifierFor(alg).verify(token)
      assert.deepEqual(payload, CLAIMS)
      assert.deepEqual(header, { alg, typ: 'JWT', kid: 'jose' })
      assert.equal(key.alg, alg)
    })
  }

  it('the forge helper signs exactly as jose does for deterministic algorithms', async () => {
    for (const alg of ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'EdDSA'] as const) {
      const { privateKey } = pairFor(alg)
      const viaJose = await new jose.CompactSign(segmentBytes(CLAIMS))
        .setProtectedHeader({ alg })
        .sign(privateKey)
      const viaForge = forgeToken({ header: { alg }, payload: CLAIMS, key: privateKey, alg })
      assert.equal(viaForge, viaJose)
      assert.equal(rawSegment(JSON.stringify(CLAIMS)), splitToken(viaForge)[1])
    }
  })
})
