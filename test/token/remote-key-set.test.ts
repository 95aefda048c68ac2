/**
 * Remote key sets against a real HTTP server on loopback (no fetch mock): how many requests the
 * provider sees (one per load, shared by concurrent misses, bounded by the cooldown), that the
 * cached path stays synchronous (also through a background refresh), the stale-key window while
 * the provider is down, the fetch rules (loopback-only http, no redirects, only 200, the 512 KiB
 * cap, JSON objects only, the timeout), OpenID discovery, and several issuers. The clock is
 * injected: time moves only when a test moves it.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { KeyObject } from 'node:crypto'
import { createServer as createNetServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { AuthX } from '../../src/authx.ts'
import type { AuthXOptions } from '../../src/config/index.ts'
import {
  BadConfigurationError,
  KeySetUnavailableError,
  TokenInvalidAudienceError,
  TokenInvalidIssuerError,
  TokenInvalidSignatureError,
} from '../../src/errors.ts'
import { JWSVerifier } from '../../src/token/jws.ts'
import { MAX_DOCUMENT_BYTES } from '../../src/token/fetch-document.ts'
import { RemoteKeySet } from '../../src/token/remote-key-set.ts'
import type { RemoteKeySetOptions } from '../../src/token/remote-key-set.ts'
import { generateKeyPairSync } from '../helpers/keypair.ts'
import { NOW, baseClaims } from '../helpers/http-invariants.ts'
import { publicJWK, signedToken, startJWKSServer } from '../helpers/jwks-server.ts'
import type { JWKSServer } from '../helpers/jwks-server.ts'

const rsa1 = generateKeyPairSync('rsa', { modulusLength: 2048 })
const rsa2 = generateKeyPairSync('rsa', { modulusLength: 2048 })
const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 })
const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })

/** A JWK Set of public keys, each `[key, kid, alg]`. */
function jwkSet(...keys: [KeyObject, string, string][]): object {
  return { keys: keys.map(([key, kid, alg]) => publicJWK(key, { kid, alg, use: 'sig' })) }
}

/** Claims valid for a day from {@link NOW}, whatever the test does with the clock. */
function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return baseClaims({ exp: NOW + 86_400, ...overrides })
}

/** An RS256 token of `rsa1` under kid `k1` (or another key and kid). */
function token(key: KeyObject = rsa1.privateKey, kid = 'k1', extra: object = {}): string {
  return signedToken(key, 'RS256', kid, claims(extra as Record<string, unknown>))
}

/** A verify-only instance on `server`'s `/jwks` and its movable clock. */
function remote(
  server: JWKSServer,
  options: AuthXOptions = {},
): { auth: AuthX; clock: { now: number } } {
  const clock = { now: NOW }
  const auth = new AuthX({
    jwksUri: server.url('/jwks'),
    jwksCacheMaxAge: 60,
    jwksCooldown: 30,
    jwksMaxStale: 120,
    clock: () => clock.now,
    ...options,
  })
  return { auth, clock }
}

/** Asserts that `action` rejects with `type` (and, for a 503, the contract's status). */
async function rejectsWith(
  action: () => Promise<unknown>,
  type: new () => Error,
  reason?: RegExp,
): Promise<void> {
  await assert.rejects(action, (error: unknown) => {
    assert.ok(error instanceof type, `expected ${type.name}, got ${String(error)}`)
    if (error instanceof KeySetUnavailableError) assert.equal(error.statusCode, 503)
    // The internal reason (never sent to the client) says why the fetch failed.
    if (reason !== undefined) assert.match(String((error as { reason?: string }).reason), reason)
    return true
  })
}

