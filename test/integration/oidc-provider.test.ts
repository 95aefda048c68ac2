/**
 * A resource server on every binding verifying the access tokens of a real OpenID provider:
 * node-oidc-provider (OpenID Certified), in this process on a loopback port, issuing JWT access
 * tokens (RFC 9068) through the client-credentials grant for a resource indicator (RFC 8707).
 * Tokens are obtained with real HTTP POSTs to its token endpoint; our side finds its keys through
 * OpenID discovery or its `jwks_uri`. Covered: scopes, audience, another issuer's tokens, the
 * refresh and fresh guards, the provider's key rotation, a provider that stops (cached keys keep
 * verifying within `jwksMaxStale`), and a provider never reached (503).
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { AuthX, KeySetUnavailableError, TokenInvalidSignatureError } from 'authx-ts'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import type { AuthXOptions } from 'authx-ts'
import { freePort } from '../helpers/processes.ts'
import { CLIENT_ID, newSigningKey, startIdentityProvider } from './identity-provider.ts'
import type { IdentityProvider } from './identity-provider.ts'
import { BINDINGS } from './resource-servers.ts'
import type { Answer, ResourceServer } from './resource-servers.ts'

/** Our API's resource indicator, the audience it accepts. */
const RESOURCE = 'https://reports.api.test'
/** Another API of the same provider. */
const OTHER_RESOURCE = 'https://billing.api.test'

/** The options of an API trusting `issuer`, found through discovery or at `jwksUri`. */
function trusting(provider: IdentityProvider, how: 'discovery' | 'jwksUri'): AuthXOptions {
  return {
    issuers: {
      [provider.issuer]: how === 'discovery' ? { discovery: true } : { jwksUri: provider.jwksUri },
    },
    decodeAudience: RESOURCE,
    tokenProfile: 'rfc9068',
  }
}

/** A clock the test moves, in seconds, starting now. */
function movableClock(): { now: () => number; advance: (seconds: number) => void } {
  let offset = 0
  return {
    now: () => Math.floor(Date.now() / 1000) + offset,
    advance: (seconds) => (offset += seconds),
  }
}

function assertRefused(answer: Answer, status: number, errorType: string): void {
  assert.equal(answer.status, status, JSON.stringify(answer.body))
  assert.equal(answer.body.error_type, errorType, JSON.stringify(answer.body))
}

function headerOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8'))
}

