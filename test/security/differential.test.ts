/**
 * Differential testing against jose, the independent oracle (DESIGN §6): on valid, mutated,
 * re-spelled and arbitrarily re-signed tokens of every algorithm family, `auth.verifyTokenSync`
 * and `jose.jwtVerify` (same key, same algorithm list, same clock, no tolerance) agree on accept
 * or reject. Where they legitimately differ, authx-ts is the stricter one, for a reason listed in
 * {@link DIFFERENCES}; a token jose rejects and we accept fails the suite.
 */
import assert from 'node:assert/strict'
import type { KeyObject } from 'node:crypto'
import { before, describe, test } from 'node:test'
import fc from 'fast-check'
import * as jose from 'jose'
import { AuthX } from '../../src/authx.ts'
import type { Algorithm } from '../../src/token/keys.ts'
import {
  addPadding,
  forgeToken,
  setTrailingBits,
  splitToken,
  unusedTrailingBits,
} from '../helpers/forge.ts'
import type { ForgeAlgorithm } from '../helpers/forge.ts'
import { NOW, SECRET, baseClaims } from '../helpers/http-invariants.ts'
import { ed25519, p256, rsa } from './fixtures.ts'
import { mutate, mutationArb } from './fuzz-properties.ts'

/** Why authx-ts may reject a token jose accepts. Each is deliberate hardening. */
export const DIFFERENCES = {
  'non-canonical base64url':
    'RFC 7515 §2 allows one spelling; jose accepts "=" padding and non-zero trailing bits, so the same token has several spellings (DESIGN §6 strict parsing).',
  'time claim not finite':
    'RFC 7519 §2 NumericDate: exp = 1e400 parses to Infinity, which jose accepts on verification (a token that never expires); we require finite numbers.',
  'refused header member (b64, zip, enc, crit)':
    'RFC 7797 b64 without crit, zip and enc are processing changes jose ignores on a JWS; we support none of them and refuse rather than ignore.',
  'kid is not a string':
    'RFC 7515 §4.1.4: kid is a string; jose never reads kid in jwtVerify with a fixed key.',
  'no exp':
    'RFC 8725 §3.10 practice: a token without exp lives forever; we require exp unless the lifetime is configured null (jose needs requiredClaims for that).',
  'aud present but no audience configured':
    'RFC 7519 §4.1.3: a token for a named audience must be rejected by a verifier that is not in it; jose only checks aud when an audience option is given.',
  'iat in the future':
    'RFC 7519 §4.1.6 leaves it to the application; we refuse tokens issued in the future (clock attacks); jose only reads iat for maxTokenAge.',
  'identity or AuthX claim mistyped':
    'sub must be a string (and present), jti/type/csrf strings, fresh a boolean, scopes an array of strings, iss a string: claims authx-ts reads are type-checked; jose checks only those named in its options.',
  'token exceeds maxTokenLength':
    'RFC 8725 §4 resource limits: tokens over 8192 characters are refused before parsing; jose has no cap.',
} as const

type Difference = keyof typeof DIFFERENCES

const segmentCanonical = (s: string): boolean =>
  Buffer.from(s, 'base64url').toString('base64url') === s

function decodeJSON(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'))
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}

/**
 * Explains why we rejected a token jose accepted, or returns undefined when no listed difference
 * applies (which is a failure).
 *
 * @param token - the token both verifiers saw
 */