void describe('remote key set: caching and the synchronous path', () => {
  let server: JWKSServer
  before(async () => {
    server = await startJWKSServer()
  })
  after(() => server.close())

  void test('one fetch serves many verifications; once loaded, verification returns no promise', async () => {
    server.serveJSON('/jwks', jwkSet([rsa1.publicKey, 'k1', 'RS256']))
    const start = server.requests('/jwks')
    const { auth } = remote(server)
    const first = token()
    // Nothing cached yet: the synchronous entry point cannot answer, and says why (503).
    assert.throws(() => auth.verifyTokenSync(first), KeySetUnavailableError)
    const payload = await auth.verifyToken(first)
    assert.equal(payload.sub, 'alice')
    for (let i = 0; i < 50; i++) {
      const result = auth.verifyTokenSync(token(rsa1.privateKey, 'k1', { sub: `user-${i}` }))
      assert.ok(!(result instanceof Promise))
      assert.equal(result.sub, `user-${i}`)
    }
    assert.equal(server.requests('/jwks') - start, 1)
  })

  void test('the JWSVerifier over a RemoteKeySet: a promise on the first miss, a plain result after', async () => {
    server.serveJSON('/jwks', jwkSet([rsa1.publicKey, 'k1', 'RS256']))
    const start = server.requests('/jwks')
    const set = new RemoteKeySet(setOptions(server))
    const verifier = new JWSVerifier(set, ['RS256'], 8192)
    const pending = verifier.verify(token())
    assert.ok(pending instanceof Promise)
    assert.equal((await pending).key.kid, 'k1')
    const cached = verifier.verify(token())
    assert.ok(!(cached instanceof Promise))
    assert.equal(cached.payload.sub, 'alice')
    assert.equal(server.requests('/jwks') - start, 1)
  })

  void test('concurrent misses share one fetch', async () => {
    let release: () => void = () => undefined
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    server.route('/jwks', (_request, response) => {
      void gate.then(() => {
        response
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify(jwkSet([rsa1.publicKey, 'k1', 'RS256'])))
      })
    })
    const start = server.requests('/jwks')
    const { auth } = remote(server)
    const verifications = Array.from({ length: 25 }, (_, i) =>
      auth.verifyToken(token(rsa1.privateKey, 'k1', { sub: `user-${i}` })),
    )
    release()
    const payloads = await Promise.all(verifications)
    assert.deepEqual(
      payloads.map((p) => p.sub),
      Array.from({ length: 25 }, (_, i) => `user-${i}`),
    )
    assert.equal(server.requests('/jwks') - start, 1)
  })

  void test('a flood of unknown kids costs at most one request per cooldown, then TokenInvalidSignatureError', async () => {
    server.serveJSON('/jwks', jwkSet([rsa1.publicKey, 'k1', 'RS256']))
    const start = server.requests('/jwks')
    const { auth, clock } = remote(server)
    await auth.ready()
    const flood = async (): Promise<void> => {
      const results = await Promise.allSettled(
        Array.from({ length: 40 }, (_, i) =>
          auth.verifyToken(token(attacker.privateKey, `invented-${clock.now}-${i}`)),
        ),
      )
      for (const result of results) {
        assert.equal(result.status, 'rejected')
        assert.ok(result.reason instanceof TokenInvalidSignatureError, String(result.reason))
      }
    }
    // Within the cooldown of the first load: no request at all.
    await flood()
    assert.equal(server.requests('/jwks') - start, 1)
    // Each new cooldown window allows exactly one refetch, shared by the whole flood.
    for (let window = 1; window <= 3; window++) {
      clock.now += 30
      await flood()
      assert.equal(server.requests('/jwks') - start, 1 + window)
    }
    // The known key still verifies, synchronously.
    assert.equal(auth.verifyTokenSync(token()).sub, 'alice')
  })

  void test("an unknown kid after the cooldown picks up the provider's new key", async () => {
    server.serveJSON('/jwks', jwkSet([rsa1.publicKey, 'k1', 'RS256']))
    const { auth, clock } = remote(server)
    await auth.ready()
    server.serveJSON(
      '/jwks',
      jwkSet([rsa1.publicKey, 'k1', 'RS256'], [rsa2.publicKey, 'k2', 'RS256']),
    )
    const rotated = token(rsa2.privateKey, 'k2')
    // Inside the cooldown the set is not asked again: the new kid is unknown.
    await rejectsWith(() => auth.verifyToken(rotated), TokenInvalidSignatureError)
    clock.now += 30
    assert.equal((await auth.verifyToken(rotated)).sub, 'alice')
    assert.equal(auth.verifyTokenSync(rotated).sub, 'alice')
  })

  void test('a synchronous attempt that starts the refetch and the awaited attempt share it', async () => {
    // What a guard does: try without a promise, then await the same checks.
    server.serveJSON('/jwks', jwkSet([rsa1.publicKey, 'k1', 'RS256']))
    const start = server.requests('/jwks')
    const { auth, clock } = remote(server)
    await auth.ready()
    server.serveJSON('/jwks', jwkSet([rsa2.publicKey, 'k2', 'RS256']))
    clock.now += 30
    const rotated = token(rsa2.privateKey, 'k2')
    assert.throws(() => auth.verifyTokenSync(rotated), KeySetUnavailableError)
    assert.equal((await auth.verifyToken(rotated)).sub, 'alice')
    assert.equal(server.requests('/jwks') - start, 2)
  })

  void test('after cacheMaxAge a background refresh runs while verification stays synchronous', async () => {
    server.serveJSON('/jwks', jwkSet([rsa1.publicKey, 'k1', 'RS256']))
    const start = server.requests('/jwks')
    const { auth, clock } = remote(server, { verifiedTokenCache: true })
    await auth.ready()
    // The provider rotates: k1 is gone, k2 signs.
    server.serveJSON('/jwks', jwkSet([rsa2.publicKey, 'k2', 'RS256']))
    clock.now += 61
    const result = auth.verifyTokenSync(token())
    assert.ok(!(result instanceof Promise))
    assert.equal(result.sub, 'alice')
    // ready() joins the refresh under way (it started during the verification above).
    await auth.ready()
    assert.equal(server.requests('/jwks') - start, 2)
    // The refreshed set rules: the removed key no longer verifies (nor a cached verdict of it).
    await rejectsWith(() => auth.verifyToken(token()), TokenInvalidSignatureError)
    assert.equal(auth.verifyTokenSync(token(rsa2.privateKey, 'k2')).sub, 'alice')
  })
})

