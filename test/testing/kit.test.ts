/**
 * The test kit without a framework: tokens minted through an instance's own configuration verify
 * with that instance and no other, every option reaches the claims, the clock moves expiry, and
 * the cookie jar matches what `setAccessCookies` / `setRefreshCookies` set.
 */
import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { describe, test } from 'node:test'
import {
  AuthX,
  BadConfigurationError,
  FreshTokenRequiredError,
  JWTDecodeError,
  LoginTypeMismatchError,
  RefreshTokenRequiredError,
  TokenExpiredError,
  TokenInvalidSignatureError,
} from '../../src/index.ts'
import { MemoryStore } from '../../src/stores/memory.ts'
import { createTestClock, createTestKit } from '../../src/testing/index.ts'

const SECRET = 'testing-kit-secret-of-at-least-32-bytes'
const T0 = 1_900_000_000

void describe('createTestClock', () => {
  test('stands still until it is moved; set and advance take seconds, durations and Dates', () => {
    const clock = createTestClock(T0)
    assert.equal(clock(), T0)
    assert.equal(clock.now(), T0)
    clock.advance(30)
    clock.advance('15m')
    assert.equal(clock(), T0 + 30 + 900)
    clock.advance(-30)
    assert.equal(clock(), T0 + 900)
    clock.set(new Date((T0 + 5) * 1000))
    assert.equal(clock(), T0 + 5)
    const wall = Date.now() / 1000
    assert.ok(Math.abs(createTestClock()() - wall) <= 1)
  })

  test('refuses what is not a time', () => {
    assert.throws(() => createTestClock(Number.NaN), TypeError)
    assert.throws(() => createTestClock(new Date('nope')), TypeError)
    const clock = createTestClock(T0)
    assert.throws(() => clock.advance('soon'), /clock\.advance/)
    assert.throws(() => clock.set(Number.POSITIVE_INFINITY), /clock\.set/)
    assert.equal(clock(), T0)
  })

  test('drives an instance: expiry follows the clock, not the wall', async () => {
    const clock = createTestClock(T0)
    const auth = new AuthX({ secretKey: SECRET, clock, accessTokenExpires: '15m' })
    const kit = createTestKit(auth)
    const token = kit.accessToken('alice')
    assert.equal((await auth.verifyToken(token)).exp, T0 + 900)
    clock.advance(899)
    assert.equal((await auth.verifyToken(token)).sub, 'alice')
    clock.advance(1)
    await assert.rejects(auth.verifyToken(token), TokenExpiredError)
  })
})

