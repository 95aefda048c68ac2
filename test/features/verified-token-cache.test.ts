/**
 * The verified-token cache wired into AuthX: a hit skips only the signature check and decode;
 * expiry, audience, type and revocation are enforced on every call.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  AccessTokenRequiredError,
  AuthX,
  RevokedTokenError,
  TokenExpiredError,
  TokenInvalidAudienceError,
  TokenInvalidSignatureError,
} from '../../src/index.ts'

const SECRET = 'verified-token-cache-secret-32-bytes!'

function setup() {
  let now = 2_000_000_000
  const auth = new AuthX({
    secretKey: SECRET,
    verifiedTokenCache: { maxEntries: 2 },
    clock: () => now,
  })
  return { auth, advance: (s: number) => (now += s) }
}

describe('verified-token cache', () => {
  it('is off by default', () => {
    assert.equal(new AuthX({ secretKey: SECRET }).cacheStats, null)
  })

  it('answers repeat verifications from the cache with the same claims', () => {
    const { auth } = setup()
    const token = auth.createAccessToken('alice', { data: { role: 'admin' } })
    const first = auth.verifyTokenSync<{ role: string }>(token)
    const second = auth.verifyTokenSync<{ role: string }>(token)
    assert.deepEqual(second.toJSON(), first.toJSON())
    assert.equal(second.role, 'admin')
    assert.equal(auth.cacheStats?.hits, 1)
    assert.equal(auth.cacheStats?.misses, 1)
  })

  it('still rejects an expired token that is cached', () => {
    const { auth, advance } = setup()
    const token = auth.createAccessToken('alice', { expiresIn: 10 })
    auth.verifyTokenSync(token)
    advance(11)
    assert.throws(() => auth.verifyTokenSync(token), TokenExpiredError)
  })

  it('still checks type and per-call audience on a hit', () => {
    const { auth } = setup()
    const token = auth.createRefreshToken('alice', { audience: 'api' })
    auth.verifyTokenSync(token, { type: 'refresh', audience: 'api' })
    assert.throws(() => auth.verifyTokenSync(token, { audience: 'api' }), AccessTokenRequiredError)
    assert.throws(
      () => auth.verifyTokenSync(token, { type: 'refresh', audience: 'other' }),
      TokenInvalidAudienceError,
    )
  })

  it('still consults revocation on a hit', async () => {
    const { auth } = setup()
    const token = auth.createAccessToken('alice')
    await auth.verifyToken(token)
    await auth.revokeToken(token)
    await assert.rejects(auth.verifyToken(token), RevokedTokenError)
  })

  it('never serves a token whose bytes differ from the cached one', () => {
    const { auth } = setup()
    const token = auth.createAccessToken('alice')
    auth.verifyTokenSync(token)
    const [h, p, s] = token.split('.') as [string, string, string]
    const flipped = `${h}.${p}.${s.slice(0, -2)}${s.endsWith('AA') ? 'BA' : 'AA'}`
    assert.throws(() => auth.verifyTokenSync(flipped), TokenInvalidSignatureError)
  })

  it('stays within its bound', () => {
    const { auth } = setup()
    for (let i = 0; i < 5; i++) auth.verifyTokenSync(auth.createAccessToken(`u${i}`))
    assert.equal(auth.cacheStats?.size, 2)
  })
})
