/**
 * Publishing the instance's public keys: `auth.jwks()` (current key first, previous keys too,
 * `kid`/`alg`/`use`, never a private member or a secret), the HTTP answer (`jwksReply`,
 * `jwksResponse`: media type, `Cache-Control`, a strong `ETag`, 304 on a matching
 * `If-None-Match`), and `jwksHandler` mounted on each binding: Fastify (`inject`), Express (a
 * real server on loopback), Hono (`app.request`) and the Fetch integration. jose's
 * `createLocalJWKSet` verifies our tokens against the published set: an independent reader.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { describe, test } from 'node:test'
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import Router from '@koa/router'
import Koa from 'koa'
import { createLocalJWKSet, jwtVerify } from 'jose'
import type { JSONWebKeySet } from 'jose'
import { AuthX } from '../../src/authx.ts'
import { AuthX as ExpressAuthX } from '../../src/adapters/express.ts'
import { AuthX as FastifyAuthX } from '../../src/adapters/fastify.ts'
import { AuthX as HonoAuthX } from '../../src/adapters/hono.ts'
import { AuthX as KoaAuthX } from '../../src/adapters/koa.ts'
import type { AuthXOptions } from '../../src/config/index.ts'
import { BadConfigurationError } from '../../src/errors.ts'
import { generateKeyPairSync } from '../helpers/keypair.ts'

const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
const ed = generateKeyPairSync('ed25519')

/** Members only a private or symmetric JWK has. */
const SECRET_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']

/** An ES256 signer that still publishes its previous RS256 key. */
const ROTATED: AuthXOptions = {
  algorithm: 'ES256',
  privateKey: ec.privateKey,
  keyId: 'ec-2026',
  previousAlgorithm: 'RS256',
  previousPublicKey: rsa.publicKey,
  previousKeyId: 'rsa-2025',
}

void describe('auth.jwks()', () => {
  void test('the current key first, then the previous one, each with kid, alg and use "sig"', () => {
    const { keys } = new AuthX(ROTATED).jwks()
    assert.deepEqual(
      keys.map((k) => [k.kid, k.alg, k.use, k.kty]),
      [
        ['ec-2026', 'ES256', 'sig', 'EC'],
        ['rsa-2025', 'RS256', 'sig', 'RSA'],
      ],
    )
    const ecPublic = ec.publicKey.export({ format: 'jwk' })
    assert.deepEqual(keys[0], { ...ecPublic, kid: 'ec-2026', alg: 'ES256', use: 'sig' })
    const rsaPublic = rsa.publicKey.export({ format: 'jwk' })
    assert.deepEqual(keys[1], { ...rsaPublic, kid: 'rsa-2025', alg: 'RS256', use: 'sig' })
  })

  void test('no private member ever leaves, whatever the keys were given as', () => {
    const fromJWKs = new AuthX({
      keys: {
        keys: [
          {
            ...(rsa.privateKey.export({ format: 'jwk' }) as object),
            kty: 'RSA',
            kid: 'r',
            alg: 'PS256',
          },
          {
            ...(ed.privateKey.export({ format: 'jwk' }) as object),
            kty: 'OKP',
            kid: 'e',
            alg: 'EdDSA',
          },
          { kty: 'oct', k: randomBytes(32).toString('base64url'), kid: 'h', alg: 'HS256' },
        ],
      },
    })
    const fromPEM = new AuthX({
      algorithm: 'RS256',
      privateKey: rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }),
    })
    for (const auth of [fromJWKs, fromPEM, new AuthX(ROTATED)]) {
      for (const key of auth.jwks().keys) {
        for (const member of SECRET_MEMBERS) assert.equal(Object.hasOwn(key, member), false, member)
      }
    }
    // The HMAC key of the set is not published; the two others are, in order.
    assert.deepEqual(
      fromJWKs.jwks().keys.map((k) => k.kid),
      ['r', 'e'],
    )
  })

  void test('with keys, the signing key is published first', () => {
    const auth = new AuthX({
      keys: {
        keys: [
          {
            ...(rsa.publicKey.export({ format: 'jwk' }) as object),
            kty: 'RSA',
            kid: 'old',
            alg: 'RS256',
          },
          {
            ...(ed.privateKey.export({ format: 'jwk' }) as object),
            kty: 'OKP',
            kid: 'new',
            alg: 'EdDSA',
          },
        ],
      },
    })
    assert.deepEqual(
      auth.jwks().keys.map((k) => k.kid),
      ['new', 'old'],
    )
  })

  void test('an HMAC previous key is left out: only the public key is published', () => {
    const auth = new AuthX({
      algorithm: 'EdDSA',
      privateKey: ed.privateKey,
      keyId: 'ed',
      previousAlgorithm: 'HS256',
      previousSecretKey: randomBytes(32),
    })
    assert.deepEqual(
      auth.jwks().keys.map((k) => k.kid),
      ['ed'],
    )
  })

  void test('an HMAC-only instance and a remote-key instance throw BadConfigurationError saying why', () => {
    const hmac = new AuthX({ secretKey: randomBytes(32), keyId: 'h' })
    assert.throws(
      () => hmac.jwks(),
      (error: unknown) =>
        error instanceof BadConfigurationError &&
        /HMAC secrets, which are never published/.test(error.message),
    )
    assert.throws(() => hmac.jwksReply(), BadConfigurationError)
    assert.throws(() => hmac.jwksResponse(), BadConfigurationError)
    const remote = new AuthX({ jwksUri: 'https://idp.example/jwks' })
    assert.throws(
      () => remote.jwks(),
      (error: unknown) =>
        error instanceof BadConfigurationError && /remote key sets/.test(error.message),
    )
  })

  void test("jose's createLocalJWKSet verifies the instance's tokens, the previous key's too", async () => {
    const auth = new AuthX(ROTATED)
    const old = new AuthX({ algorithm: 'RS256', privateKey: rsa.privateKey, keyId: 'rsa-2025' })
    const set = createLocalJWKSet(JSON.parse(JSON.stringify(auth.jwks())) as JSONWebKeySet)
    for (const token of [auth.createAccessToken('alice'), old.createAccessToken('bob')]) {
      const { payload } = await jwtVerify(token, set)
      assert.equal(typeof payload.sub, 'string')
    }
  })
})