void describe('node-oidc-provider access tokens on every binding', () => {
  let provider: IdentityProvider
  let stranger: IdentityProvider
  const tokens = { read: '', readWrite: '', otherAudience: '', stranger: '' }

  before(async () => {
    provider = await startIdentityProvider({
      port: await freePort(),
      keys: [newSigningKey('provider-2026-12')],
      resources: [RESOURCE, OTHER_RESOURCE],
    })
    // Another provider, trusted by nobody here, issuing tokens for the same API.
    stranger = await startIdentityProvider({
      port: await freePort(),
      keys: [newSigningKey('stranger-2026-12')],
      resources: [RESOURCE],
    })
    tokens.read = await provider.accessToken(RESOURCE, 'read')
    tokens.readWrite = await provider.accessToken(RESOURCE, 'read write')
    tokens.otherAudience = await provider.accessToken(OTHER_RESOURCE, 'read write')
    tokens.stranger = await stranger.accessToken(RESOURCE, 'read write')
  })

  after(async () => {
    await provider?.stop()
    await stranger?.stop()
  })

  void test('the provider issues RFC 9068 tokens for the resource indicator', () => {
    const header = headerOf(tokens.read)
    assert.equal(header.typ, 'at+jwt')
    assert.equal(header.alg, 'ES256')
    assert.equal(header.kid, 'provider-2026-12')
    const claims = JSON.parse(
      Buffer.from(tokens.read.split('.')[1] ?? '', 'base64url').toString('utf8'),
    )
    assert.equal(claims.iss, provider.issuer)
    assert.equal(claims.aud, RESOURCE)
    assert.equal(claims.client_id, CLIENT_ID)
    assert.equal(claims.scope, 'read')
  })

  for (const [binding, build] of Object.entries(BINDINGS)) {
    for (const how of ['discovery', 'jwksUri'] as const) {
      void describe(`${binding}, keys by ${how}`, () => {
        let api: ResourceServer

        before(async () => {
          api = await build(trusting(provider, how))
        })
        after(async () => {
          await api?.close()
        })

        void test('accepts the token and reads its subject, client and scopes', async () => {
          const answer = await api.request('GET', '/whoami', tokens.read)
          assert.equal(answer.status, 200, JSON.stringify(answer.body))
          assert.deepEqual(answer.body, { sub: CLIENT_ID, client_id: CLIENT_ID, scopes: ['read'] })
          assert.equal((await api.request('GET', '/reports', tokens.read)).status, 200)
        })

        void test('applies the scope claim: read cannot write, read write can', async () => {
          const before = api.handled()
          const refused = await api.request('POST', '/reports', tokens.read)
          assertRefused(refused, 403, 'InsufficientScopeError')
          assert.deepEqual(refused.body.required_scopes, ['write'])
          assert.deepEqual(refused.body.provided_scopes, ['read'])
          assert.equal(api.handled(), before, 'the handler ran')
          assert.equal((await api.request('POST', '/reports', tokens.readWrite)).status, 200)
        })

        void test("refuses the provider's token for another resource (audience)", async () => {
          const before = api.handled()
          const answer = await api.request('GET', '/reports', tokens.otherAudience)
          assertRefused(answer, 401, 'TokenInvalidAudienceError')
          assert.equal(api.handled(), before, 'the handler ran')
        })

        void test("refuses an untrusted provider's token for the same resource", async () => {
          const before = api.handled()
          const answer = await api.request('GET', '/reports', tokens.stranger)
          // Its kid is in no trusted set: one refetch at most, then no key verifies it.
          assertRefused(answer, 401, 'TokenInvalidSignatureError')
          assert.equal(api.handled(), before, 'the handler ran')
        })

        void test('the fresh and refresh guards refuse an access token of the provider', async () => {
          const before = api.handled()
          assertRefused(
            await api.request('GET', '/fresh', tokens.readWrite),
            401,
            'FreshTokenRequiredError',
          )
          assertRefused(
            await api.request('POST', '/refresh', tokens.readWrite),
            401,
            'RefreshTokenRequiredError',
          )
          assert.equal(api.handled(), before, 'a handler ran')
        })
      })
    }
  }
})

void describe("following the provider's key rotation", () => {
  for (const [binding, build] of Object.entries(BINDINGS)) {
    void test(`${binding}: a token signed with the new key verifies after one refetch`, async () => {
      const port = await freePort()
      const oldKey = newSigningKey('provider-2026-11')
      let provider = await startIdentityProvider({ port, keys: [oldKey], resources: [RESOURCE] })
      const clock = movableClock()
      const api = await build({
        ...trusting(provider, 'discovery'),
        jwksCooldown: '30s',
        clock: clock.now,
      })
      try {
        const oldToken = await provider.accessToken(RESOURCE, 'read')
        assert.equal((await api.request('GET', '/reports', oldToken)).status, 200)

        // The rotation: the same issuer, restarted, signs with a new key and still publishes the
        // old one, so that the tokens it issued before keep verifying until they expire.
        await provider.stop()
        provider = await startIdentityProvider({
          port,
          keys: [newSigningKey('provider-2026-12'), oldKey],
          resources: [RESOURCE],
        })
        const newToken = await provider.accessToken(RESOURCE, 'read')
        assert.equal(headerOf(newToken).kid, 'provider-2026-12')

        // Within the cooldown of the first fetch the unknown kid does not refetch.
        assertRefused(
          await api.request('GET', '/reports', newToken),
          401,
          'TokenInvalidSignatureError',
        )
        assert.equal(provider.jwksRequests(), 0)

        clock.advance(31)
        assert.equal((await api.request('GET', '/reports', newToken)).status, 200)
        assert.equal(provider.jwksRequests(), 1)
        // The old key came with the same fetch.
        assert.equal((await api.request('GET', '/reports', oldToken)).status, 200)
        assert.equal((await api.request('GET', '/reports', newToken)).status, 200)
        assert.equal(provider.jwksRequests(), 1)
      } finally {
        await api.close()
        await provider.stop()
      }
    })
  }
})

