/**
 * Google Wycheproof vectors (C2SP/wycheproof, see test/vectors/README.md) run through our engine.
 *
 * - Signature files (ECDSA P-256/384/521 in R||S form, Ed25519, RSASSA-PKCS1-v1_5, RSASSA-PSS):
 *   their `msg` is arbitrary bytes, not a JWS signing input, so each case goes through
 *   `verifySignature`, the primitive `JWSVerifier.verify` calls, with a key imported by
 *   `importVerifyKey` and bound by `bindKey` exactly as the config does.
 * - `json_web_signature_test.json` and `json_web_key_test.json`: compact tokens through
 *   `JWSVerifier`, keys through `importVerifyKey`. Their payloads are not JSON objects, so a valid
 *   token ends in a `JWTDecodeError` about the payload, which we only raise after the signature
 *   verified: that is the "accepted" verdict at the JWS layer. Every deliberate deviation is listed
 *   below with its reason.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { webcrypto } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { describe, it } from 'node:test'
import type { TestContext } from 'node:test'
import {
  BadConfigurationError,
  JWTDecodeError,
  TokenInvalidSignatureError,
} from '../../src/errors.ts'
import { JWSVerifier, verifySignature } from '../../src/token/jws.ts'
import { bindKey, importVerifyKey, isAlgorithm } from '../../src/token/keys.ts'
import type { Algorithm, BoundKey, JWKInput } from '../../src/token/keys.ts'

const VECTORS = new URL('../vectors/', import.meta.url)

function load<T>(file: string): T {
  return JSON.parse(readFileSync(new URL(file, VECTORS), 'utf8')) as T
}

type Verdict = 'valid' | 'invalid' | 'acceptable'

interface SignatureCase {
  tcId: number
  comment: string
  flags: string[]
  msg: string
  sig: string
  result: Verdict
}

interface SignatureGroup {
  type: string
  sha?: string
  mgf?: string
  mgfSha?: string
  sLen?: number
  keySize?: number
  publicKey: { curve?: string; type?: string }
  publicKeyPem: string
  publicKeyJwk?: JWKInput
  keyJwk?: JWKInput
  tests: SignatureCase[]
}

interface SignatureFile {
  algorithm: string
  numberOfTests: number
  testGroups: SignatureGroup[]
}

// ---------------------------------------------------------------------------------------------
// Signature primitives.

interface PrimitiveFile {
  file: string
  alg: Algorithm
  /** Whether a group is one our `alg` implements; anything else is skipped and counted. */
  applies: (group: SignatureGroup) => string | undefined
  /** The WebCrypto parameters of the same check, used as a second opinion on "acceptable" cases. */
  webcrypto: {
    import:
      webcrypto.AlgorithmIdentifier | webcrypto.EcKeyImportParams | webcrypto.RsaHashedImportParams
    verify: webcrypto.AlgorithmIdentifier | webcrypto.EcdsaParams | webcrypto.RsaPssParams
  }
}

function expectGroup(
  group: SignatureGroup,
  want: Partial<Record<'type' | 'sha' | 'mgf' | 'mgfSha' | 'sLen' | 'curve', string | number>>,
): string | undefined {
  const have: Record<string, unknown> = { ...group, curve: group.publicKey.curve }
  for (const [name, value] of Object.entries(want)) {
    if (have[name] !== value) return `${name} is ${String(have[name])}, not ${String(value)}`
  }
  return undefined
}