void describe('createTestKit: tokens', () => {
  test("minted with the instance's own configuration, verified by it and by no other", async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519')
    const clock = createTestClock(T0)
    const auth = new AuthX({
      algorithm: 'EdDSA',
      privateKey,
      publicKey,
      encodeIssuer: 'https://issuer.test',
      decodeIssuer: 'https://issuer.test',
      encodeAudience: 'api',
      decodeAudience: 'api',
      identityClaim: 'uid',
      loginType: 'staff',
      clock,
    })
    for (const source of [auth, auth.config]) {
      const kit = createTestKit(source)
      const payload = await auth.verifyToken(kit.accessToken('bob'))
      assert.equal(payload.sub, 'bob')
      assert.equal(payload.iss, 'https://issuer.test')
      assert.deepEqual(payload.aud, 'api')
      assert.equal(payload.iat, T0)
      assert.equal(payload.extra.uid, undefined, 'the identity claim is not a custom claim')
    }
    const [header] = createTestKit(auth).accessToken().split('.')
    assert.equal(JSON.parse(Buffer.from(header ?? '', 'base64url').toString()).alg, 'EdDSA')

    const other = new AuthX({ secretKey: SECRET, clock })
    await assert.rejects(
      auth.verifyToken(createTestKit(other).accessToken()),
      /Signature verification failed|Invalid Token/,
    )
    await assert.rejects(other.verifyToken(createTestKit(auth).accessToken()), JWTDecodeError)
    const customer = new AuthX({ secretKey: SECRET, clock, loginType: 'customer' })
    const sameKey = new AuthX({ secretKey: SECRET, clock, loginType: 'staff' })
    await assert.rejects(
      customer.verifyToken(createTestKit(sameKey).accessToken()),
      LoginTypeMismatchError,
    )
  })

  test('type, scopes, freshness, data, audience, session and family reach the claims', async () => {
    const auth = new AuthX({ secretKey: SECRET, clock: createTestClock(T0) })
    const kit = createTestKit(auth)
    const access = await auth.verifyToken(
      kit.token({
        sub: 42,
        fresh: true,
        scopes: ['read', 'write'],
        data: { role: 'admin' },
        audience: ['a', 'b'],
        sessionId: 'session-1',
      }),
      { audience: 'a' },
    )
    assert.equal(access.sub, '42')
    assert.equal(access.type, 'access')
    assert.equal(access.fresh, true)
    assert.deepEqual(access.scopes, ['read', 'write'])
    assert.equal(access.extra.role, 'admin')
    assert.equal(access.sid, 'session-1')
    assert.equal((await auth.verifyToken(kit.accessToken())).sub, 'test-user')
    await assert.rejects(
      auth.verifyToken(kit.accessToken('u'), { verifyFresh: true }),
      FreshTokenRequiredError,
    )

    const refresh = kit.refreshToken('carol', { familyId: 'family-1', fresh: true })
    const payload = await auth.verifyToken(refresh, { type: 'refresh' })
    assert.equal(payload.type, 'refresh')
    assert.equal(payload.fresh, false, 'a refresh token is never fresh')
    assert.equal(payload.fam, 'family-1')
    await assert.rejects(auth.verifyToken(refresh), /Access token required/)
    await assert.rejects(
      auth.verifyToken(kit.accessToken(), { type: 'refresh' }),
      RefreshTokenRequiredError,
    )
    assert.throws(() => kit.token({ data: { sub: 'x' } }), /reserved claim/)
  })

  test('expiry and issue time: expired, short-lived, not yet valid, issued in the past', async () => {
    const clock = createTestClock(T0)
    const auth = new AuthX({ secretKey: SECRET, clock })
    const kit = createTestKit(auth)
    await assert.rejects(auth.verifyToken(kit.token({ expired: true })), TokenExpiredError)
    await assert.rejects(auth.verifyToken(kit.token({ expiresIn: -1 })), TokenExpiredError)

    const short = kit.token({ expiresIn: 5 })
    assert.equal((await auth.verifyToken(short)).exp, T0 + 5)
    // A token without `exp` is refused unless the instance's lifetime for its type is null.
    await assert.rejects(auth.verifyToken(kit.token({ expiresIn: null })), JWTDecodeError)
    const forever = new AuthX({ secretKey: SECRET, clock, accessTokenExpires: null })
    const never = await forever.verifyToken(createTestKit(forever).token({ expiresIn: null }))
    assert.equal(never.exp, undefined)

    const old = await auth.verifyToken(kit.token({ issuedAt: T0 - 600, expiresIn: '15m' }))
    assert.equal(old.iat, T0 - 600)
    assert.equal(old.exp, T0 + 300)
    await assert.rejects(
      auth.verifyToken(kit.token({ issuedAt: new Date((T0 - 3600) * 1000), expiresIn: '15m' })),
      TokenExpiredError,
    )
    const future = kit.token({ issuedAt: T0 + 60 })
    await assert.rejects(auth.verifyToken(future), JWTDecodeError)
    clock.advance(60)
    assert.equal((await auth.verifyToken(future)).nbf, T0 + 60)
    assert.throws(() => kit.token({ issuedAt: Number.NaN }), /issuedAt/)
  })

  test("an instance's own createAccessToken / createRefreshToken mint, with only the options set", async () => {
    const auth = new AuthX({ secretKey: SECRET, clock: createTestClock(T0) })
    const calls: unknown[] = []
    const instance = {
      config: auth.config,
      createAccessToken(uid: string | number, options: object) {
        calls.push(['access', uid, options])
        return auth.createAccessToken(uid, options)
      },
      createRefreshToken(uid: string | number, options: object) {
        calls.push(['refresh', uid, options])
        return auth.createRefreshToken(uid, options)
      },
    }
    const kit = createTestKit(instance)
    kit.accessToken('kim', { scopes: ['read'] })
    kit.refreshToken('kim', { fresh: true })
    kit.token()
    assert.deepEqual(calls, [
      ['access', 'kim', { scopes: ['read'] }],
      ['refresh', 'kim', {}],
      ['access', 'test-user', {}],
    ])
    // Another issue time on a test clock: still the instance, the clock moved for the call only.
    const old = kit.token({ issuedAt: T0 - 10 })
    assert.equal(calls.length, 4)
    assert.equal(auth.config.clock(), T0)
    assert.equal((await auth.verifyToken(old)).iat, T0 - 10)

    // On any other clock the kit cannot move it: the configuration mints at that time.
    const wall = new AuthX({ secretKey: SECRET })
    const viaConfig = createTestKit({
      config: wall.config,
      createAccessToken: () => assert.fail('not through the instance'),
    })
    const past = Math.floor(Date.now() / 1000) - 10
    assert.equal((await wall.verifyToken(viaConfig.token({ issuedAt: past }))).iat, past)
  })

  test('a key ring: tokens carry the kid of the key signing now, at any issue time', async () => {
    const clock = createTestClock(T0)
    const auth = new AuthX({
      keyRing: { encryptionKey: 'key-ring-sealing-secret-of-32-bytes!!' },
      store: new MemoryStore({ clock }),
      clock,
    })
    await auth.ready()
    const kit = createTestKit(auth)
    const signing = auth.keyRingStatus()?.find((key) => key.state === 'current')?.kid
    assert.ok(signing !== undefined)
    const kidOf = (token: string): unknown =>
      JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()).kid
    for (const token of [kit.accessToken(), kit.token({ issuedAt: T0 - 60 })]) {
      assert.equal(kidOf(token), signing)
      assert.equal((await auth.verifyToken(token)).sub, 'test-user')
    }
  })

  test('a verify-only instance cannot mint, and says so as createAccessToken does', () => {
    const { publicKey } = generateKeyPairSync('ed25519')
    const kit = createTestKit(new AuthX({ algorithm: 'EdDSA', publicKey }))
    assert.throws(() => kit.accessToken(), BadConfigurationError)
    assert.throws(() => kit.headers(), /this instance only verifies/)
  })

  test('refuses a source that is neither an instance nor its config', () => {
    assert.throws(() => createTestKit(null as never), TypeError)
    assert.throws(() => createTestKit({} as never), TypeError)
    assert.throws(() => createTestKit({ config: 'x' } as never), TypeError)
  })

  test('a token signed elsewhere fails as the signature failure it is', async () => {
    const auth = new AuthX({ secretKey: SECRET })
    const stranger = createTestKit(new AuthX({ secretKey: `${SECRET}-other` }))
    await assert.rejects(auth.verifyToken(stranger.accessToken()), TokenInvalidSignatureError)
  })
})

