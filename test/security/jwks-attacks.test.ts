/**
 * Attacks on JWK Sets and remote key sets, through a real Fastify app (the security harness): each
 * asserts the exact status and `error_type`, that the handler did not run, that nothing leaked and
 * that the process keeps serving. Keys are bound to one algorithm whatever a header says (an RS
 * token naming an HMAC key's kid and the reverse; a JWK whose `alg` is not the token's); a fetched
 * set never yields a symmetric or private key and is refused whole when it repeats a kid; a
 * hostile endpoint (slow, huge, redirecting, non-JSON, 500) is a 503, never a 500 or a crash; a
 * flood of invented kids costs the provider one request per cooldown (counted on the server);
 * `jku`, `x5u`, `jwk`, `x5c`, a URL as `kid` or as `iss` never make us fetch (an attacker's server
 * counts zero requests); an RFC 9068 instance takes only RFC 9068 access tokens, never on refresh
 * or fresh routes (RFC 8725 sections 3.1, 3.10, 3.11; RFC 9068 section 4).
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { KeyObject } from 'node:crypto'
import { randomBytes, randomUUID } from 'node:crypto'
import { gzipSync } from 'node:zlib'
import type { AuthXOptions } from '../../src/config/index.ts'
import {
  NOW,
  baseClaims,
  bearer,
  buildDriverTarget,
  buildSecurityApp,
  expectAccepted,
  expectRejected,
} from '../helpers/http-invariants.ts'
import type { DriverTarget, SecurityApp } from '../helpers/http-invariants.ts'
import { DRIVERS } from '../adapters/drivers/index.ts'
import { publicJWK, signedToken, startJWKSServer } from '../helpers/jwks-server.ts'
import type { JWKSServer } from '../helpers/jwks-server.ts'
import { p256, rsa } from './fixtures.ts'

const legit = rsa('jwks-legit')
const other = rsa('jwks-other')
const evil = rsa('jwks-attacker')

/** The PEM and JWK text of private keys: none may appear in a response. */
function secretsOf(...keys: KeyObject[]): string[] {
  return keys.flatMap((key) => {
    const jwk = key.export({ format: 'jwk' })
    return [String(jwk.d), String(jwk.p)]
  })
}

const SECRETS = secretsOf(legit.privateKey, other.privateKey, evil.privateKey)

/** An RS256 token of `key` under `kid` with the harness's claims. */
function rs256(
  key: KeyObject,
  kid: string | undefined,
  header: Record<string, unknown> = {},
): string {
  return signedToken(key, 'RS256', kid, baseClaims(), header)
}

/**
 * The security app verifying with the JWK Set at `jwksUri`, its clock movable, and a follow-up
 * token signed by the provider's `legit` key under kid `legit`.
 */
async function remoteApp(
  jwksUri: string,
  options: AuthXOptions = {},
): Promise<{ target: SecurityApp; clock: { now: number } }> {
  const clock = { now: NOW }
  const built = await buildSecurityApp({
    auth: {
      secretKey: undefined,
      jwksUri,
      jwksCooldown: 30,
      clock: () => clock.now,
      ...options,
    },
    secrets: SECRETS,
  })
  return { target: { ...built, validToken: () => rs256(legit.privateKey, 'legit') }, clock }
}

/** The provider's set: the legit key under kid `legit`, and any more JWKs. */
function legitSet(...more: object[]): object {
  return { keys: [publicJWK(legit.publicKey, { kid: 'legit', alg: 'RS256', use: 'sig' }), ...more] }
}

const INVALID_SIGNATURE = { status: 401, errorType: 'TokenInvalidSignatureError' }
const DECODE_ERROR = { status: 401, errorType: 'JWTDecodeError' }
const UNAVAILABLE = { status: 503, errorType: 'KeySetUnavailableError', followUp: false }