const PRIMITIVE_FILES: readonly PrimitiveFile[] = [
  {
    file: 'ecdsa_secp256r1_sha256_p1363_test.json',
    alg: 'ES256',
    applies: (g) =>
      expectGroup(g, { type: 'EcdsaP1363Verify', sha: 'SHA-256', curve: 'secp256r1' }),
    webcrypto: {
      import: { name: 'ECDSA', namedCurve: 'P-256' },
      verify: { name: 'ECDSA', hash: 'SHA-256' },
    },
  },
  {
    file: 'ecdsa_secp384r1_sha384_p1363_test.json',
    alg: 'ES384',
    applies: (g) =>
      expectGroup(g, { type: 'EcdsaP1363Verify', sha: 'SHA-384', curve: 'secp384r1' }),
    webcrypto: {
      import: { name: 'ECDSA', namedCurve: 'P-384' },
      verify: { name: 'ECDSA', hash: 'SHA-384' },
    },
  },
  {
    file: 'ecdsa_secp521r1_sha512_p1363_test.json',
    alg: 'ES512',
    applies: (g) =>
      expectGroup(g, { type: 'EcdsaP1363Verify', sha: 'SHA-512', curve: 'secp521r1' }),
    webcrypto: {
      import: { name: 'ECDSA', namedCurve: 'P-521' },
      verify: { name: 'ECDSA', hash: 'SHA-512' },
    },
  },
  {
    file: 'ed25519_test.json',
    alg: 'EdDSA',
    applies: (g) => expectGroup(g, { type: 'EddsaVerify', curve: 'edwards25519' }),
    webcrypto: { import: { name: 'Ed25519' }, verify: { name: 'Ed25519' } },
  },
  {
    file: 'rsa_signature_2048_sha256_test.json',
    alg: 'RS256',
    applies: (g) => expectGroup(g, { type: 'RsassaPkcs1Verify', sha: 'SHA-256' }),
    webcrypto: {
      import: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
      verify: { name: 'RSASSA-PKCS1-v1_5' },
    },
  },
  {
    file: 'rsa_pss_2048_sha256_mgf1_32_test.json',
    alg: 'PS256',
    // PS256 is RSASSA-PSS with SHA-256, MGF1-SHA-256 and a 32-byte salt (RFC 7518 section 3.5).
    applies: (g) =>
      expectGroup(g, {
        type: 'RsassaPssVerify',
        sha: 'SHA-256',
        mgf: 'MGF1',
        mgfSha: 'SHA-256',
        sLen: 32,
      }),
    webcrypto: {
      import: { name: 'RSA-PSS', hash: 'SHA-256' },
      verify: { name: 'RSA-PSS', saltLength: 32 },
    },
  },
]

interface PrimitiveCounts {
  groups: number
  skippedGroups: number
  skippedTests: number
  valid: number
  invalid: number
  acceptableAccepted: number
  acceptableRejected: number
}

/** Imports a group's key from PEM and from JWK (both must agree) and binds it to `alg`. */
function groupKey(group: SignatureGroup, alg: Algorithm): BoundKey {
  const fromPem = importVerifyKey(group.publicKeyPem, alg, 'publicKey')
  const jwk = group.publicKeyJwk ?? group.keyJwk
  if (jwk !== undefined) {
    // Wycheproof tags its JWKs with `kid: "none"`; the members that matter are the key itself.
    const fromJwk = importVerifyKey(jwk, alg, 'publicKey')
    assert.ok(fromJwk.equals(fromPem), 'the PEM and JWK forms of the key differ')
  }
  return bindKey(fromPem, alg, undefined)
}

async function webcryptoVerdict(
  spec: PrimitiveFile,
  key: KeyObject,
  message: Buffer,
  signature: Buffer,
): Promise<boolean> {
  const der = key.export({ type: 'spki', format: 'der' })
  const imported = await webcrypto.subtle.importKey('spki', der, spec.webcrypto.import, false, [
    'verify',
  ])
  return webcrypto.subtle.verify(spec.webcrypto.verify, imported, signature, message)
}