export function classify(token: string): Difference | undefined {
  if (token.length > 8192) return 'token exceeds maxTokenLength'
  const parts = token.split('.')
  if (parts.length !== 3) return undefined
  const [h, p] = parts as [string, string, string]
  if (!parts.every(segmentCanonical)) return 'non-canonical base64url'
  const header = decodeJSON(h)
  const payload = decodeJSON(p)
  if (header === undefined || payload === undefined) return undefined
  if (['b64', 'zip', 'enc', 'crit'].some((n) => Object.hasOwn(header, n)))
    return 'refused header member (b64, zip, enc, crit)'
  if (header.kid !== undefined && typeof header.kid !== 'string') return 'kid is not a string'
  if (['exp', 'nbf', 'iat'].some((n) => payload[n] === Infinity || payload[n] === -Infinity))
    return 'time claim not finite'
  if (payload.exp === undefined) return 'no exp'
  const aud = payload.aud
  if (aud !== undefined && !(Array.isArray(aud) && aud.length === 0))
    return 'aud present but no audience configured'
  if (typeof payload.iat === 'number' && payload.iat > NOW) return 'iat in the future'
  const typed =
    typeof payload.sub === 'string' &&
    ['jti', 'type', 'csrf', 'iss'].every(
      (n) => payload[n] === undefined || typeof payload[n] === 'string',
    ) &&
    (payload.fresh === undefined || typeof payload.fresh === 'boolean') &&
    (payload.scopes === undefined ||
      (Array.isArray(payload.scopes) && payload.scopes.every((s) => typeof s === 'string')))
  if (!typed) return 'identity or AuthX claim mistyped'
  return undefined
}

interface Engine {
  alg: Algorithm
  auth: AuthX
  signKey: KeyObject | string
  joseKey: KeyObject | Uint8Array
}

function ours(engine: Engine, token: string): boolean {
  try {
    engine.auth.verifyTokenSync(token, { verifyType: false })
    return true
  } catch {
    return false
  }
}

async function theirs(engine: Engine, token: string): Promise<boolean> {
  try {
    await jose.jwtVerify(token, engine.joseKey, {
      algorithms: [engine.alg],
      currentDate: new Date(NOW * 1000),
      clockTolerance: 0,
    })
    return true
  } catch {
    return false
  }
}

/** Observed differences, by reason, reported in the test output. */
const observed = new Map<Difference, number>()

/**
 * Compares both verifiers on one token.
 *
 * @returns the difference when we rejected and jose accepted, else undefined
 */
async function compare(engine: Engine, token: string): Promise<Difference | undefined> {
  const a = ours(engine, token)
  const b = await theirs(engine, token)
  assert.ok(!(a && !b), `${engine.alg}: authx-ts accepts a token jose rejects: ${token}`)
  if (a === b) return undefined
  const reason = classify(token)
  assert.ok(
    reason !== undefined,
    `${engine.alg}: unexplained difference (we reject, jose accepts): ${token}`,
  )
  observed.set(reason, (observed.get(reason) ?? 0) + 1)
  return reason
}

const SEED = 42
const RUNS = 150