void describe('a provider that stops, and one never reached', () => {
  for (const [binding, build] of Object.entries(BINDINGS)) {
    void test(`${binding}: cached keys verify within jwksMaxStale, then 503`, async () => {
      const provider = await startIdentityProvider({
        port: await freePort(),
        keys: [newSigningKey('provider-2026-12')],
        resources: [RESOURCE],
      })
      const clock = movableClock()
      const api = await build({
        ...trusting(provider, 'jwksUri'),
        jwksCacheMaxAge: '1m',
        jwksMaxStale: '10m',
        jwksCooldown: '10s',
        clock: clock.now,
      })
      try {
        const token = await provider.accessToken(RESOURCE, 'read')
        await api.ready()
        await provider.stop()

        clock.advance(5 * 60) // past jwksCacheMaxAge, within jwksMaxStale
        assert.equal((await api.request('GET', '/reports', token)).status, 200)
        clock.advance(20) // the background refresh failed; still within jwksMaxStale
        assert.equal((await api.request('GET', '/reports', token)).status, 200)

        clock.advance(10 * 60) // beyond jwksCacheMaxAge + jwksMaxStale
        const before = api.handled()
        const answer = await api.request('GET', '/reports', token)
        assertRefused(answer, 503, 'KeySetUnavailableError')
        assert.equal(answer.body.detail, 'Key set unavailable')
        assert.equal(api.handled(), before, 'the handler ran')
      } finally {
        await api.close()
        await provider.stop()
      }
    })

    void test(`${binding}: keys that never loaded answer 503, not 401`, async () => {
      // A provider that issued a token, then went away before the API first asked for keys.
      const provider = await startIdentityProvider({
        port: await freePort(),
        keys: [newSigningKey('provider-2026-12')],
        resources: [RESOURCE],
      })
      const token = await provider.accessToken(RESOURCE, 'read')
      await provider.stop()
      const api = await build(trusting(provider, 'discovery'))
      try {
        await assert.rejects(api.ready(), KeySetUnavailableError)
        const before = api.handled()
        const answer = await api.request('GET', '/reports', token)
        assertRefused(answer, 503, 'KeySetUnavailableError')
        assert.equal(api.handled(), before, 'the handler ran')
      } finally {
        await api.close()
      }
    })
  }
})

void describe('RSA keys published without alg (as Entra ID does)', () => {
  let provider: IdentityProvider
  let token = ''
  before(async () => {
    provider = await startIdentityProvider({
      port: await freePort(),
      keys: [newSigningKey('entra-style-2026-12', 'RS256', false)],
      resources: [RESOURCE],
      alg: 'RS256',
    })
    token = await provider.accessToken(RESOURCE, 'read')
  })
  after(async () => {
    await provider?.stop()
  })

  void test("verify with decodeAlgorithms: ['RS256']", async () => {
    const auth = new AuthX({ ...trusting(provider, 'discovery'), decodeAlgorithms: ['RS256'] })
    const payload = await auth.verifyToken(token)
    assert.equal(payload.sub, CLIENT_ID)
    assert.deepEqual(payload.scopes, ['read'])
  })

  void test('are never bound by guessing: with every RSA algorithm allowed, none verifies', async () => {
    // RS256, RS384, RS512 and PS* all fit an RSA key; choosing one would be a guess.
    const auth = new AuthX(trusting(provider, 'discovery'))
    await assert.rejects(auth.verifyToken(token), TokenInvalidSignatureError)
  })
})