void describe('Wycheproof signature vectors through verifySignature', () => {
  for (const spec of PRIMITIVE_FILES) {
    it(`${spec.file} (${spec.alg})`, async (t: TestContext) => {
      const data = load<SignatureFile>(spec.file)
      const counts: PrimitiveCounts = {
        groups: 0,
        skippedGroups: 0,
        skippedTests: 0,
        valid: 0,
        invalid: 0,
        acceptableAccepted: 0,
        acceptableRejected: 0,
      }
      const failures: string[] = []
      const skipped: string[] = []
      for (const group of data.testGroups) {
        const mismatch = spec.applies(group)
        if (mismatch !== undefined) {
          // A group for parameters `alg` does not implement (another hash, curve or salt length):
          // counted and reported with its reason, never as passing.
          counts.skippedGroups++
          counts.skippedTests += group.tests.length
          skipped.push(`${group.tests.length} tests: ${mismatch}`)
          continue
        }
        counts.groups++
        const bound = groupKey(group, spec.alg)
        for (const test of group.tests) {
          const message = Buffer.from(test.msg, 'hex')
          const signature = Buffer.from(test.sig, 'hex')
          let verdict: boolean
          try {
            verdict = verifySignature(bound, message, signature)
          } catch (error) {
            failures.push(`tcId ${test.tcId} (${test.comment}): threw ${String(error)}`)
            continue
          }
          if (test.result === 'acceptable') {
            // Either verdict is allowed; it must match WebCrypto on the same key (Node's own
            // WebCrypto, which is what jose uses on Node).
            const second = await webcryptoVerdict(spec, bound.key, message, signature)
            if (second !== verdict) {
              failures.push(
                `tcId ${test.tcId}: acceptable case, ours ${verdict}, WebCrypto ${second}`,
              )
            }
            counts[verdict ? 'acceptableAccepted' : 'acceptableRejected']++
          } else if (verdict !== (test.result === 'valid')) {
            failures.push(
              `tcId ${test.tcId} (${test.comment}; ${test.flags.join(',')}): expected ${test.result}, got ${verdict ? 'valid' : 'invalid'}`,
            )
          } else {
            counts[test.result]++
          }
        }
      }
      assert.deepEqual(failures, [])
      const total =
        counts.valid +
        counts.invalid +
        counts.acceptableAccepted +
        counts.acceptableRejected +
        counts.skippedTests
      assert.equal(total, data.numberOfTests, 'every test of the file is accounted for')
      // The files we ship hold no group for other parameters; a new one must be looked at.
      assert.deepEqual(skipped, [], 'groups that do not apply to this algorithm')
      t.diagnostic(`${spec.file}: ${JSON.stringify(counts)}`)
    })
  }
})

// ---------------------------------------------------------------------------------------------
// Compact JWS through JWSVerifier.

interface JWSCase {
  tcId: number
  comment: string
  flags: string[]
  jws: string | Record<string, unknown>
  result: Verdict
}

interface JWSGroup {
  type: string
  comment: string
  private: JWKInput | { keys: JWKInput[] }
  public?: JWKInput | { keys: JWKInput[] }
  tests: JWSCase[]
}

interface JWSFile {
  numberOfTests: number
  testGroups: JWSGroup[]
}

/**
 * Where a token ends in our engine:
 * - `import`: a key of the group is refused by `importVerifyKey` (the app would not start);
 * - `decode`: `JWTDecodeError` before the signature was checked (structure, base64, header, alg);
 * - `signature`: `TokenInvalidSignatureError`;
 * - `payload-encoding`: the payload segment is not canonical base64url (checked with the payload,
 *   after the signature: a correct rejection of a token whose signature covers the bad text);
 * - `payload`: `JWTDecodeError` about the payload's content, raised after the signature verified;
 * - `accepted`: verified and decoded.
 */
type Outcome = 'import' | 'decode' | 'signature' | 'payload-encoding' | 'payload' | 'accepted'

/** The outcomes that count as "the JWS layer accepted the signature". */
const ACCEPTED: ReadonlySet<Outcome> = new Set(['payload', 'accepted'])

function keysOf(set: JWKInput | { keys: JWKInput[] }): JWKInput[] {
  return 'keys' in set && Array.isArray(set.keys) ? set.keys : [set as JWKInput]
}

/** The token's header `alg`, when it can be read at all (the test's own lenient decoding). */
function headerAlg(token: string): string | undefined {
  try {
    const header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()) as {
      alg?: unknown
    }
    return typeof header.alg === 'string' ? header.alg : undefined
  } catch {
    return undefined
  }
}

/**
 * The algorithm a deployment would configure for a key: the JWK's own `alg` when it names one of
 * ours, otherwise the algorithm the token claims (so the key is at least given its chance).
 */
function configuredAlg(jwk: JWKInput, token: string): Algorithm | undefined {
  if (isAlgorithm(jwk.alg)) return jwk.alg
  const alg = headerAlg(token)
  if (isAlgorithm(alg)) return alg
  if (jwk.kty === 'oct') return 'HS256'
  return undefined
}