void describe('security: a kid never changes how a key is used (keys option, oct and RSA)', () => {
  let target: SecurityApp
  const secret = randomBytes(32)
  before(async () => {
    target = await buildSecurityApp({
      auth: {
        secretKey: undefined,
        keys: {
          keys: [
            { kty: 'oct', k: secret.toString('base64url'), kid: 'hmac', alg: 'HS256' },
            publicJWK(legit.publicKey, { kid: 'rsa', alg: 'RS256' }) as { kty: string },
          ],
        },
      },
      secrets: [secret.toString('base64url'), secret.toString('hex'), ...SECRETS],
    })
  })
  after(() => target.close())

  void test('both keys verify their own tokens', async () => {
    await expectAccepted(target, bearer(target.validToken()))
    await expectAccepted(target, bearer(rs256(legit.privateKey, 'rsa')))
    await expectAccepted(target, bearer(signedToken(secret, 'HS256', 'hmac', baseClaims())))
  })

  void test("an RS256 token naming the HMAC key's kid is refused", async () => {
    await expectRejected(target, bearer(rs256(legit.privateKey, 'hmac')), INVALID_SIGNATURE)
  })

  void test("an HS256 token naming the RSA key's kid is refused, whatever secret signed it", async () => {
    const pem = legit.publicKey.export({ type: 'spki', format: 'pem' }) as string
    const der = legit.publicKey.export({ type: 'spki', format: 'der' })
    const jwkText = JSON.stringify(legit.publicKey.export({ format: 'jwk' }))
    for (const key of [pem, der, jwkText, secret]) {
      const token = signedToken(key, 'HS256', 'rsa', baseClaims())
      await expectRejected(target, bearer(token), INVALID_SIGNATURE)
    }
  })

  void test('an HS256 token signed with the RSA public key and no kid is refused (CVE-2015-9235)', async () => {
    const pem = legit.publicKey.export({ type: 'spki', format: 'pem' }) as string
    await expectRejected(
      target,
      bearer(signedToken(pem, 'HS256', undefined, baseClaims())),
      INVALID_SIGNATURE,
    )
  })
})

