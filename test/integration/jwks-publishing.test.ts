/**
 * An authx-ts signer publishing its JWK Set with `auth.jwksHandler` on a real Fastify server, and
 * two independent verifiers reading it over HTTP: an authx-ts instance configured with
 * `jwksUri`, and jose's `createRemoteJWKSet` + `jwtVerify`. The same tokens (good ones signed
 * with an Ed25519 and an RSA key, expired, for another audience, with an unknown kid, with an
 * unpublished key, tampered) get the same verdict from both.
 */
import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { AuthX } from 'authx-ts'
import type { AuthXErrorName, JWKSet } from 'authx-ts'
import { AuthX as ExpressAuthX } from 'authx-ts/express'
import { AuthX as FastifyAuthX } from 'authx-ts/fastify'
import { AuthX as HonoAuthX } from 'authx-ts/hono'
import express from 'express'
import Fastify from 'fastify'
import type { FastifyInstance } from 'fastify'
import { Hono } from 'hono'
import { once } from 'node:events'
import { createRemoteJWKSet, jwtVerify } from 'jose'

const AUDIENCE = 'https://orders.api.test'
const ISSUER = 'https://auth.service.test'

/** A private JWK of a new key pair, named and bound to its algorithm. */
function privateJWK(kid: string, alg: 'EdDSA' | 'RS256'): JWKSet['keys'][number] {
  const { privateKey } =
    alg === 'EdDSA'
      ? generateKeyPairSync('ed25519')
      : generateKeyPairSync('rsa', { modulusLength: 2048 })
  return { ...privateKey.export({ format: 'jwk' }), kid, alg } as JWKSet['keys'][number]
}

/** The signing service's keys: the current Ed25519 key and an RSA key for older clients. */
const KEYS: JWKSet = {
  keys: [privateJWK('ed-2026-12', 'EdDSA'), privateJWK('rs-2026-12', 'RS256')],
}

function signer(signingKeyId: string, keys: JWKSet = KEYS): AuthX {
  return new AuthX({ keys, signingKeyId, encodeAudience: AUDIENCE, encodeIssuer: ISSUER })
}

/** Replaces the payload of a token, keeping its header and signature. */
function tamper(token: string): string {
  const [header, payload, signature] = token.split('.') as [string, string, string]
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
  claims.sub = 'admin'
  return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`
}

void describe('an authx-ts signer publishing its JWK Set, verified through the endpoint', () => {
  let app: FastifyInstance
  let jwksUri = ''
  const edSigner = signer('ed-2026-12')
  const rsSigner = signer('rs-2026-12')

  before(async () => {
    const publisher = new FastifyAuthX({ keys: KEYS })
    app = Fastify()
    app.get('/.well-known/jwks.json', publisher.jwksHandler)
    await app.listen({ port: 0, host: '127.0.0.1' })
    jwksUri = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/.well-known/jwks.json`
  })
  after(async () => {
    await app?.close()
  })

  void test('the endpoint serves the public keys, cacheable, with a strong ETag and 304', async () => {
    const response = await fetch(jwksUri)
    assert.equal(response.status, 200)
    assert.equal(response.headers.get('content-type'), 'application/jwk-set+json')
    assert.equal(response.headers.get('cache-control'), 'public, max-age=600')
    const etag = response.headers.get('etag') ?? ''
    assert.match(etag, /^"[^"]+"$/)
    const set = (await response.json()) as { keys: Record<string, unknown>[] }
    assert.deepEqual(
      set.keys.map((k) => [k.kid, k.alg, k.use, k.kty]),
      [
        ['ed-2026-12', 'EdDSA', 'sig', 'OKP'],
        ['rs-2026-12', 'RS256', 'sig', 'RSA'],
      ],
    )
    for (const key of set.keys) {
      for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) {
        assert.equal(Object.hasOwn(key, secret), false, `${String(key.kid)} publishes ${secret}`)
      }
    }

    const again = await fetch(jwksUri, { headers: { 'if-none-match': etag } })
    assert.equal(again.status, 304)
    assert.equal(again.headers.get('etag'), etag)
    assert.equal((await again.arrayBuffer()).byteLength, 0)
  })

  void test('an authx-ts verifier with jwksUri accepts tokens of both keys', async () => {
    const verifier = new AuthX({ jwksUri, decodeAudience: AUDIENCE, decodeIssuer: ISSUER })
    await verifier.ready()
    for (const [auth, kid] of [
      [edSigner, 'ed-2026-12'],
      [rsSigner, 'rs-2026-12'],
    ] as const) {
      const token = auth.createAccessToken('user-42', { scopes: ['orders:read'] })
      const payload = await verifier.verifyToken(token)
      assert.equal(payload.sub, 'user-42')
      assert.deepEqual(payload.scopes, ['orders:read'])
      // Once the set is cached, verification needs no promise.
      assert.equal(verifier.verifyTokenSync(token).sub, 'user-42', kid)
    }
  })

  void describe('jose and authx-ts give the same verdicts on the same tokens', () => {
    /** A key that signs but was never published, under a kid the set does know. */
    const impostor = signer('ed-2026-12', {
      keys: [privateJWK('ed-2026-12', 'EdDSA')],
    })
    const cases: readonly { name: string; token: () => string; ours: AuthXErrorName | null }[] = [
      { name: 'good (EdDSA)', token: () => edSigner.createAccessToken('u1'), ours: null },
      { name: 'good (RS256)', token: () => rsSigner.createAccessToken('u1'), ours: null },
      {
        name: 'expired',
        token: () => edSigner.createAccessToken('u1', { expiresIn: new Date(Date.now() - 60_000) }),
        ours: 'TokenExpiredError',
      },
      {
        name: 'another audience',
        token: () => edSigner.createAccessToken('u1', { audience: 'https://billing.api.test' }),
        ours: 'TokenInvalidAudienceError',
      },
      {
        name: 'unknown kid',
        token: () => edSigner.createAccessToken('u1', { headers: { kid: 'ed-2027-01' } }),
        ours: 'TokenInvalidSignatureError',
      },
      {
        name: 'a known kid, an unpublished key',
        token: () => impostor.createAccessToken('u1'),
        ours: 'TokenInvalidSignatureError',
      },
      {
        name: 'tampered payload',
        token: () => tamper(rsSigner.createAccessToken('u1')),
        ours: 'TokenInvalidSignatureError',
      },
    ]

    for (const { name, token: make, ours } of cases) {
      void test(name, async (t) => {
        const token = make()
        const verifier = new AuthX({ jwksUri, decodeAudience: AUDIENCE, decodeIssuer: ISSUER })
        const jwks = createRemoteJWKSet(new URL(jwksUri))

        const ourVerdict = await verifier.verifyToken(token).then(
          () => null,
          (error: Error) => error.name,
        )
        const joseVerdict = await jwtVerify(token, jwks, {
          audience: AUDIENCE,
          issuer: ISSUER,
        }).then(
          () => null,
          (error: Error & { code?: string }) => error.code ?? error.name,
        )
        t.diagnostic(`authx-ts: ${ourVerdict ?? 'accepted'}; jose: ${joseVerdict ?? 'accepted'}`)
        assert.equal(ourVerdict, ours)
        // Both accept, or both refuse: the reasons are each library's own words for it.
        assert.equal(joseVerdict === null, ourVerdict === null, `jose: ${String(joseVerdict)}`)
      })
    }
  })
})