/** Imports a key set as a config would (public half when given) and verifies one token. */
function runJWS(keys: readonly JWKInput[], token: unknown): { outcome: Outcome; reason: string } {
  if (typeof token !== 'string') {
    // The JSON serialization is given as an object; a request carries it as its JSON text.
    return runJWS(keys, JSON.stringify(token))
  }
  const bound: BoundKey[] = []
  for (const jwk of keys) {
    const alg = configuredAlg(jwk, token)
    if (alg === undefined) return { outcome: 'import', reason: 'no algorithm for this key' }
    try {
      const kid = typeof jwk.kid === 'string' ? jwk.kid : undefined
      bound.push(bindKey(importVerifyKey(jwk, alg, 'publicKey'), alg, kid))
    } catch (error) {
      if (!(error instanceof BadConfigurationError)) throw error
      return { outcome: 'import', reason: error.message }
    }
  }
  const verifier = new JWSVerifier(bound, [...new Set(bound.map((b) => b.alg))], 8192)
  try {
    // Configured keys: the verdict is synchronous.
    void verifier.verify(token)
    return { outcome: 'accepted', reason: '' }
  } catch (error) {
    if (error instanceof TokenInvalidSignatureError) return { outcome: 'signature', reason: '' }
    if (error instanceof JWTDecodeError && error.constructor === JWTDecodeError) {
      const reason = error.reason ?? ''
      if (reason === 'payload is not canonical base64url')
        return { outcome: 'payload-encoding', reason }
      return { outcome: reason.startsWith('payload') ? 'payload' : 'decode', reason }
    }
    throw error
  }
}

/** Strips the members that restrict a JWK's use, as a deployment re-configuring the key would. */
function withoutRestrictions(jwk: JWKInput): JWKInput {
  const rest: JWKInput = { ...jwk }
  delete rest.alg
  delete rest.use
  delete rest.key_ops
  return rest
}

interface Deviation {
  /** Where the token ends in our engine. */
  outcome: Outcome
  /** Why this differs from Wycheproof's verdict (or from a plain "payload" rejection). */
  why: string
  /** For a valid vector we do not accept: the algorithm under which its signature does verify. */
  reverifyAs?: Algorithm
}

const STRICT_BASE64 =
  'a "?" inserted into a segment: Wycheproof allows decoders that skip it, we require canonical ' +
  'base64url so that one token has exactly one spelling (DESIGN.md section 6)'
const PINNED_PS256 =
  'the JWK pins alg PS256 (RFC 7517 section 4.4) while RFC 7520 figure 20 signs with PS384; we ' +
  'bind each key to exactly one algorithm (RFC 8725 section 3.1), so PS384 is "not allowed"'
const ES521 =
  'the JWK says alg "ES521", which is not a JWS algorithm; a JWK whose alg disagrees with the ' +
  'configured one is refused at import (as jose does), so RFC 7520 figure 27 cannot be configured'
const EMPTY_PAYLOAD =
  'an empty payload segment: a JWT always has claims, so we refuse empty segments structurally'
const LOST_PADDING =
  'byte-identical to tcId 357 (valid): the "=" this vector is named after is absent from the ' +
  'file, so it contradicts 357 and we can only agree with one; the padded token it meant is ' +
  'checked separately below'
const PAYLOAD_AFTER_SIGNATURE =
  'a "?" inserted into the payload: rejected, but as a signature error, because the payload is ' +
  'only decoded after the signature is checked and the MAC covers the text without the "?"'