void describe('security: what a fetched JWK Set may hold', () => {
  let provider: JWKSServer
  const apps: SecurityApp[] = []
  before(async () => {
    provider = await startJWKSServer()
  })
  after(async () => {
    for (const app of apps) await app.close()
    await provider.close()
  })

  /** A remote app on `path`, serving `set` there. */
  async function appServing(path: string, set: object, options: AuthXOptions = {}) {
    provider.serveJSON(path, set)
    const made = await remoteApp(provider.url(path), options)
    apps.push(made.target)
    return made
  }

  void test('a symmetric key in the set never verifies, even labelled RS256 (HS256 signed with its k)', async () => {
    const k = randomBytes(32)
    const { target } = await appServing(
      '/symmetric',
      legitSet(
        { kty: 'oct', k: k.toString('base64url'), kid: 'sym', alg: 'HS256' },
        { kty: 'oct', k: k.toString('base64url'), kid: 'sym-rs', alg: 'RS256' },
      ),
    )
    // A remote instance allows no HMAC algorithm at all: refused at the header.
    await expectRejected(target, bearer(signedToken(k, 'HS256', 'sym', baseClaims())), DECODE_ERROR)
    await expectAccepted(target, bearer(target.validToken()))
  })

  void test('a private key in the set is skipped: tokens it signs never verify', async () => {
    const leaked = { ...evil.privateKey.export({ format: 'jwk' }), kid: 'leaked', alg: 'RS256' }
    const { target } = await appServing('/private', legitSet(leaked))
    await expectRejected(target, bearer(rs256(evil.privateKey, 'leaked')), INVALID_SIGNATURE)
    await expectRejected(target, bearer(rs256(evil.privateKey, undefined)), INVALID_SIGNATURE)
    // Its public half is not trusted either: the key was published wrongly, so it is not used.
    const onlyLeaked = await appServing('/private-only', { keys: [leaked] })
    await expectRejected(onlyLeaked.target, bearer(rs256(evil.privateKey, 'leaked')), {
      ...INVALID_SIGNATURE,
      followUp: false,
    })
  })

  void test('a key published for encryption or for other operations does not verify', async () => {
    const { target } = await appServing(
      '/enc',
      legitSet(
        publicJWK(other.publicKey, { kid: 'enc', alg: 'RS256', use: 'enc' }),
        publicJWK(other.publicKey, { kid: 'wrap', alg: 'RS256', key_ops: ['encrypt', 'wrapKey'] }),
      ),
    )
    for (const kid of ['enc', 'wrap']) {
      await expectRejected(target, bearer(rs256(other.privateKey, kid)), INVALID_SIGNATURE)
    }
  })

  void test("a JWK whose alg is not the token's does not verify it", async () => {
    const { target } = await appServing(
      '/alg',
      legitSet(publicJWK(other.publicKey, { kid: 'ps', alg: 'PS256' })),
    )
    // The legit key is RS256: a PS256 or RS512 token under its kid is refused.
    for (const alg of ['PS256', 'RS512'] as const) {
      const token = signedToken(legit.privateKey, alg, 'legit', baseClaims())
      await expectRejected(target, bearer(token), INVALID_SIGNATURE)
    }
    // The PS256 key does not verify RS256 tokens, nor PS384 ones.
    for (const alg of ['RS256', 'PS384'] as const) {
      const token = signedToken(other.privateKey, alg, 'ps', baseClaims())
      await expectRejected(target, bearer(token), INVALID_SIGNATURE)
    }
    await expectAccepted(target, bearer(signedToken(other.privateKey, 'PS256', 'ps', baseClaims())))
  })

  void test('an RSA JWK without alg is unusable when the allowlist names two RSA algorithms', async () => {
    const set = { keys: [publicJWK(legit.publicKey, { kid: 'legit' })] }
    const ambiguous = await appServing('/no-alg', set, { decodeAlgorithms: ['RS256', 'PS256'] })
    await expectRejected(ambiguous.target, bearer(ambiguous.target.validToken()), {
      ...INVALID_SIGNATURE,
      followUp: false,
    })
    // With one RSA algorithm allowed, the key is bound to it, and to it only.
    const single = await appServing('/no-alg-single', set, { decodeAlgorithms: ['RS256', 'ES256'] })
    await expectAccepted(single.target, bearer(single.target.validToken()))
  })

  void test('a set that repeats a kid is refused whole: 503 while nothing else is cached', async () => {
    const duplicated = legitSet(publicJWK(evil.publicKey, { kid: 'legit', alg: 'RS256' }))
    const { target } = await appServing('/duplicate', duplicated)
    for (const token of [target.validToken(), rs256(evil.privateKey, 'legit')]) {
      await expectRejected(target, bearer(token), UNAVAILABLE)
    }
  })

  void test('a set that starts repeating a kid does not replace the cached keys', async () => {
    const { target, clock } = await appServing('/duplicate-later', legitSet())
    await expectAccepted(target, bearer(target.validToken()))
    provider.serveJSON(
      '/duplicate-later',
      legitSet(publicJWK(evil.publicKey, { kid: 'legit', alg: 'RS256' })),
    )
    clock.now += 601
    const before = provider.requests('/duplicate-later')
    await expectAccepted(target, bearer(target.validToken()))
    await target.auth.ready().catch(() => undefined)
    assert.equal(provider.requests('/duplicate-later') - before, 1)
    await expectRejected(target, bearer(rs256(evil.privateKey, 'legit')), INVALID_SIGNATURE)
  })
})

void describe('security: a hostile key endpoint is a 503, never a 500 or a crash', () => {
  let hostile: JWKSServer
  const apps: SecurityApp[] = []
  before(async () => {
    hostile = await startJWKSServer()
    const valid = JSON.stringify(legitSet())
    hostile.serveJSON('/jwks', legitSet())
    hostile.route('/slow', () => undefined)
    hostile.route('/huge', (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' })
      response.end(`{"keys":[],"padding":"${'x'.repeat(600 * 1024)}"}`)
    })
    hostile.route('/redirect', (_request, response) => {
      response.writeHead(302, { location: hostile.url('/jwks') }).end()
    })
    hostile.route('/html', (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' }).end('<html>Log in</html>')
    })
    hostile.route('/error', (_request, response) => {
      response.writeHead(500, { 'content-type': 'application/json' }).end(valid)
    })
    hostile.route('/reset', (request) => {
      request.socket.destroy()
    })
    // 32 MiB of JSON in about 32 KiB of gzip: the cap applies to what is decoded, not what is sent.
    const bomb = gzipSync(`{"keys":[],"padding":"${'x'.repeat(32 * 1024 * 1024)}"}`)
    hostile.route('/gzip-bomb', (_request, response) => {
      response
        .writeHead(200, {
          'content-type': 'application/json',
          'content-encoding': 'gzip',
          'content-length': String(bomb.length),
        })
        .end(bomb)
    })
  })
  after(async () => {
    for (const app of apps) await app.close()
    await hostile.close()
  })

  for (const path of ['/slow', '/huge', '/gzip-bomb', '/redirect', '/html', '/error', '/reset']) {
    void test(`${path.slice(1)}: 503 KeySetUnavailableError, and again on the next request`, async () => {
      // Only the slow endpoint may end by the timeout; the others must be refused for what they send.
      const jwksTimeout = path === '/slow' ? '0.2s' : '30s'
      const { target } = await remoteApp(hostile.url(path), { jwksTimeout })
      apps.push(target)
      const first = await expectRejected(target, bearer(target.validToken()), UNAVAILABLE)
      // The contract's detail only: where the keys come from and why they failed stay in the logs.
      assert.equal(first.json?.detail, 'Key set unavailable')
      assert.ok(!first.text.includes(hostile.origin.slice('http://'.length)), first.text)
      await expectRejected(target, bearer(rs256(legit.privateKey, undefined)), UNAVAILABLE)
      if (path === '/redirect') assert.equal(hostile.requests('/jwks'), 0)
    })
  }
})