void describe('auth.jwksReply() and auth.jwksResponse()', () => {
  const auth = new AuthX({ ...ROTATED, jwksCacheMaxAge: '5m' })

  void test('200 with the set, application/jwk-set+json, Cache-Control public with max-age, a strong ETag', () => {
    const reply = auth.jwksReply()
    assert.equal(reply.status, 200)
    assert.equal(reply.headers['content-type'], 'application/jwk-set+json')
    assert.equal(reply.headers['cache-control'], 'public, max-age=300')
    const etag = reply.headers.etag as string
    assert.match(etag, /^"[A-Za-z0-9_-]+"$/)
    assert.deepEqual(JSON.parse(reply.body as string), auth.jwks())
    // The default max-age is jwksCacheMaxAge's default, 10 minutes.
    assert.equal(new AuthX(ROTATED).jwksReply().headers['cache-control'], 'public, max-age=600')
  })

  void test('the ETag is the same for the same keys and changes with them', () => {
    const etag = auth.jwksReply().headers.etag
    assert.equal(auth.jwksReply().headers.etag, etag)
    assert.equal(new AuthX(ROTATED).jwksReply().headers.etag, etag)
    const rotatedAgain = new AuthX({ algorithm: 'EdDSA', privateKey: ed.privateKey, keyId: 'ed' })
    assert.notEqual(rotatedAgain.jwksReply().headers.etag, etag)
  })

  void test('If-None-Match naming the tag (as is, weak, in a list, or *) answers 304 without a body', () => {
    const etag = auth.jwksReply().headers.etag as string
    for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`, `"a",W/${etag} , "b"`, '*']) {
      const reply = auth.jwksReply(ifNoneMatch)
      assert.equal(reply.status, 304, ifNoneMatch)
      assert.equal(reply.body, null)
      assert.equal(reply.headers.etag, etag)
      assert.equal(reply.headers['cache-control'], 'public, max-age=300')
      assert.equal(reply.headers['content-type'], undefined)
    }
  })

  void test('another tag, an empty or absent header answers 200 with the set', () => {
    const etag = auth.jwksReply().headers.etag as string
    for (const ifNoneMatch of ['"other"', `W/"other"`, etag.slice(1, -1), '', null, undefined]) {
      const reply = auth.jwksReply(ifNoneMatch)
      assert.equal(reply.status, 200, String(ifNoneMatch))
      assert.deepEqual(JSON.parse(reply.body as string), auth.jwks())
    }
  })

  void test('jwksResponse(request) is the same answer as a Fetch Response', async () => {
    const etag = auth.jwksReply().headers.etag as string
    const full = auth.jwksResponse(new Request('https://api.example/.well-known/jwks.json'))
    await expectSet(full, auth, etag)
    const none = auth.jwksResponse()
    await expectSet(none, auth, etag)
    const cached = auth.jwksResponse(
      new Request('https://api.example/.well-known/jwks.json', {
        headers: { 'if-none-match': etag },
      }),
    )
    await expectNotModified(cached, etag)
  })
})

/** Asserts a 200 carrying the set with the contract's headers. */
async function expectSet(response: Response, auth: AuthX, etag: string): Promise<void> {
  assert.equal(response.status, 200)
  assert.equal(response.headers.get('content-type'), 'application/jwk-set+json')
  assert.equal(response.headers.get('cache-control'), 'public, max-age=300')
  assert.equal(response.headers.get('etag'), etag)
  assert.deepEqual(await response.json(), auth.jwks())
}

/** Asserts a 304 without a body. */
async function expectNotModified(response: Response, etag: string): Promise<void> {
  assert.equal(response.status, 304)
  assert.equal(response.headers.get('etag'), etag)
  assert.equal(response.headers.get('cache-control'), 'public, max-age=300')
  assert.equal(await response.text(), '')
}

void describe('jwksHandler on each binding', () => {
  const options: AuthXOptions = { ...ROTATED, jwksCacheMaxAge: '5m' }
  const path = '/.well-known/jwks.json'

  void test('Fastify (inject)', async () => {
    const auth = new FastifyAuthX(options)
    const app = Fastify({ logger: false })
    app.get(path, auth.jwksHandler)
    try {
      const full = await app.inject({ method: 'GET', url: path })
      const etag = full.headers.etag as string
      await expectSet(
        new Response(full.body, { status: 200, headers: toHeaders(full.headers) }),
        auth,
        etag,
      )
      assert.equal(full.headers.etag, auth.jwksReply().headers.etag)
      const cached = await app.inject({
        method: 'GET',
        url: path,
        headers: { 'if-none-match': etag },
      })
      assert.equal(cached.statusCode, 304)
      assert.equal(cached.body, '')
      assert.equal(cached.headers.etag, etag)
      assert.equal(cached.headers['cache-control'], 'public, max-age=300')
      const other = await app.inject({
        method: 'GET',
        url: path,
        headers: { 'if-none-match': '"x"' },
      })
      assert.equal(other.statusCode, 200)
    } finally {
      await app.close()
    }
  })

  void test('Express (a real server on loopback)', async () => {
    const auth = new ExpressAuthX(options)
    const app = express()
    app.get(path, auth.jwksHandler)
    const server = app.listen(0, '127.0.0.1')
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve)
      server.once('error', reject)
    })
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`
    try {
      const etag = auth.jwksReply().headers.etag as string
      await expectSet(await fetch(url), auth, etag)
      await expectNotModified(await fetch(url, { headers: { 'if-none-match': `W/${etag}` } }), etag)
      const other = await fetch(url, { headers: { 'if-none-match': '"x"' } })
      assert.equal(other.status, 200)
      await other.body?.cancel()
    } finally {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })

  void test('Hono (app.request)', async () => {
    const auth = new HonoAuthX(options)
    const app = new Hono()
    app.get(path, auth.jwksHandler)
    const etag = auth.jwksReply().headers.etag as string
    await expectSet(await app.request(path), auth, etag)
    await expectNotModified(await app.request(path, { headers: { 'if-none-match': '*' } }), etag)
  })

  void test('Koa (a real server on loopback)', async () => {
    const auth = new KoaAuthX(options)
    const app = new Koa()
    const router = new Router()
    router.get(path, auth.jwksHandler)
    app.use(router.routes())
    const server = app.listen(0, '127.0.0.1')
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve)
      server.once('error', reject)
    })
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`
    try {
      const etag = auth.jwksReply().headers.etag as string
      await expectSet(await fetch(url), auth, etag)
      await expectNotModified(await fetch(url, { headers: { 'if-none-match': etag } }), etag)
    } finally {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })

  void test('Fetch integration: a route handler answering auth.jwksResponse(request)', async () => {
    const auth = new AuthX(options)
    const handler = (request: Request): Response => auth.jwksResponse(request)
    const etag = auth.jwksReply().headers.etag as string
    await expectSet(handler(new Request(`https://api.example${path}`)), auth, etag)
    await expectNotModified(
      handler(new Request(`https://api.example${path}`, { headers: { 'if-none-match': etag } })),
      etag,
    )
  })
})

/** Fastify's inject headers as a Fetch `Headers`. */
function toHeaders(headers: Record<string, string | string[] | number | undefined>): Headers {
  const result = new Headers()
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined)
      result.set(name, Array.isArray(value) ? value.join(', ') : String(value))
  }
  return result
}