/** json_web_signature_test.json: vectors where our outcome is not simply "as Wycheproof says". */
const JWS_DEVIATIONS: Readonly<Record<number, Deviation>> = {
  259: { outcome: 'decode', why: EMPTY_PAYLOAD, reverifyAs: 'RS256' },
  264: { outcome: 'decode', why: EMPTY_PAYLOAD, reverifyAs: 'RS384' },
  268: { outcome: 'decode', why: EMPTY_PAYLOAD, reverifyAs: 'RS512' },
  272: { outcome: 'decode', why: EMPTY_PAYLOAD, reverifyAs: 'PS256' },
  320: { outcome: 'decode', why: EMPTY_PAYLOAD, reverifyAs: 'PS384' },
  325: { outcome: 'decode', why: EMPTY_PAYLOAD, reverifyAs: 'PS512' },
  346: { outcome: 'decode', why: PINNED_PS256, reverifyAs: 'PS384' },
  350: { outcome: 'decode', why: PINNED_PS256, reverifyAs: 'PS384' },
  347: { outcome: 'import', why: ES521, reverifyAs: 'ES512' },
  351: { outcome: 'import', why: ES521, reverifyAs: 'ES512' },
  367: { outcome: 'payload', why: LOST_PADDING },
  370: { outcome: 'payload', why: LOST_PADDING },
  372: { outcome: 'decode', why: STRICT_BASE64 },
  373: { outcome: 'signature', why: `${STRICT_BASE64}; ${PAYLOAD_AFTER_SIGNATURE}` },
}

/** json_web_key_test.json: key-set policies that live above the JWS engine. */
const JWK_DEVIATIONS: Readonly<Record<number, Deviation>> = {
  1: {
    outcome: 'payload',
    why:
      'a key set mixing an HMAC secret and an EC key (MixedKeySet, "Ambiguous"): every key is ' +
      'bound to its own algorithm, so the EC key can never serve as an HMAC secret, which is the ' +
      'confusion the vector guards against; the HS256 token verifies with the HS256 key',
  },
  4: {
    outcome: 'payload',
    why:
      'two keys with the same kid (DuplicateKid, "Ambiguous"): the engine tries both, each under ' +
      'its own binding, so nothing verifies that either key alone would not; refusing duplicate ' +
      'kids is a configuration-time policy, not the engine',
  },
  7: {
    outcome: 'payload',
    why:
      'an RSA key with the ROCA weakness (CVE-2017-15361): detecting it needs the ROCA ' +
      'fingerprint test, which importVerifyKey does not implement; the key is 2048-bit and valid',
  },
}

/**
 * Valid vectors that we reject, after their signature verified, because the payload is not a JSON
 * object: a JWT's claims set must be one (RFC 7519 section 7.2, step 10), and authx-ts is a JWT
 * library, not a general JWS one. Listed by the reason our engine gives; the test checks the list
 * is exact in both directions.
 */
const VALID_NON_OBJECT_PAYLOADS: Readonly<Record<string, Readonly<Record<string, number[]>>>> = {
  'json_web_signature_test.json': {
    // "foo", "Test", "a", "T21325668", twenty NUL bytes, RFC 7520's prose: text, not JSON.
    'payload is not valid JSON': [
      1, 18, 33, 260, 261, 262, 265, 266, 269, 270, 273, 274, 321, 322, 326, 327, 345, 348, 349,
      352, 357, 358, 359, 376, 377, 378,
    ],
    // 32 bytes of 0xFF-range binary.
    'payload is not valid UTF-8': [263, 267, 271, 275, 323, 328],
    // "123400": JSON, but a number.
    'payload is not a JSON object': [287, 288],
  },
  'json_web_key_test.json': {
    'payload is not valid JSON': [2, 5, 13, 14, 15],
  },
}

interface JWSCounts {
  valid: number
  invalid: number
  validAsPayloadError: number
  deviations: number
  byOutcome: Record<Outcome, number>
}

