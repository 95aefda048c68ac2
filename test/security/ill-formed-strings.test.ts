/**
 * A correctly signed token whose subject or store id is ill-formed UTF-16 is invalid. JSON's
 * `"\ud800"` escape decodes to a lone surrogate, which UTF-8 (and so Redis) cannot hold: it would
 * become U+FFFD and name the same subject, session or family as `"\ufffd"`. Such a token is a 401
 * `JWTDecodeError` at verification, before any store is asked (a store would refuse the id with a
 * TypeError, which AuthX would report as a 503). Tokens are forged byte by byte
 * (test/helpers/forge.ts) so that the escape reaches the verifier exactly as written.
 */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { AuthX } from '../../src/authx.ts'
import { JWTDecodeError } from '../../src/errors.ts'
import { MemoryStore } from '../../src/stores/memory.ts'
import { forgeToken } from '../helpers/forge.ts'
import {
  NOW,
  SECRET,
  bearer,
  buildSecurityApp,
  expectAccepted,
  expectRejected,
} from '../helpers/http-invariants.ts'
import type { SecurityApp } from '../helpers/http-invariants.ts'

/** The ids a store keys by, and the CSRF value that is hashed as UTF-8. */
const CLAIMS = ['sub', 'jti', 'sid', 'fam', 'csrf'] as const

/** Lone surrogates as JSON escapes: high, low, a reversed pair, one next to a real pair. */
const ESCAPES = ['\\ud800', 'a\\udc00', '\\udc00\\ud800', '\\ud83d\\ude00\\ud83d']

/**
 * The raw JSON text of a payload whose `claim` holds `escaped` verbatim (a `\u` escape is
 * written as such, not as the character it stands for). The other ids are fresh each time, so
 * that no test sees another's revocations.
 */
function payloadText(type: 'access' | 'refresh', claim: string, escaped: string): string {
  const claims: Record<string, unknown> = {
    sub: 'alice',
    jti: randomUUID(),
    type,
    fresh: false,
    csrf: '',
    iat: NOW,
    nbf: NOW,
    exp: NOW + 900,
    sid: randomUUID(),
    fam: randomUUID(),
    fam_exp: NOW + 3600,
  }
  const json = JSON.stringify({ ...claims, [claim]: '@' })
  return json.replace(`"${claim}":"@"`, `"${claim}":"${escaped}"`)
}

function forge(type: 'access' | 'refresh', claim: string, escaped: string): string {
  return forgeToken({
    header: { alg: 'HS256', typ: 'JWT' },
    payload: payloadText(type, claim, escaped),
    key: SECRET,
    alg: 'HS256',
  })
}

/** Asserts that `promise` rejects with exactly `Class` (not a subclass or a wrapper). */
async function rejectsExactly(
  promise: Promise<unknown>,
  Class: new (...args: never[]) => Error,
  message: string,
): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.equal((error as Error).constructor, Class, `${message}: got ${String(error)}`)
    assert.equal((error as JWTDecodeError).statusCode, 401, message)
    return true
  })
}

void describe('security: ill-formed UTF-16 in token ids', () => {
  const store = new MemoryStore({ clock: () => NOW })
  const auth = new AuthX({ secretKey: SECRET, clock: () => NOW, store, refreshRotation: true })

  void test('the forged payloads do carry a lone surrogate once decoded', () => {
    const claims = JSON.parse(payloadText('access', 'sub', '\\ud800')) as { sub: string }
    assert.equal(claims.sub, '\ud800')
    assert.equal(Buffer.from(claims.sub).toString(), '\ufffd', 'UTF-8 turns it into U+FFFD')
  })

  for (const claim of CLAIMS) {
    void test(`an ill-formed ${claim} is a 401 JWTDecodeError on verification`, async () => {
      for (const escaped of ESCAPES) {
        const token = forge('access', claim, escaped)
        await rejectsExactly(auth.verifyToken(token), JWTDecodeError, `${claim} ${escaped}`)
        assert.throws(
          () => auth.verifyTokenSync(token),
          (error: unknown) => (error as Error).constructor === JWTDecodeError,
        )
      }
    })
  }

  void test('an ill-formed refresh token is refused before rotation touches the store', async () => {
    const before = store.stats()
    for (const claim of CLAIMS) {
      for (const escaped of ESCAPES) {
        const token = forge('refresh', claim, escaped)
        await rejectsExactly(auth.refresh(token), JWTDecodeError, `${claim} ${escaped}`)
      }
    }
    assert.deepEqual(store.stats(), before, 'nothing was written')
  })

  void test('an ill-formed id cannot be revoked in the name of a well-formed one', async () => {
    const victim = forge('access', 'jti', 'victim\\ufffd')
    assert.equal((await auth.verifyToken(victim)).jti, 'victim\ufffd')
    await rejectsExactly(
      auth.revokeToken(forge('access', 'jti', 'victim\\ud800')),
      JWTDecodeError,
      'revokeToken',
    )
    assert.equal((await auth.verifyToken(victim)).jti, 'victim\ufffd', 'the victim is untouched')
  })

  void test('U+FFFD and surrogate pairs are ordinary characters', async () => {
    for (const claim of CLAIMS) {
      for (const escaped of ['\\ufffd', 'a\\ud83d\\ude00']) {
        const payload = await auth.verifyToken(forge('access', claim, escaped))
        assert.equal(payload.claims[claim], JSON.parse(`"${escaped}"`))
      }
    }
  })
})

void describe('security: ill-formed UTF-16 in token ids, over HTTP', () => {
  let target: SecurityApp
  before(async () => {
    target = await buildSecurityApp({ explicitStore: true })
  })
  after(() => target.close())

  for (const claim of CLAIMS) {
    void test(`an ill-formed ${claim}: 401 JWTDecodeError, no handler, no store write`, async () => {
      for (const escaped of ESCAPES) {
        await expectRejected(target, bearer(forge('access', claim, escaped)), {
          status: 401,
          errorType: 'JWTDecodeError',
        })
      }
    })
  }

  void test('the same token with a well-formed id is served', async () => {
    await expectAccepted(target, bearer(forge('access', 'sub', 'a\\ufffd')))
  })
})