void describe('security: every binding answers a key endpoint that fails with 503, and an invented kid with 401', () => {
  let provider: JWKSServer
  before(async () => {
    provider = await startJWKSServer()
    provider.serveJSON('/jwks', legitSet())
    provider.route('/down', (_request, response) => {
      response.writeHead(500).end()
    })
  })
  after(() => provider.close())

  /** Sends `token` to `/protected` and asserts the exact refusal, with no handler run. */
  async function refusedBy(
    target: DriverTarget,
    token: string,
    status: number,
    errorType: string,
  ): Promise<void> {
    const runs = target.app.handlerRuns('/protected')
    const response = await target.app.request({
      method: 'GET',
      path: '/protected',
      headers: { authorization: `Bearer ${token}` },
    })
    const where = `[${target.name}]`
    assert.equal(response.status, status, `${where} status (body: ${response.text})`)
    assert.equal(
      (response.body as { error_type?: unknown } | undefined)?.error_type,
      errorType,
      where,
    )
    assert.equal(target.app.handlerRuns('/protected'), runs, `${where} the handler ran`)
    assert.doesNotMatch(response.text, /\.ts:\d+|node:internal|\n\s+at /, `${where} a stack trace`)
  }

  for (const driver of DRIVERS) {
    void test(driver.name, async () => {
      const remote = (path: string): Promise<DriverTarget> =>
        buildDriverTarget(driver, {
          secretKey: undefined,
          jwksUri: provider.url(path),
          jwksCooldown: 30,
        })
      const down = await remote('/down')
      try {
        await refusedBy(down, rs256(legit.privateKey, 'legit'), 503, 'KeySetUnavailableError')
        await refusedBy(down, rs256(legit.privateKey, 'legit'), 503, 'KeySetUnavailableError')
      } finally {
        await down.close()
      }
      const up = await remote('/jwks')
      try {
        const before = provider.requests('/jwks')
        const runs = up.app.handlerRuns('/protected')
        const ok = await up.app.request({
          method: 'GET',
          path: '/protected',
          headers: { authorization: `Bearer ${rs256(legit.privateKey, 'legit')}` },
        })
        assert.equal(ok.status, 200, `[${driver.name}] ${ok.text}`)
        assert.equal(up.app.handlerRuns('/protected'), runs + 1)
        for (let i = 0; i < 10; i++) {
          const invented = rs256(evil.privateKey, `kid-${randomUUID()}`)
          await refusedBy(up, invented, 401, 'TokenInvalidSignatureError')
        }
        // The first load only: the invented kids came inside its cooldown.
        assert.equal(provider.requests('/jwks') - before, 1)
      } finally {
        await up.close()
      }
    })
  }
})

void describe('security: a flood of invented kids', () => {
  let provider: JWKSServer
  let target: SecurityApp
  let clock: { now: number }
  before(async () => {
    provider = await startJWKSServer()
    provider.serveJSON('/jwks', legitSet())
    ;({ target, clock } = await remoteApp(provider.url('/jwks')))
  })
  after(async () => {
    await target.close()
    await provider.close()
  })

  void test('costs the provider one request per cooldown window, every token refused', async () => {
    await expectAccepted(target, bearer(target.validToken()))
    assert.equal(provider.requests('/jwks'), 1)
    for (let window = 0; window < 3; window++) {
      for (let i = 0; i < 40; i++) {
        const token = rs256(evil.privateKey, `kid-${randomUUID()}`)
        await expectRejected(target, bearer(token), { ...INVALID_SIGNATURE, followUp: i === 39 })
      }
      assert.equal(provider.requests('/jwks'), 1 + window)
      clock.now += 30
    }
  })
})