function runJWSFile(
  t: TestContext,
  file: string,
  deviations: Readonly<Record<number, Deviation>>,
): void {
  const data = load<JWSFile>(file)
  const counts: JWSCounts = {
    valid: 0,
    invalid: 0,
    validAsPayloadError: 0,
    deviations: 0,
    byOutcome: {
      import: 0,
      decode: 0,
      signature: 0,
      'payload-encoding': 0,
      payload: 0,
      accepted: 0,
    },
  }
  const failures: string[] = []
  const expectedReasons = new Map<number, string>()
  for (const [reason, ids] of Object.entries(VALID_NON_OBJECT_PAYLOADS[file] ?? {})) {
    for (const id of ids) expectedReasons.set(id, reason)
  }
  const seen = new Set<number>()
  let total = 0
  for (const group of data.testGroups) {
    // A verifier gets the public half; HMAC groups only have the secret.
    const keys = keysOf(group.public ?? group.private)
    for (const test of group.tests) {
      total++
      counts[test.result === 'valid' ? 'valid' : 'invalid']++
      const label = `tcId ${test.tcId} (${group.comment}/${test.comment})`
      const { outcome, reason } = runJWS(keys, test.jws)
      counts.byOutcome[outcome]++
      const deviation = deviations[test.tcId]
      if (deviation !== undefined) {
        counts.deviations++
        if (outcome !== deviation.outcome) {
          failures.push(`${label}: listed as ${deviation.outcome}, got ${outcome} ${reason}`)
        }
        if (deviation.reverifyAs !== undefined && typeof test.jws === 'string') {
          // Prove the signature itself is good: the same key, configured for the token's alg
          // (and, for the empty payload, checked at the primitive), verifies it.
          const [h, p, s] = test.jws.split('.') as [string, string, string]
          const jwk = withoutRestrictions(keys[0] as JWKInput)
          const key = importVerifyKey(jwk, deviation.reverifyAs, 'publicKey')
          const bound = bindKey(key, deviation.reverifyAs, undefined)
          if (!verifySignature(bound, `${h}.${p}`, Buffer.from(s, 'base64url'))) {
            failures.push(`${label}: the signature does not verify as ${deviation.reverifyAs}`)
          }
        }
        continue
      }
      if (test.result === 'valid') {
        const expected = expectedReasons.get(test.tcId)
        if (outcome === 'payload' && reason === expected) {
          counts.validAsPayloadError++
          seen.add(test.tcId)
        } else if (outcome !== 'accepted') {
          failures.push(
            `${label}: valid, got ${outcome} (${reason}), listed as ${String(expected)}`,
          )
        }
      } else if (ACCEPTED.has(outcome)) {
        failures.push(`${label}: invalid, but the signature verified (${outcome} ${reason})`)
      }
    }
  }
  assert.deepEqual(failures, [])
  assert.deepEqual(
    [...expectedReasons.keys()].filter((id) => !seen.has(id)),
    [],
  )
  assert.equal(total, data.numberOfTests)
  t.diagnostic(`${file}: ${JSON.stringify(counts)}`)
}

void describe('Wycheproof JWS and JWK vectors through JWSVerifier', () => {
  it('json_web_signature_test.json', (t) => {
    runJWSFile(t, 'json_web_signature_test.json', JWS_DEVIATIONS)
  })

  it('json_web_key_test.json', (t) => {
    runJWSFile(t, 'json_web_key_test.json', JWK_DEVIATIONS)
  })

  it('the padding vectors as intended (tcId 367 and 370 lost their "=") are rejected', () => {
    const data = load<JWSFile>('json_web_signature_test.json')
    const group = data.testGroups.find((g) => g.comment === 'base64')
    const valid = group?.tests.find((c) => c.tcId === 357)?.jws
    assert.ok(group !== undefined && typeof valid === 'string')
    const [h, p, s] = valid.split('.') as [string, string, string]
    const keys = keysOf(group.private)
    // The signature padded (367's name) and the payload padded (370's name), and both at once.
    for (const token of [
      `${h}.${p}.${s}=`,
      `${h}.${p}==.${s}`,
      `${h}==.${p}.${s}`,
      `${h}.${p}==.${s}=`,
    ]) {
      const { outcome } = runJWS(keys, token)
      assert.ok(!ACCEPTED.has(outcome), `${token} got ${outcome}`)
    }
  })

  it('every listed deviation names an existing vector', () => {
    const ids = (file: string): Set<number> =>
      new Set(load<JWSFile>(file).testGroups.flatMap((g) => g.tests.map((c) => c.tcId)))
    const jws = ids('json_web_signature_test.json')
    const jwk = ids('json_web_key_test.json')
    for (const id of Object.keys(JWS_DEVIATIONS)) assert.ok(jws.has(Number(id)), `JWS ${id}`)
    for (const id of Object.keys(JWK_DEVIATIONS)) assert.ok(jwk.has(Number(id)), `JWK ${id}`)
  })
})