/** Options of a bare RemoteKeySet on `server`'s `/jwks`. */
function setOptions(
  server: JWKSServer,
  overrides: Partial<RemoteKeySetOptions> = {},
): RemoteKeySetOptions {
  return {
    jwksUri: server.url('/jwks'),
    issuer: null,
    algorithms: ['RS256'],
    cacheMaxAge: 60,
    cooldown: 30,
    timeout: 5,
    maxStale: 120,
    clock: () => NOW,
    ...overrides,
  }
}

void describe('remote key set: a provider that fails', () => {
  void test('with the server stopped, cached keys verify until cacheMaxAge + maxStale, then 503', async () => {
    const server = await startJWKSServer()
    try {
      server.serveJSON('/jwks', jwkSet([rsa1.publicKey, 'k1', 'RS256']))
      const { auth, clock } = remote(server)
      await auth.ready()
      await server.close()
      clock.now += 61
      // Past cacheMaxAge: still synchronous; the refresh it starts fails quietly.
      assert.equal(auth.verifyTokenSync(token()).sub, 'alice')
      await rejectsWith(() => auth.ready(), KeySetUnavailableError)
      clock.now = NOW + 60 + 119
      assert.equal(auth.verifyTokenSync(token()).sub, 'alice')
      assert.equal((await auth.verifyToken(token())).sub, 'alice')
      clock.now = NOW + 60 + 120
      await rejectsWith(() => auth.verifyToken(token()), KeySetUnavailableError)
      assert.throws(() => auth.verifyTokenSync(token()), KeySetUnavailableError)
    } finally {
      await server.close()
    }
  })

  void test('jwksMaxStale 0: past cacheMaxAge, a failing provider means 503 at once', async () => {
    const server = await startJWKSServer()
    try {
      server.serveJSON('/jwks', jwkSet([rsa1.publicKey, 'k1', 'RS256']))
      const { auth, clock } = remote(server, { jwksMaxStale: 0 })
      await auth.ready()
      assert.equal(auth.verifyTokenSync(token()).sub, 'alice')
      server.route('/jwks', (_request, response) => {
        response.writeHead(500).end()
      })
      clock.now += 60
      await rejectsWith(() => auth.verifyToken(token()), KeySetUnavailableError)
      assert.throws(() => auth.verifyTokenSync(token()), KeySetUnavailableError)
    } finally {
      await server.close()
    }
  })

  void test('keys that expire inside the cooldown are refetched from a healthy provider, not refused', async () => {
    // cacheMaxAge + maxStale shorter than the cooldown: the cooldown bounds failed attempts and
    // unknown kids, never the reload of a set that simply aged out.
    const server = await startJWKSServer()
    try {
      server.serveJSON('/jwks', jwkSet([rsa1.publicKey, 'k1', 'RS256']))
      const { auth, clock } = remote(server, { jwksCacheMaxAge: 10, jwksMaxStale: 0 })
      await auth.ready()
      clock.now += 10
      assert.equal((await auth.verifyToken(token())).sub, 'alice')
      assert.equal(server.requests('/jwks'), 2)
      assert.equal(auth.verifyTokenSync(token()).sub, 'alice')
    } finally {
      await server.close()
    }
  })

  void test('a failure with nothing cached is 503; within the cooldown no new request is made', async () => {
    const server = await startJWKSServer()
    try {
      server.route('/jwks', (_request, response) => {
        response.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"down"}')
      })
      const { auth, clock } = remote(server)
      await rejectsWith(() => auth.verifyToken(token()), KeySetUnavailableError)
      assert.equal(server.requests('/jwks'), 1)
      for (let i = 0; i < 10; i++) {
        await rejectsWith(() => auth.verifyToken(token()), KeySetUnavailableError)
      }
      clock.now += 29
      await rejectsWith(() => auth.verifyToken(token()), KeySetUnavailableError)
      assert.equal(server.requests('/jwks'), 1)
      // After the cooldown one new attempt; the provider is back.
      server.serveJSON('/jwks', jwkSet([rsa1.publicKey, 'k1', 'RS256']))
      clock.now += 1
      assert.equal((await auth.verifyToken(token())).sub, 'alice')
      assert.equal(server.requests('/jwks'), 2)
    } finally {
      await server.close()
    }
  })

  void test('auth.ready() resolves once the set is loaded and rejects with KeySetUnavailableError when it cannot be', async () => {
    const server = await startJWKSServer()
    try {
      server.serveJSON('/jwks', jwkSet([rsa1.publicKey, 'k1', 'RS256']))
      server.route('/down', (_request, response) => {
        response.writeHead(503).end()
      })
      const up = remote(server).auth
      await up.ready()
      assert.equal(server.requests('/jwks'), 1)
      assert.equal(up.verifyTokenSync(token()).sub, 'alice')
      const down = new AuthX({ jwksUri: server.url('/down'), clock: () => NOW })
      await rejectsWith(() => down.ready(), KeySetUnavailableError)
      // An instance with its own keys is ready at once.
      await new AuthX({ secretKey: 'k'.repeat(32) }).ready()
    } finally {
      await server.close()
    }
  })
})