void describe('security: nothing in a token chooses where keys are fetched from', () => {
  let provider: JWKSServer
  let attacker: JWKSServer
  const apps: SecurityApp[] = []
  const attackerJWK = publicJWK(evil.publicKey, { kid: 'evil', alg: 'RS256' })
  before(async () => {
    provider = await startJWKSServer()
    attacker = await startJWKSServer()
    provider.serveJSON('/jwks', legitSet())
    attacker.serveJSON('/jwks', { keys: [attackerJWK] })
    attacker.serveJSON('/.well-known/openid-configuration', {
      issuer: attacker.origin,
      jwks_uri: attacker.url('/jwks'),
    })
    attacker.route('/cert.pem', (_request, response) => {
      response.writeHead(200).end(evil.publicKey.export({ type: 'spki', format: 'pem' }))
    })
  })
  after(async () => {
    for (const app of apps) await app.close()
    await provider.close()
    await attacker.close()
  })

  /** The headers an attacker may try, each naming the attacker's server or key. */
  function pointers(): Record<string, Record<string, unknown>> {
    const der = evil.publicKey.export({ type: 'spki', format: 'der' }).toString('base64')
    return {
      jku: { kid: 'evil', jku: attacker.url('/jwks') },
      x5u: { kid: 'evil', x5u: attacker.url('/cert.pem') },
      jwk: { jwk: attackerJWK },
      'jwk with its kid': { kid: 'evil', jwk: attackerJWK },
      x5c: { x5c: [der] },
      'kid as a URL': { kid: attacker.url('/jwks') },
    }
  }

  /** Sends every pointer to `target`; the attacker's server must see no request. */
  async function attack(target: SecurityApp, clock?: { now: number }): Promise<void> {
    for (const [name, header] of Object.entries(pointers())) {
      if (clock !== undefined) clock.now += 30 // past the cooldown: a refetch is allowed, of our URL
      const { kid, ...rest } = header
      const token = signedToken(
        evil.privateKey,
        'RS256',
        kid as string | undefined,
        baseClaims(),
        rest,
      )
      await expectRejected(target, bearer(token), INVALID_SIGNATURE)
      assert.equal(attacker.requests(), 0, name)
    }
  }

  void test('on an instance with a jwksUri', async () => {
    const { target, clock } = await remoteApp(provider.url('/jwks'))
    apps.push(target)
    await attack(target, clock)
    assert.ok(provider.requests('/jwks') >= 1)
  })

  void test('on an instance with its own keys', async () => {
    const target = await buildSecurityApp({
      auth: { algorithm: 'RS256', privateKey: legit.privateKey, keyId: 'legit', clock: () => NOW },
      secrets: SECRETS,
    })
    apps.push(target)
    await attack(target)
  })

  void test('an iss naming the attacker is not an issuer to discover', async () => {
    const made = await remoteApp(provider.url('/jwks'), { decodeIssuer: 'https://idp.example' })
    apps.push(made.target)
    const target = {
      ...made.target,
      validToken: () =>
        signedToken(legit.privateKey, 'RS256', 'legit', baseClaims({ iss: 'https://idp.example' })),
    }
    const claims = baseClaims({ iss: attacker.origin })
    await expectRejected(
      target,
      bearer(signedToken(evil.privateKey, 'RS256', 'evil', claims)),
      INVALID_SIGNATURE,
    )
    assert.equal(attacker.requests(), 0)
  })
})