void describe("jose and authx-ts give the same verdicts on the provider's tokens", () => {
  let provider: IdentityProvider
  let stranger: IdentityProvider
  const tokens = { good: '', otherAudience: '', stranger: '' }

  before(async () => {
    provider = await startIdentityProvider({
      port: await freePort(),
      keys: [newSigningKey('provider-2026-12')],
      resources: [RESOURCE, OTHER_RESOURCE],
    })
    stranger = await startIdentityProvider({
      port: await freePort(),
      keys: [newSigningKey('provider-2026-12')], // the same kid, another key
      resources: [RESOURCE],
    })
    tokens.good = await provider.accessToken(RESOURCE, 'read')
    tokens.otherAudience = await provider.accessToken(OTHER_RESOURCE, 'read')
    tokens.stranger = await stranger.accessToken(RESOURCE, 'read')
  })
  after(async () => {
    await provider?.stop()
    await stranger?.stop()
  })

  /** Replaces the payload's scope, keeping the header and the signature. */
  function widened(token: string): string {
    const [header, payload, signature] = token.split('.') as [string, string, string]
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
    claims.scope = 'read write'
    return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`
  }

  const cases: readonly {
    name: string
    token: () => string
    late?: number
    ours: string | null
  }[] = [
    { name: 'good', token: () => tokens.good, ours: null },
    {
      name: 'expired (an hour and a minute later)',
      token: () => tokens.good,
      late: 3660,
      ours: 'TokenExpiredError',
    },
    {
      name: 'for another resource',
      token: () => tokens.otherAudience,
      ours: 'TokenInvalidAudienceError',
    },
    {
      name: "another provider's key under a known kid",
      token: () => tokens.stranger,
      ours: 'TokenInvalidSignatureError',
    },
    {
      name: 'scope widened',
      token: () => widened(tokens.good),
      ours: 'TokenInvalidSignatureError',
    },
  ]

  for (const { name, token: make, late = 0, ours } of cases) {
    void test(name, async (t) => {
      const token = make()
      const now = Math.floor(Date.now() / 1000) + late
      const auth = new AuthX({ ...trusting(provider, 'jwksUri'), clock: () => now })
      const ourVerdict = await auth.verifyToken(token).then(
        () => null,
        (error: Error) => error.name,
      )
      const joseVerdict = await jwtVerify(token, createRemoteJWKSet(new URL(provider.jwksUri)), {
        issuer: provider.issuer,
        audience: RESOURCE,
        typ: 'at+jwt',
        currentDate: new Date(now * 1000),
      }).then(
        () => null,
        (error: Error & { code?: string }) => error.code ?? error.name,
      )
      t.diagnostic(`authx-ts: ${ourVerdict ?? 'accepted'}; jose: ${joseVerdict ?? 'accepted'}`)
      assert.equal(ourVerdict, ours)
      assert.equal(joseVerdict === null, ourVerdict === null, `jose: ${String(joseVerdict)}`)
    })
  }
})

void describe('two trusted providers, each with its own audience', () => {
  let first: IdentityProvider
  let second: IdentityProvider
  const PARTNER_RESOURCE = 'https://partner.reports.api.test'

  before(async () => {
    // Both name their key alike: a kid says nothing about whose key it is.
    first = await startIdentityProvider({
      port: await freePort(),
      keys: [newSigningKey('signing-key')],
      resources: [RESOURCE, PARTNER_RESOURCE],
    })
    second = await startIdentityProvider({
      port: await freePort(),
      keys: [newSigningKey('signing-key')],
      resources: [RESOURCE, PARTNER_RESOURCE],
    })
  })
  after(async () => {
    await first?.stop()
    await second?.stop()
  })

  for (const [binding, build] of Object.entries(BINDINGS)) {
    void test(`${binding}: each provider's tokens pass with its own audience only`, async () => {
      const api = await build({
        issuers: {
          [first.issuer]: { discovery: true },
          [second.issuer]: { jwksUri: second.jwksUri, audience: PARTNER_RESOURCE },
        },
        decodeAudience: RESOURCE,
        tokenProfile: 'rfc9068',
      })
      try {
        const fromFirst = await first.accessToken(RESOURCE, 'read')
        const fromSecond = await second.accessToken(PARTNER_RESOURCE, 'read')
        assert.equal((await api.request('GET', '/reports', fromFirst)).status, 200)
        assert.equal((await api.request('GET', '/reports', fromSecond)).status, 200)

        const before = api.handled()
        // Each issuer's audience is its own: the second provider's token for the first's API.
        assertRefused(
          await api.request('GET', '/reports', await second.accessToken(RESOURCE, 'read')),
          401,
          'TokenInvalidAudienceError',
        )
        assertRefused(
          await api.request('GET', '/reports', await first.accessToken(PARTNER_RESOURCE, 'read')),
          401,
          'TokenInvalidAudienceError',
        )
        assert.equal(api.handled(), before, 'the handler ran')
      } finally {
        await api.close()
      }
    })
  }
})