void describe('remote key set: what the fetch accepts', () => {
  let server: JWKSServer
  before(async () => {
    server = await startJWKSServer()
    server.serveJSON('/jwks', jwkSet([rsa1.publicKey, 'k1', 'RS256']))
  })
  after(() => server.close())

  /** An instance reading `path`, answering the test's verdict on the first token. */
  async function refusedAt(
    path: string,
    reason: RegExp,
    options: AuthXOptions = {},
  ): Promise<void> {
    const auth = new AuthX({ jwksUri: server.url(path), clock: () => NOW, ...options })
    await rejectsWith(() => auth.verifyToken(token()), KeySetUnavailableError, reason)
  }

  void test('http on a non-loopback host is refused at construction; https and loopback http are accepted', () => {
    for (const jwksUri of [
      'http://idp.example/jwks',
      'http://127.0.0.1.nip.io/jwks',
      'http://localhost.example.com/jwks',
      'http://10.0.0.1/jwks',
      'ftp://127.0.0.1/jwks',
      'file:///etc/jwks.json',
      '/jwks',
      'not a url',
    ]) {
      assert.throws(
        () => new AuthX({ jwksUri }),
        (error: unknown) =>
          error instanceof BadConfigurationError && error.message.startsWith('jwksUri:'),
        jwksUri,
      )
    }
    for (const jwksUri of [
      'https://idp.example/.well-known/jwks.json',
      'http://127.0.0.1:8080/jwks',
      'http://localhost/jwks',
      'http://[::1]:9000/jwks',
    ]) {
      assert.doesNotThrow(() => new AuthX({ jwksUri }), jwksUri)
    }
  })

  void test('a redirect is not followed, even to a valid set on the same server', async () => {
    const before = server.requests('/jwks')
    for (const status of [301, 302, 303, 307, 308]) {
      server.route(`/moved-${status}`, (_request, response) => {
        response.writeHead(status, { location: server.url('/jwks') }).end()
      })
      await refusedAt(`/moved-${status}`, new RegExp(`redirect \\(${status}\\)`))
    }
    assert.equal(server.requests('/jwks'), before)
  })

  void test('only a 200 is accepted', async () => {
    const body = JSON.stringify(jwkSet([rsa1.publicKey, 'k1', 'RS256']))
    for (const status of [201, 203, 206, 404, 500]) {
      server.route(`/status-${status}`, (_request, response) => {
        response.writeHead(status, { 'content-type': 'application/json' }).end(body)
      })
      await refusedAt(`/status-${status}`, new RegExp(`answered ${status}$`))
    }
    server.route('/status-204', (_request, response) => {
      response.writeHead(204).end()
    })
    await refusedAt('/status-204', /answered 204$/)
  })

  /** A JWK Set padded with an ignored member to exactly `bytes` bytes of JSON. */
  function paddedSet(bytes: number): string {
    const set = jwkSet([rsa1.publicKey, 'k1', 'RS256']) as Record<string, unknown>
    const empty = JSON.stringify({ ...set, padding: '' }).length
    return JSON.stringify({ ...set, padding: 'x'.repeat(bytes - empty) })
  }

  void test('a body of 512 KiB is accepted; one byte more is refused, with or without Content-Length', async () => {
    const atLimit = paddedSet(MAX_DOCUMENT_BYTES)
    assert.equal(Buffer.byteLength(atLimit), MAX_DOCUMENT_BYTES)
    const overLimit = paddedSet(MAX_DOCUMENT_BYTES + 1)
    server.route('/at-limit', (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' }).end(atLimit)
    })
    const accepted = new AuthX({ jwksUri: server.url('/at-limit'), clock: () => NOW })
    assert.equal((await accepted.verifyToken(token())).sub, 'alice')
    server.route('/declared', (_request, response) => {
      response
        .writeHead(200, {
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(overLimit)),
        })
        .end(overLimit)
    })
    await refusedAt('/declared', /body of \d+ bytes exceeds 524288/)
    // No Content-Length (chunked): the stream is cut at the cap.
    server.route('/chunked', (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' })
      for (let offset = 0; offset < overLimit.length; offset += 64 * 1024) {
        response.write(overLimit.slice(offset, offset + 64 * 1024))
      }
      response.end()
    })
    await refusedAt('/chunked', /body exceeds 524288 bytes/)
    // A chunked body that never ends: the cap, not the timeout, ends the read.
    server.route('/endless', (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' })
      response.write('{"keys":[],"padding":"')
      const chunk = 'x'.repeat(64 * 1024)
      const pump = (): void => {
        while (response.write(chunk)) {
          if (response.destroyed) return
        }
        response.once('drain', pump)
      }
      pump()
    })
    await refusedAt('/endless', /body exceeds 524288 bytes/, { jwksTimeout: 30 })
  })

  void test('a Content-Length that lies low does not let more than it declared through', async () => {
    // Raw HTTP, since node:http will not send more than the Content-Length it was given: the
    // declared 64 bytes are a JWK Set's first bytes, the megabyte after them is never read.
    const set = JSON.stringify(jwkSet([rsa1.publicKey, 'k1', 'RS256']))
    const raw = createNetServer((socket) => {
      socket.once('data', () => {
        socket.write(
          'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 64\r\n\r\n',
        )
        socket.end(set + ' '.repeat(1024 * 1024))
      })
      socket.on('error', () => undefined)
    })
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = raw.address() as AddressInfo
      const auth = new AuthX({ jwksUri: `http://127.0.0.1:${port}/jwks`, clock: () => NOW })
      await rejectsWith(() => auth.verifyToken(token()), KeySetUnavailableError, /not UTF-8 JSON/)
    } finally {
      await new Promise<void>((resolve) => raw.close(() => resolve()))
    }
  })

  void test('non-JSON, non-UTF-8 and JSON that is not a JWK Set object are refused', async () => {
    const notJSON = /not UTF-8 JSON/
    const notObject = /JSON that is not an object/
    const notSet = /not a JWK Set/
    const bodies: Record<string, [string | Buffer, RegExp]> = {
      html: ['<html><body>Sign in</body></html>', notJSON],
      empty: ['', notJSON],
      'latin-1': [Buffer.from([0x7b, 0x22, 0xe9, 0x22, 0x3a, 0x31, 0x7d]), notJSON],
      array: [JSON.stringify([jwkSet([rsa1.publicKey, 'k1', 'RS256'])]), notObject],
      string: ['"keys"', notObject],
      null: ['null', notObject],
      number: ['42', notObject],
      'no-keys': ['{"issuer":"https://idp.example"}', notSet],
      'keys-object': ['{"keys":{"k1":{}}}', notSet],
    }
    for (const [name, [body, reason]] of Object.entries(bodies)) {
      server.route(`/body-${name}`, (_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' }).end(body)
      })
      await refusedAt(`/body-${name}`, reason)
    }
  })

  void test('a slow endpoint hits jwksTimeout, for its headers or for its body', async () => {
    server.route('/silent', () => undefined)
    await refusedAt('/silent', /did not answer within 0.2 s/, { jwksTimeout: '0.2s' })
    server.route('/trickle', (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' })
      response.write('{"keys":[')
    })
    await refusedAt('/trickle', /did not answer within 0.2 s/, { jwksTimeout: '0.2s' })
  })
})