void describe('createTestKit: carriers', () => {
  test('headers follow headerName and headerType; json and query follow their names', async () => {
    const auth = new AuthX({
      secretKey: SECRET,
      headerName: 'X-Auth',
      headerType: '',
      jsonKey: 'jwt',
      refreshJsonKey: 'refresh_jwt',
      queryStringName: 'auth',
    })
    const kit = createTestKit(auth)
    const header = kit.headers({ sub: 'dave' })
    assert.deepEqual(Object.keys(header), ['X-Auth'])
    assert.equal((await auth.verifyToken(header['X-Auth'] as string)).sub, 'dave')
    assert.deepEqual(kit.headers('abc'), { 'X-Auth': 'abc' })
    assert.deepEqual(createTestKit(new AuthX({ secretKey: SECRET })).headers('abc'), {
      Authorization: 'Bearer abc',
    })
    assert.deepEqual(kit.json('abc'), { jwt: 'abc' })
    assert.deepEqual(kit.json('abc', 'refresh'), { refresh_jwt: 'abc' })
    const refreshBody = kit.json({ type: 'refresh' })
    const refresh = await auth.verifyToken(refreshBody.refresh_jwt as string, { type: 'refresh' })
    assert.equal(refresh.type, 'refresh')
    assert.equal(kit.query('a b'), 'auth=a+b')
  })

  test('the cookie jar: names, values, paths and attributes of the helpers, and the CSRF header', async () => {
    const auth = new AuthX({
      secretKey: SECRET,
      tokenLocation: ['cookies'],
      refreshCookiePath: '/auth',
      cookieSamesite: 'strict',
      cookieMaxAge: 600,
    })
    const kit = createTestKit(auth)
    const access = kit.accessToken('erin')
    const refresh = kit.refreshToken('erin')
    const jar = kit.cookies({ access, refresh })
    const csrfAccess = (await auth.verifyToken(access)).csrf ?? ''
    const csrfRefresh = (await auth.verifyToken(refresh, { type: 'refresh' })).csrf ?? ''
    assert.match(csrfAccess, /^[0-9a-f-]{36}$/)
    assert.deepEqual(jar.csrf, { access: csrfAccess, refresh: csrfRefresh })
    assert.deepEqual(jar.cookies, {
      access_token_cookie: access,
      csrf_access_token: csrfAccess,
      refresh_token_cookie: refresh,
      csrf_refresh_token: csrfRefresh,
    })
    assert.equal(
      jar.cookieHeader,
      `access_token_cookie=${access}; csrf_access_token=${csrfAccess}; ` +
        `refresh_token_cookie=${refresh}; csrf_refresh_token=${csrfRefresh}`,
    )
    assert.deepEqual(jar.headers(), { cookie: jar.cookieHeader, 'X-CSRF-TOKEN': csrfAccess })
    assert.deepEqual(jar.headers('refresh'), {
      cookie: jar.cookieHeader,
      'X-CSRF-TOKEN': csrfRefresh,
    })

    // The same cookies as the helpers set, attribute for attribute.
    const helpers = [...auth.accessCookies(access), ...auth.refreshCookies(refresh)]
    const before = Math.floor(Date.now() / 1000)
    const browser = jar.playwright('http://app.test:8080/somewhere')
    assert.deepEqual(
      browser.map(({ expires: _expires, ...rest }) => rest),
      helpers.map((c) => ({
        name: c.name,
        value: c.value,
        domain: 'app.test',
        path: c.options.path,
        httpOnly: c.options.httpOnly === true,
        secure: true,
        sameSite: 'Strict',
      })),
    )
    for (const cookie of browser) {
      assert.ok(cookie.expires >= before + 600 && cookie.expires <= before + 602)
    }
    assert.deepEqual(
      browser.map((c) => [c.name, c.path, c.httpOnly]),
      [
        ['access_token_cookie', '/', true],
        ['csrf_access_token', '/', false],
        ['refresh_token_cookie', '/auth', true],
        ['csrf_refresh_token', '/', false],
      ],
    )
  })

  test('a jar of one token; session cookies; a configured domain; no CSRF cookie when off', () => {
    const auth = new AuthX({
      secretKey: SECRET,
      tokenLocation: ['cookies'],
      cookieDomain: 'example.test',
      cookieSamesite: null,
    })
    const kit = createTestKit(auth)
    const onlyRefresh = kit.cookies({ refresh: { sub: 'f' } })
    assert.deepEqual(Object.keys(onlyRefresh.cookies), [
      'refresh_token_cookie',
      'csrf_refresh_token',
    ])
    assert.throws(() => onlyRefresh.headers(), /no access token/)
    const [cookie] = onlyRefresh.playwright('http://localhost:3000')
    assert.equal(cookie?.domain, 'example.test')
    assert.equal(cookie?.expires, -1)
    assert.equal(cookie?.sameSite, undefined)
    assert.deepEqual(Object.keys(kit.cookies().cookies).length, 4)

    const noCsrf = createTestKit(
      new AuthX({ secretKey: SECRET, tokenLocation: ['cookies'], cookieCsrfProtect: false }),
    )
    const jar = noCsrf.cookies({ access: {} })
    assert.deepEqual(Object.keys(jar.cookies), ['access_token_cookie'])
    assert.deepEqual(jar.csrf, { access: '' })
  })
})