void describe('security: differential testing against jose', () => {
  let engines: Engine[] = []
  before(() => {
    const secret = new TextEncoder().encode(SECRET)
    const pairs: [Algorithm, KeyObject | string, KeyObject | Uint8Array][] = [
      ['HS256', SECRET, secret],
      ['RS256', rsa().privateKey, rsa().publicKey],
      ['PS256', rsa().privateKey, rsa().publicKey],
      ['ES256', p256().privateKey, p256().publicKey],
      ['EdDSA', ed25519().privateKey, ed25519().publicKey],
    ]
    engines = pairs.map(([alg, signKey, joseKey]) => ({
      alg,
      signKey,
      joseKey,
      auth: new AuthX({
        ...(alg === 'HS256' ? { secretKey: SECRET } : { algorithm: alg, privateKey: signKey }),
        clock: () => NOW,
      }),
    }))
  })

  const engineNamed = (alg: string): Engine => {
    const engine = engines.find((e) => e.alg === alg)
    if (engine === undefined) throw new Error(`no engine ${alg}`)
    return engine
  }

  for (const alg of ['HS256', 'RS256', 'PS256', 'ES256', 'EdDSA']) {
    void test(`${alg}: tokens we sign verify with jose, tokens jose signs verify with us`, async () => {
      const engine = engineNamed(alg)
      const mine = engine.auth.createAccessToken('alice', { scopes: ['read'] })
      assert.equal(await theirs(engine, mine), true)
      const key = engine.alg === 'HS256' ? engine.joseKey : (engine.signKey as KeyObject)
      const theirsToken = await new jose.SignJWT({ ...baseClaims() })
        .setProtectedHeader({ alg, typ: 'JWT' })
        .sign(key)
      assert.equal(ours(engine, theirsToken), true)
    })

    void test(`${alg}: both agree on mutated tokens (seed ${SEED}, ${RUNS} runs)`, async () => {
      const engine = engineNamed(alg)
      const token = engine.auth.createAccessToken('alice', { fresh: true, scopes: ['a'] })
      await fc.assert(
        fc.asyncProperty(mutationArb, async (m) => {
          await compare(engine, mutate(token, m))
        }),
        { seed: SEED, numRuns: RUNS },
      )
    })

    void test(`${alg}: both agree on arbitrary correctly signed claims, except listed differences (seed ${SEED})`, async () => {
      const engine = engineNamed(alg)
      const claimNames = fc.oneof(
        fc.constantFrom(
          'sub',
          'exp',
          'nbf',
          'iat',
          'jti',
          'type',
          'fresh',
          'csrf',
          'scopes',
          'aud',
          'iss',
        ),
        fc.string({ maxLength: 6 }),
      )
      await fc.assert(
        fc.asyncProperty(
          fc.dictionary(claimNames, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
          fc.boolean(),
          async (claims, overBase) => {
            const payload = overBase ? { ...baseClaims(), ...claims } : claims
            const token = forgeToken({
              header: { alg, typ: 'JWT' },
              payload: JSON.stringify(payload),
              key: engine.signKey,
              alg: alg as ForgeAlgorithm,
            })
            await compare(engine, token)
          },
        ),
        { seed: SEED, numRuns: RUNS },
      )
    })
  }

  void test('difference "non-canonical base64url": padding and trailing bits on the signature (we reject, jose accepts)', async () => {
    const engine = engineNamed('HS256')
    const token = engine.auth.createAccessToken('alice')
    const [h, p, s] = splitToken(token)
    assert.ok(unusedTrailingBits(s) > 0)
    for (const variant of [`${h}.${p}.${setTrailingBits(s)}`, `${h}.${p}.${addPadding(s)}`]) {
      assert.equal(await compare(engine, variant), 'non-canonical base64url')
    }
  })

  void test('difference "time claim not finite": exp = 1e400 (we reject, jose accepts a never-expiring token)', async () => {
    const engine = engineNamed('HS256')
    const token = forgeToken({
      header: { alg: 'HS256' },
      payload: `{"sub":"a","exp":1e400}`,
      key: SECRET,
    })
    assert.equal(await compare(engine, token), 'time claim not finite')
  })

  void test('agreement: a payload with invalid UTF-8 is rejected by both (RFC 8259 §8.1)', async () => {
    const engine = engineNamed('HS256')
    const bytes = Buffer.from(JSON.stringify(baseClaims({ name: 'XX' })))
    bytes[bytes.indexOf('XX')] = 0xff
    const token = forgeToken({ header: { alg: 'HS256' }, payload: bytes, key: SECRET })
    assert.equal(ours(engine, token), false)
    assert.equal(await theirs(engine, token), false)
  })

  void test('difference "refused header member": b64 without crit, and zip (we reject, jose accepts)', async () => {
    const engine = engineNamed('HS256')
    for (const header of [
      { alg: 'HS256', b64: true },
      { alg: 'HS256', zip: 'DEF' },
    ]) {
      const token = forgeToken({ header, payload: baseClaims(), key: SECRET })
      assert.equal(await compare(engine, token), 'refused header member (b64, zip, enc, crit)')
    }
  })

  void test('difference "kid is not a string" (we reject, jose accepts)', async () => {
    const engine = engineNamed('ES256')
    const token = forgeToken({
      header: { alg: 'ES256', kid: 7 },
      payload: baseClaims(),
      key: p256().privateKey,
    })
    assert.equal(await compare(engine, token), 'kid is not a string')
  })

  void test('difference "no exp" (we reject, jose accepts)', async () => {
    const engine = engineNamed('EdDSA')
    const claims = baseClaims()
    delete claims.exp
    const token = forgeToken({
      header: { alg: 'EdDSA' },
      payload: claims,
      key: ed25519().privateKey,
    })
    assert.equal(await compare(engine, token), 'no exp')
  })

  void test('difference "aud present but no audience configured" (we reject, jose accepts)', async () => {
    const engine = engineNamed('RS256')
    const token = forgeToken({
      header: { alg: 'RS256' },
      payload: baseClaims({ aud: 'other-service' }),
      key: rsa().privateKey,
    })
    assert.equal(await compare(engine, token), 'aud present but no audience configured')
  })

  void test('difference "iat in the future" (we reject, jose accepts)', async () => {
    const engine = engineNamed('PS256')
    const token = forgeToken({
      header: { alg: 'PS256' },
      payload: baseClaims({ iat: NOW + 3600 }),
      key: rsa().privateKey,
    })
    assert.equal(await compare(engine, token), 'iat in the future')
  })

  void test('difference "identity or AuthX claim mistyped": scopes, fresh, sub (we reject, jose accepts)', async () => {
    const engine = engineNamed('HS256')
    for (const claims of [
      { scopes: 'admin' },
      { fresh: 'yes' },
      { sub: 1 },
      { type: ['access'] },
    ]) {
      const token = forgeToken({
        header: { alg: 'HS256' },
        payload: baseClaims(claims),
        key: SECRET,
      })
      assert.equal(await compare(engine, token), 'identity or AuthX claim mistyped')
    }
  })

  void test('difference "token exceeds maxTokenLength" (we reject, jose accepts)', async () => {
    const engine = engineNamed('HS256')
    const token = forgeToken({
      header: { alg: 'HS256' },
      payload: baseClaims({ pad: 'x'.repeat(9000) }),
      key: SECRET,
    })
    assert.equal(await compare(engine, token), 'token exceeds maxTokenLength')
  })

  void test('no difference in the other direction on crafted edge cases (crit, alg none, high-S, exp boundary)', async () => {
    const hs = engineNamed('HS256')
    const es = engineNamed('ES256')
    const cases: [Engine, string][] = [
      [
        hs,
        forgeToken({ header: { alg: 'HS256', crit: ['exp'] }, payload: baseClaims(), key: SECRET }),
      ],
      [hs, forgeToken({ header: { alg: 'none' }, payload: baseClaims() })],
      [
        hs,
        forgeToken({ header: { alg: 'HS256' }, payload: baseClaims({ exp: NOW }), key: SECRET }),
      ],
      [
        hs,
        forgeToken({
          header: { alg: 'HS256' },
          payload: baseClaims({ nbf: NOW + 1 }),
          key: SECRET,
        }),
      ],
      [es, es.auth.createAccessToken('alice')],
    ]
    for (const [engine, token] of cases)
      assert.equal(ours(engine, token), await theirs(engine, token), token)
  })

  void test('every observed difference is a listed, justified one (summary in the diagnostics)', (t) => {
    const summary = [...observed].map(([reason, n]) => `${reason}: ${n}`).join('; ')
    t.diagnostic(`observed differences (we reject, jose accepts): ${summary || 'none'}`)
    for (const reason of observed.keys()) assert.ok(Object.hasOwn(DIFFERENCES, reason))
    assert.ok(
      observed.size >= Object.keys(DIFFERENCES).length,
      'each listed difference is demonstrated',
    )
  })
})