void describe('remote key set: JWKs without alg', () => {
  let server: JWKSServer
  const ed = generateKeyPairSync('ed25519')
  before(async () => {
    server = await startJWKSServer()
    server.serveJSON('/jwks', {
      keys: [
        publicJWK(rsa1.publicKey, { kid: 'rsa' }),
        publicJWK(ec.publicKey, { kid: 'ec' }),
        publicJWK(ed.publicKey, { kid: 'ed' }),
      ],
    })
  })
  after(() => server.close())

  void test('a curve names its one algorithm; an RSA key is usable only when one RSA algorithm is allowed', async () => {
    const every = new AuthX({ jwksUri: server.url('/jwks'), clock: () => NOW })
    await every.ready()
    assert.equal(
      every.verifyTokenSync(signedToken(ec.privateKey, 'ES256', 'ec', claims())).sub,
      'alice',
    )
    assert.equal(
      every.verifyTokenSync(signedToken(ed.privateKey, 'EdDSA', 'ed', claims())).sub,
      'alice',
    )
    // RS256 or PS256 or ...: which one cannot be told, so the key is not used at all.
    for (const alg of ['RS256', 'PS256'] as const) {
      assert.throws(
        () => every.verifyTokenSync(signedToken(rsa1.privateKey, alg, 'rsa', claims())),
        TokenInvalidSignatureError,
      )
    }
    const rsOnly = new AuthX({
      jwksUri: server.url('/jwks'),
      decodeAlgorithms: ['PS384', 'ES256'],
      clock: () => NOW,
    })
    await rsOnly.ready()
    const ps384 = signedToken(rsa1.privateKey, 'PS384', 'rsa', claims())
    assert.equal(rsOnly.verifyTokenSync(ps384).sub, 'alice')
  })
})