/** What a JWKS endpoint answered, reduced to what a client relies on. */
interface Served {
  readonly status: number
  readonly contentType: string | null
  readonly cacheControl: string | null
  readonly etag: string | null
  readonly body: string
}

async function served(response: Response): Promise<Served> {
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    cacheControl: response.headers.get('cache-control'),
    etag: response.headers.get('etag'),
    body: await response.text(),
  }
}

void describe("every binding's JWKS handler answers the same", () => {
  const options = { keys: KEYS, jwksCacheMaxAge: '5m' }

  /** GETs the set from each binding, with and without If-None-Match. */
  async function fromEveryBinding(ifNoneMatch?: string): Promise<Record<string, Served>> {
    const headers: Record<string, string> =
      ifNoneMatch === undefined ? {} : { 'if-none-match': ifNoneMatch }
    const results: Record<string, Served> = {}

    const fastify = Fastify()
    fastify.get('/.well-known/jwks.json', new FastifyAuthX(options).jwksHandler)
    const injected = await fastify.inject({ url: '/.well-known/jwks.json', headers })
    results.fastify = {
      status: injected.statusCode,
      contentType: (injected.headers['content-type'] as string | undefined) ?? null,
      cacheControl: injected.headers['cache-control'] ?? null,
      etag: injected.headers.etag ?? null,
      body: injected.body,
    }
    await fastify.close()

    const app = express()
    app.get('/.well-known/jwks.json', new ExpressAuthX(options).jwksHandler)
    const server = app.listen(0, '127.0.0.1')
    await once(server, 'listening')
    try {
      const port = (server.address() as AddressInfo).port
      results.express = await served(
        await fetch(`http://127.0.0.1:${port}/.well-known/jwks.json`, { headers }),
      )
    } finally {
      server.close()
      server.closeAllConnections()
    }

    const hono = new Hono()
    hono.get('/.well-known/jwks.json', new HonoAuthX(options).jwksHandler)
    results.hono = await served(await hono.request('/.well-known/jwks.json', { headers }))

    const core = new AuthX(options)
    results.fetch = await served(
      core.jwksResponse(new Request('http://auth.test/.well-known/jwks.json', { headers })),
    )
    return results
  }

  void test('200: the same set, media type, caching and entity tag', async () => {
    const results = await fromEveryBinding()
    const expected = results.fetch as Served
    assert.equal(expected.status, 200)
    assert.equal(expected.contentType, 'application/jwk-set+json')
    assert.equal(expected.cacheControl, 'public, max-age=300')
    for (const [binding, result] of Object.entries(results)) {
      assert.deepEqual(result, expected, binding)
    }
  })

  void test('304 to a matching If-None-Match, weak or strong, on every binding', async () => {
    const etag = (await fromEveryBinding()).fetch?.etag ?? ''
    for (const tag of [etag, `W/${etag}`, `"other", ${etag}`]) {
      for (const [binding, result] of Object.entries(await fromEveryBinding(tag))) {
        assert.equal(result.status, 304, `${binding} with ${tag}`)
        assert.equal(result.etag, etag, binding)
        assert.equal(result.body, '', binding)
      }
    }
  })
})