void describe('security: an RFC 9068 instance takes RFC 9068 access tokens only', () => {
  const audience = 'https://api.example'
  const issuer = 'https://idp.example'
  let provider: JWKSServer
  let target: SecurityApp
  before(async () => {
    provider = await startJWKSServer()
    provider.serveJSON(
      '/jwks',
      legitSet(publicJWK(p256('jwks-es').publicKey, { kid: 'es', alg: 'ES256' })),
    )
    const made = await remoteApp(provider.url('/jwks'), {
      tokenProfile: 'rfc9068',
      decodeAudience: audience,
      decodeIssuer: issuer,
    })
    target = { ...made.target, validToken: (sub = 'alice') => accessToken({ sub }) }
  })
  after(async () => {
    await target.close()
    await provider.close()
  })

  /** An RFC 9068 access token of the provider (section 2.2's claims), with overrides. */
  function accessToken(
    overrides: Record<string, unknown> = {},
    header: Record<string, unknown> = { typ: 'at+jwt' },
  ): string {
    const claims: Record<string, unknown> = {
      iss: issuer,
      sub: 'alice',
      aud: audience,
      exp: NOW + 300,
      iat: NOW,
      jti: randomUUID(),
      client_id: 'client-1',
      scope: 'read write',
      ...overrides,
    }
    for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name]
    return signedToken(legit.privateKey, 'RS256', 'legit', claims, header)
  }

  void test('an RFC 9068 access token passes the access and scope guards', async () => {
    await expectAccepted(target, bearer(accessToken()))
    const body = await expectAccepted(target, bearer(accessToken(), '/scoped/read'))
    assert.deepEqual(body.scopes, ['read', 'write'])
    await expectAccepted(target, bearer(accessToken({}, { typ: 'application/at+jwt' })))
  })

  void test('without typ at+jwt it is refused', async () => {
    for (const header of [
      {},
      { typ: 'JWT' },
      { typ: 'jwt' },
      { typ: 'at+JWT+x' },
      { typ: 'id_token+jwt' },
    ]) {
      await expectRejected(target, bearer(accessToken({}, header)), DECODE_ERROR)
    }
  })

  void test('an ID token of the same provider is refused', async () => {
    const idToken = signedToken(legit.privateKey, 'RS256', 'legit', {
      iss: issuer,
      sub: 'alice',
      aud: audience,
      exp: NOW + 300,
      iat: NOW,
      auth_time: NOW,
      nonce: 'n-0S6_WzA2Mj',
      azp: 'client-1',
    })
    await expectRejected(target, bearer(idToken), DECODE_ERROR)
    // Even with typ at+jwt, its claims are not an access token's (no client_id, no jti).
    const relabelled = accessToken({ client_id: undefined, jti: undefined, nonce: 'n' })
    await expectRejected(target, bearer(relabelled), DECODE_ERROR)
  })

  void test('AuthX-shaped tokens are refused, with or without typ at+jwt', async () => {
    const authxClaims = baseClaims({ iss: issuer, aud: audience, scopes: ['read'] })
    await expectRejected(
      target,
      bearer(signedToken(legit.privateKey, 'RS256', 'legit', authxClaims)),
      DECODE_ERROR,
    )
    await expectRejected(
      target,
      bearer(signedToken(legit.privateKey, 'RS256', 'legit', authxClaims, { typ: 'at+jwt' })),
      DECODE_ERROR,
    )
    // scope as a list is not RFC 9068's space-separated string.
    await expectRejected(target, bearer(accessToken({ scope: ['read'] })), DECODE_ERROR)
  })

  void test("another audience or issuer is refused with the contract's errors", async () => {
    await expectRejected(target, bearer(accessToken({ aud: 'https://other.example' })), {
      status: 401,
      errorType: 'TokenInvalidAudienceError',
    })
    await expectRejected(target, bearer(accessToken({ iss: 'https://other.example' })), {
      status: 401,
      errorType: 'TokenInvalidIssuerError',
    })
  })

  void test("refresh and fresh guards refuse RFC 9068 tokens with the contract's errors", async () => {
    for (const method of ['GET', 'POST']) {
      await expectRejected(target, bearer(accessToken(), '/refresh', method), {
        status: 401,
        errorType: 'RefreshTokenRequiredError',
      })
      await expectRejected(target, bearer(accessToken(), '/fresh', method), {
        status: 401,
        errorType: 'FreshTokenRequiredError',
      })
    }
    // Claims that mimic AuthX's own do not make it a refresh or a fresh token.
    const mimic = accessToken({ type: 'refresh', fresh: true })
    await expectRejected(target, bearer(mimic, '/refresh'), {
      status: 401,
      errorType: 'RefreshTokenRequiredError',
    })
    await expectRejected(target, bearer(mimic, '/fresh'), {
      status: 401,
      errorType: 'FreshTokenRequiredError',
    })
  })
})