void describe('remote key set: OpenID discovery and several issuers', () => {
  let server: JWKSServer
  let issuerA: string
  let issuerB: string
  before(async () => {
    server = await startJWKSServer()
    issuerA = server.url('/a')
    issuerB = server.url('/b')
    server.serveJSON('/a/jwks', jwkSet([rsa1.publicKey, 'a1', 'RS256']))
    server.serveJSON('/b/jwks', jwkSet([ec.publicKey, 'b1', 'ES256']))
  })
  after(() => server.close())

  const tokenOfA = (extra: Record<string, unknown> = {}): string =>
    signedToken(rsa1.privateKey, 'RS256', 'a1', claims({ iss: issuerA, aud: 'api-a', ...extra }))
  const tokenOfB = (extra: Record<string, unknown> = {}): string =>
    signedToken(ec.privateKey, 'ES256', 'b1', claims({ iss: issuerB, aud: 'api-b', ...extra }))

  void test('discovery reads jwks_uri from /.well-known/openid-configuration', async () => {
    server.serveJSON('/a/.well-known/openid-configuration', {
      issuer: issuerA,
      jwks_uri: server.url('/a/jwks'),
    })
    const before = server.requests('/a/.well-known/openid-configuration')
    const auth = new AuthX({
      issuers: { [issuerA]: { discovery: true } },
      decodeAudience: 'api-a',
      clock: () => NOW,
    })
    await auth.ready()
    assert.equal(auth.verifyTokenSync(tokenOfA()).iss, issuerA)
    assert.equal(server.requests('/a/.well-known/openid-configuration') - before, 1)
  })

  void test('a discovery document naming another issuer, or no usable jwks_uri, is refused', async () => {
    const cases: Record<string, (issuer: string) => object> = {
      'other-issuer': () => ({ issuer: 'https://evil.example', jwks_uri: server.url('/a/jwks') }),
      'no-issuer': () => ({ jwks_uri: server.url('/a/jwks') }),
      'issuer-with-slash': (issuer) => ({ issuer: `${issuer}/`, jwks_uri: server.url('/a/jwks') }),
      'no-jwks-uri': (issuer) => ({ issuer }),
      'http-jwks-uri': (issuer) => ({ issuer, jwks_uri: 'http://evil.example/jwks' }),
    }
    for (const [name, document] of Object.entries(cases)) {
      const issuer = server.url(`/${name}`)
      server.serveJSON(`/${name}/.well-known/openid-configuration`, document(issuer))
      const auth = new AuthX({
        issuers: { [issuer]: { discovery: true } },
        decodeAudience: 'api-a',
        clock: () => NOW,
      })
      await rejectsWith(() => auth.ready(), KeySetUnavailableError)
      await rejectsWith(() => auth.verifyToken(tokenOfA({ iss: issuer })), KeySetUnavailableError)
    }
  })

  /** An instance trusting A and B, each with its own audience. */
  function twoIssuers(options: AuthXOptions = {}): AuthX {
    return new AuthX({
      issuers: {
        [issuerA]: { jwksUri: server.url('/a/jwks'), audience: 'api-a' },
        [issuerB]: { jwksUri: server.url('/b/jwks'), audience: 'api-b' },
      },
      clock: () => NOW,
      ...options,
    })
  }

  void test("each issuer's tokens verify with its own keys and audience", async () => {
    const auth = twoIssuers()
    await auth.ready()
    assert.equal(auth.verifyTokenSync(tokenOfA()).iss, issuerA)
    assert.equal(auth.verifyTokenSync(tokenOfB()).iss, issuerB)
    // A's audience is not B's.
    assert.throws(() => auth.verifyTokenSync(tokenOfA({ aud: 'api-b' })), TokenInvalidAudienceError)
    assert.throws(() => auth.verifyTokenSync(tokenOfB({ aud: 'api-a' })), TokenInvalidAudienceError)
  })

  void test("a token signed by A's key claiming iss B (or an untrusted iss) is TokenInvalidIssuerError", async () => {
    const auth = twoIssuers()
    await auth.ready()
    assert.throws(
      () => auth.verifyTokenSync(tokenOfA({ iss: issuerB, aud: 'api-b' })),
      TokenInvalidIssuerError,
    )
    assert.throws(
      () => auth.verifyTokenSync(tokenOfB({ iss: issuerA, aud: 'api-a' })),
      TokenInvalidIssuerError,
    )
    assert.throws(
      () => auth.verifyTokenSync(tokenOfA({ iss: 'https://other.example' })),
      TokenInvalidIssuerError,
    )
    // Without the kid, the key is found by trial: still only A's key verifies it, still refused.
    const noKid = signedToken(
      rsa1.privateKey,
      'RS256',
      undefined,
      claims({ iss: issuerB, aud: 'api-b' }),
    )
    await rejectsWith(() => auth.verifyToken(noKid), TokenInvalidIssuerError)
  })

  void test("an issuer's algorithms bind its keys: a key of another algorithm in its set is not used", async () => {
    const auth = new AuthX({
      issuers: {
        [issuerA]: { jwksUri: server.url('/a/jwks'), audience: 'api-a', algorithms: ['ES256'] },
        [issuerB]: { jwksUri: server.url('/b/jwks'), audience: 'api-b' },
      },
      clock: () => NOW,
    })
    await auth.ready()
    // A's set holds an RS256 key, but A may only use ES256.
    assert.throws(() => auth.verifyTokenSync(tokenOfA()), TokenInvalidSignatureError)
    assert.equal(auth.verifyTokenSync(tokenOfB()).iss, issuerB)
  })

  void test("a down issuer does not stop another issuer's tokens", async () => {
    server.route('/c/jwks', (_request, response) => {
      response.writeHead(500).end()
    })
    const issuerC = server.url('/c')
    const auth = new AuthX({
      issuers: {
        [issuerA]: { jwksUri: server.url('/a/jwks'), audience: 'api-a' },
        [issuerC]: { jwksUri: server.url('/c/jwks'), audience: 'api-c' },
      },
      clock: () => NOW,
    })
    // The first token arrives before anything is loaded: A's load answers it, C's failure does not.
    assert.equal((await auth.verifyToken(tokenOfA())).iss, issuerA)
    await rejectsWith(() => auth.ready(), KeySetUnavailableError)
    assert.equal(auth.verifyTokenSync(tokenOfA()).iss, issuerA)
    const ofC = signedToken(
      attacker.privateKey,
      'RS256',
      'c1',
      claims({ iss: issuerC, aud: 'api-c' }),
    )
    await rejectsWith(() => auth.verifyToken(ofC), KeySetUnavailableError)
  })
})
