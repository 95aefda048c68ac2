import assert from 'node:assert/strict'
import { generateKeyPairSync } from '../helpers/keypair.ts'
import { describe, test } from 'node:test'
import { AuthX } from '../../src/authx.ts'
import { configFromEnv, resolveConfig, TOKEN_LOCATIONS } from '../../src/config/index.ts'
import type { AuthXOptions } from '../../src/config/index.ts'
import { BadConfigurationError } from '../../src/errors.ts'
import { MemoryStore } from '../../src/stores/memory.ts'

const SECRET = 's'.repeat(64)
const NOW = 1_700_000_000

/** Asserts that `options` is refused with a BadConfigurationError whose message names `option`. */
function assertRefused(options: AuthXOptions, option: string, hint?: RegExp): void {
  assert.throws(
    () => new AuthX(options),
    (error: unknown) => {
      assert.ok(error instanceof BadConfigurationError, `expected BadConfigurationError`)
      assert.equal(error.name, 'BadConfigurationError')
      assert.equal(error.code, 'ERR_AUTHX_BAD_CONFIGURATION')
      assert.ok(
        error.message.startsWith(`${option}: `),
        `message should start with the option name "${option}": ${error.message}`,
      )
      if (hint !== undefined) assert.match(error.message, hint)
      return true
    },
  )
}

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
const rsaSmall = generateKeyPairSync('rsa', { modulusLength: 1024 })
const ec256 = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const ec384 = generateKeyPairSync('ec', { namedCurve: 'P-384' })
const pem = (key: typeof rsa.publicKey): string =>
  key.export({ type: key.type === 'public' ? 'spki' : 'pkcs8', format: 'pem' }).toString()

void describe('defaults', () => {
  const config = new AuthX({ secretKey: SECRET }).config

  void test('every option has AuthX default, except errorMessageKey which is "detail"', () => {
    const expected: Record<string, unknown> = {
      algorithm: 'HS256',
      decodeAlgorithms: ['HS256'],
      accessTokenExpires: 900,
      refreshTokenExpires: 20 * 86_400,
      decodeAudience: null,
      decodeIssuer: null,
      decodeLeeway: 0,
      encodeAudience: null,
      encodeIssuer: null,
      encodeNbf: true,
      errorMessageKey: 'detail',
      identityClaim: 'sub',
      tokenLocation: ['headers'],
      headerName: 'Authorization',
      headerType: 'Bearer',
      accessCookieName: 'access_token_cookie',
      accessCookiePath: '/',
      refreshCookieName: 'refresh_token_cookie',
      refreshCookiePath: '/',
      cookieDomain: null,
      cookieMaxAge: null,
      cookieSamesite: 'lax',
      cookieSecure: true,
      cookieHttpOnly: true,
      cookieCsrfProtect: true,
      sessionCookie: true,
      accessCsrfCookieName: 'csrf_access_token',
      accessCsrfCookiePath: '/',
      accessCsrfHeaderName: 'X-CSRF-TOKEN',
      accessCsrfFieldName: 'csrf_token',
      refreshCsrfCookieName: 'csrf_refresh_token',
      refreshCsrfCookiePath: '/',
      refreshCsrfHeaderName: 'X-CSRF-TOKEN',
      refreshCsrfFieldName: 'csrf_token',
      csrfMethods: ['POST', 'PUT', 'PATCH', 'DELETE'],
      csrfCheckForm: false,
      csrfInCookies: true,
      queryStringName: 'token',
      jsonKey: 'access_token',
      refreshJsonKey: 'refresh_token',
      implicitRefreshRouteExclude: [],
      implicitRefreshRouteInclude: [],
      implicitRefreshMethodExclude: [],
      implicitRefreshMethodInclude: [],
      implicitRefreshDeltatime: 600,
      sessionTracking: false,
      sessionUpdateLastActive: true,
      loginType: null,
      maxTokenLength: 8192,
      messages: {},
    }
    for (const [name, value] of Object.entries(expected)) {
      assert.deepEqual(config[name as keyof typeof config], value, `default of ${name}`)
    }
    // The keys and the clock are covered below; options beyond AuthX are tested with their feature.
    for (const name of ['clock', 'signingKey', 'verifyKeys']) assert.ok(name in config, name)
  })

  void test('the default clock is the wall clock, in seconds', () => {
    const before = Date.now() / 1000
    const now = config.clock()
    assert.ok(now >= before - 1 && now <= Date.now() / 1000 + 1)
  })

  void test('one HS256 key signs and verifies, without a kid', () => {
    assert.equal(config.signingKey?.alg, 'HS256')
    assert.equal(config.signingKey?.kid, undefined)
    assert.equal(config.verifyKeys.length, 1)
    assert.equal(config.verifyKeys[0], config.signingKey)
  })

  void test('option names are the camelCase of the JWT_* names', () => {
    // Each JWT_* name maps to a resolved option of the same camelCase name.
    const names = Object.keys(
      configFromEnv({
        JWT_SECRET_KEY: SECRET,
        JWT_ACCESS_TOKEN_EXPIRES: '60',
        JWT_DECODE_LEEWAY: '1',
        JWT_ENCODE_NBF: 'false',
        JWT_ACCESS_CSRF_HEADER_NAME: 'X-A',
        JWT_IMPLICIT_REFRESH_METHOD_INCLUDE: 'GET',
        JWT_COOKIE_HTTP_ONLY: 'true',
        JWT_ERROR_MESSAGE_KEY: 'message',
      }),
    ).sort()
    assert.deepEqual(names, [
      'accessCsrfHeaderName',
      'accessTokenExpires',
      'cookieHttpOnly',
      'decodeLeeway',
      'encodeNbf',
      'errorMessageKey',
      'implicitRefreshMethodInclude',
      'secretKey',
    ])
  })

  void test('TOKEN_LOCATIONS lists the four locations', () => {
    assert.deepEqual([...TOKEN_LOCATIONS], ['headers', 'cookies', 'json', 'query'])
  })
})

void describe('validation', () => {
  void test('header names, cookie names, paths and domain follow their grammar at startup', () => {
    const bad: [string, unknown][] = [
      ['accessCookieName', 'my cookie'],
      ['refreshCookieName', 'a;b'],
      ['accessCsrfCookieName', 'é'],
      ['refreshCsrfCookieName', ''],
      ['headerName', 'X Auth'],
      ['headerName', 'Autorización'],
      ['accessCsrfHeaderName', 'X-CSRF\r\nX-Evil'],
      ['refreshCsrfHeaderName', 'a:b'],
      ['accessCookiePath', '/a;b'],
      ['refreshCookiePath', 'relative'],
      ['accessCsrfCookiePath', '/\n'],
      ['refreshCsrfCookiePath', '/ü'],
      ['cookieDomain', 'bücher.example'],
      ['cookieDomain', 'a b.example'],
    ]
    for (const [option, value] of bad) {
      assert.throws(
        () => new AuthX({ secretKey: SECRET, [option]: value }),
        (error: unknown) =>
          error instanceof BadConfigurationError && error.message.startsWith(`${option}: `),
        `${option}: ${JSON.stringify(value)}`,
      )
    }
    const good = new AuthX({
      secretKey: SECRET,
      accessCookieName: '__Host-access',
      headerName: 'X-Auth-Token',
      accessCookiePath: '/api/v1',
      cookieDomain: '.example.com',
    })
    assert.equal(good.config.cookieDomain, '.example.com')
  })

  void test('identityClaim cannot name a prototype member', () => {
    for (const identityClaim of ['__proto__', 'constructor', 'prototype']) {
      assert.throws(() => new AuthX({ secretKey: SECRET, identityClaim }), BadConfigurationError)
    }
  })

  void test('options must be an object', () => {
    assertRefused(null as unknown as AuthXOptions, 'options')
    assertRefused('secret' as unknown as AuthXOptions, 'options')
  })

  void test('no secret for an HS algorithm', () => {
    assertRefused({}, 'secretKey', /JWT_SECRET_KEY/)
    assertRefused({ secretKey: '' }, 'secretKey')
    assertRefused({ secretKey: null as unknown as string }, 'secretKey')
    assertRefused({ algorithm: 'HS512' }, 'secretKey', /HS512 requires a secret/)
  })

  for (const [alg, bytes] of [
    ['HS256', 32],
    ['HS384', 48],
    ['HS512', 64],
  ] as const) {
    void test(`${alg} needs a secret of at least ${bytes} bytes (RFC 7518 3.2)`, () => {
      assertRefused(
        { algorithm: alg, secretKey: 'k'.repeat(bytes - 1) },
        'secretKey',
        new RegExp(`at least ${bytes} bytes.*got ${bytes - 1}`),
      )
      assertRefused({ algorithm: alg, secretKey: Buffer.alloc(bytes - 1, 1) }, 'secretKey')
      // Length is counted in bytes, not characters: 16 two-byte characters are 32 bytes.
      if (alg === 'HS256') new AuthX({ algorithm: alg, secretKey: 'é'.repeat(16) })
      assert.equal(
        new AuthX({ algorithm: alg, secretKey: 'k'.repeat(bytes) }).config.signingKey?.alg,
        alg,
      )
      assert.ok(new AuthX({ algorithm: alg, secretKey: new Uint8Array(bytes).fill(7) }))
    })
  }

  void test('a PEM key as an HMAC secret is refused (algorithm confusion)', () => {
    const publicPem = pem(rsa.publicKey)
    assertRefused({ secretKey: publicPem + 'x'.repeat(64) }, 'secretKey', /PEM key cannot be/)
    assertRefused({ secretKey: Buffer.from(publicPem) }, 'secretKey', /PEM/)
    assertRefused(
      { secretKey: SECRET, previousSecretKey: publicPem },
      'previousSecretKey',
      /PEM key cannot be/,
    )
  })

  void test('an asymmetric KeyObject as an HMAC secret is refused', () => {
    assertRefused({ secretKey: rsa.publicKey }, 'secretKey', /needs a secret, got a public key/)
  })

  void test('an HMAC JWK must be "oct" with "k"', () => {
    assertRefused({ secretKey: { kty: 'RSA', n: 'x', e: 'AQAB' } }, 'secretKey', /"oct" JWK/)
    assertRefused({ secretKey: { kty: 'oct' } }, 'secretKey', /"oct" JWK/)
    assert.ok(
      new AuthX({ secretKey: { kty: 'oct', k: Buffer.from(SECRET).toString('base64url') } }),
    )
  })

  void test('RSA keys under 2048 bits are refused', () => {
    assertRefused(
      { algorithm: 'RS256', privateKey: rsaSmall.privateKey },
      'privateKey',
      /at least 2048 bits.*got 1024/,
    )
    assertRefused({ algorithm: 'PS256', publicKey: rsaSmall.publicKey }, 'publicKey', /2048 bits/)
    assertRefused(
      { algorithm: 'RS256', privateKey: rsa.privateKey, previousPublicKey: rsaSmall.publicKey },
      'previousPublicKey',
      /2048 bits/,
    )
  })

  void test('a key whose type does not match the algorithm is refused', () => {
    assertRefused({ algorithm: 'RS256', publicKey: ec256.publicKey }, 'publicKey', /RSA key/)
    assertRefused({ algorithm: 'ES256', privateKey: rsa.privateKey }, 'privateKey', /EC key/)
    assertRefused({ algorithm: 'EdDSA', publicKey: ec256.publicKey }, 'publicKey', /Ed25519/)
    assertRefused(
      { algorithm: 'ES256', publicKey: ec384.publicKey },
      'publicKey',
      /curve prime256v1, got secp384r1/,
    )
    assertRefused({ algorithm: 'ES384', privateKey: ec256.privateKey }, 'privateKey', /secp384r1/)
  })

  void test('a private key where a public key belongs is refused', () => {
    for (const publicKey of [
      rsa.privateKey,
      pem(rsa.privateKey),
      rsa.privateKey.export({ format: 'jwk' }) as { kty: string },
    ]) {
      assertRefused({ algorithm: 'RS256', publicKey }, 'publicKey', /private key was given/)
    }
    assertRefused(
      { algorithm: 'ES256', privateKey: ec256.privateKey, previousPublicKey: ec256.privateKey },
      'previousPublicKey',
      /private key/,
    )
  })

  void test('a public key where the private key belongs is refused', () => {
    assertRefused({ algorithm: 'RS256', privateKey: rsa.publicKey }, 'privateKey', /private key/)
  })

  void test('unparsable keys are refused', () => {
    assertRefused({ algorithm: 'RS256', publicKey: 'not a key' }, 'publicKey', /not a usable/)
    assertRefused({ algorithm: 'RS256', privateKey: 'not a key' }, 'privateKey', /not a usable/)
  })

  void test('an asymmetric algorithm with no key at all', () => {
    assertRefused({ algorithm: 'RS256' }, 'publicKey', /RS256 requires a key/)
    // A secret alone does not serve an asymmetric algorithm.
    assertRefused({ algorithm: 'ES256', secretKey: SECRET }, 'publicKey')
  })

  void test('unknown algorithms, "none" included', () => {
    for (const algorithm of ['none', 'HS1', 'hs256', 'ES256K', '']) {
      assertRefused(
        { algorithm: algorithm as 'HS256', secretKey: SECRET },
        'algorithm',
        /is not supported; use one of HS256/,
      )
    }
    assertRefused({ secretKey: SECRET, previousAlgorithm: 'none' as 'HS256' }, 'previousAlgorithm')
  })

  void test('decodeAlgorithms must name algorithms that have a key', () => {
    assertRefused({ secretKey: SECRET, decodeAlgorithms: [] }, 'decodeAlgorithms', /non-empty/)
    assertRefused(
      { secretKey: SECRET, decodeAlgorithms: 'HS256' as unknown as ['HS256'] },
      'decodeAlgorithms',
    )
    assertRefused(
      { secretKey: SECRET, decodeAlgorithms: ['HS256', 'RS256'] },
      'decodeAlgorithms',
      /RS256 has no key/,
    )
    assertRefused(
      { secretKey: SECRET, decodeAlgorithms: ['none' as 'HS256'] },
      'decodeAlgorithms',
      /not supported/,
    )
    assertRefused(
      { secretKey: SECRET, algorithm: 'HS384', decodeAlgorithms: ['HS256'] },
      'decodeAlgorithms',
    )
    // A previous key of another algorithm makes that algorithm decodable.
    const auth = new AuthX({
      algorithm: 'RS256',
      privateKey: rsa.privateKey,
      previousAlgorithm: 'ES256',
      previousPublicKey: ec256.publicKey,
      decodeAlgorithms: ['RS256', 'ES256'],
    })
    assert.deepEqual(auth.config.decodeAlgorithms, ['RS256', 'ES256'])
    // And by default every key's algorithm is decodable.
    const byDefault = new AuthX({
      algorithm: 'RS256',
      privateKey: rsa.privateKey,
      previousAlgorithm: 'ES256',
      previousPublicKey: ec256.publicKey,
    })
    assert.deepEqual(byDefault.config.decodeAlgorithms, ['RS256', 'ES256'])
  })

  void test('unknown token locations', () => {
    assertRefused(
      { secretKey: SECRET, tokenLocation: ['headers', 'body' as 'json'] },
      'tokenLocation',
      /unknown location "body"/,
    )
    assertRefused(
      { secretKey: SECRET, tokenLocation: 'headers' as unknown as ['headers'] },
      'tokenLocation',
    )
    assert.deepEqual(
      new AuthX({ secretKey: SECRET, tokenLocation: ['cookies', 'query'] }).config.tokenLocation,
      ['cookies', 'query'],
    )
  })

  void test('method lists accept known methods in any case and refuse the rest', () => {
    for (const option of [
      'csrfMethods',
      'implicitRefreshMethodExclude',
      'implicitRefreshMethodInclude',
    ] as const) {
      assertRefused(
        { secretKey: SECRET, [option]: ['POST', 'FETCH'] },
        option,
        /unknown method "FETCH"/,
      )
      assertRefused({ secretKey: SECRET, [option]: [42] }, option, /unknown method 42/)
      assertRefused({ secretKey: SECRET, [option]: 'POST' }, option, /array of HTTP methods/)
      const config = new AuthX({ secretKey: SECRET, [option]: ['post', 'Get'] }).config
      assert.deepEqual(config[option], ['POST', 'GET'])
    }
  })

  void test('route lists must be arrays of strings', () => {
    for (const option of ['implicitRefreshRouteExclude', 'implicitRefreshRouteInclude'] as const) {
      assertRefused({ secretKey: SECRET, [option]: '/a' }, option, /array of strings/)
      assertRefused({ secretKey: SECRET, [option]: ['/a', 1] }, option)
      assert.deepEqual(new AuthX({ secretKey: SECRET, [option]: ['/a'] }).config[option], ['/a'])
    }
  })

  void test('lifetimes must be positive durations or null', () => {
    for (const option of ['accessTokenExpires', 'refreshTokenExpires'] as const) {
      for (const bad of [0, -5, 'soon', '15 minutes', '-1m', Number.NaN, Infinity, true, {}]) {
        assertRefused(
          { secretKey: SECRET, [option]: bad as number },
          option,
          /positive number of seconds/,
        )
      }
    }
  })

  void test('implicitRefreshDeltatime must be a duration', () => {
    assertRefused(
      { secretKey: SECRET, implicitRefreshDeltatime: 'later' },
      'implicitRefreshDeltatime',
    )
    assertRefused({ secretKey: SECRET, implicitRefreshDeltatime: -1 }, 'implicitRefreshDeltatime')
    assert.equal(
      new AuthX({ secretKey: SECRET, implicitRefreshDeltatime: '5m' }).config
        .implicitRefreshDeltatime,
      300,
    )
    assert.equal(
      new AuthX({ secretKey: SECRET, implicitRefreshDeltatime: 0 }).config.implicitRefreshDeltatime,
      0,
    )
  })

  void test('decodeLeeway must be a finite non-negative number', () => {
    for (const bad of [-1, Number.NaN, Infinity, '5']) {
      assertRefused({ secretKey: SECRET, decodeLeeway: bad as number }, 'decodeLeeway')
    }
    assert.equal(new AuthX({ secretKey: SECRET, decodeLeeway: 2.5 }).config.decodeLeeway, 2.5)
  })

  void test('maxTokenLength must be an integer of at least 64', () => {
    for (const bad of [63, 100.5, -1, Number.NaN]) {
      assertRefused({ secretKey: SECRET, maxTokenLength: bad }, 'maxTokenLength')
    }
    assert.equal(new AuthX({ secretKey: SECRET, maxTokenLength: 64 }).config.maxTokenLength, 64)
  })

  void test('cookie options', () => {
    assertRefused({ secretKey: SECRET, cookieSamesite: 'Lax' as 'lax' }, 'cookieSamesite')
    assertRefused({ secretKey: SECRET, cookieMaxAge: -1 }, 'cookieMaxAge')
    assertRefused({ secretKey: SECRET, cookieMaxAge: 1.5 }, 'cookieMaxAge')
    const config = new AuthX({
      secretKey: SECRET,
      cookieSamesite: null,
      cookieMaxAge: 0,
      cookieDomain: 'example.com',
    }).config
    assert.equal(config.cookieSamesite, null)
    assert.equal(config.cookieMaxAge, 0)
    assert.equal(config.cookieDomain, 'example.com')
  })

  void test('audiences must be strings or arrays of strings', () => {
    for (const option of ['decodeAudience', 'encodeAudience'] as const) {
      assertRefused({ secretKey: SECRET, [option]: 42 as unknown as string }, option)
      assertRefused({ secretKey: SECRET, [option]: ['a', 1] as unknown as string[] }, option)
    }
    const config = new AuthX({ secretKey: SECRET, decodeAudience: 'a', encodeAudience: ['a', 'b'] })
      .config
    assert.deepEqual(config.decodeAudience, ['a'])
    assert.deepEqual(config.encodeAudience, ['a', 'b'])
    assert.equal(new AuthX({ secretKey: SECRET, decodeAudience: null }).config.decodeAudience, null)
  })

  void test('string options must be non-empty strings', () => {
    for (const option of [
      'errorMessageKey',
      'identityClaim',
      'headerName',
      'accessCookieName',
      'refreshCookieName',
      'accessCsrfHeaderName',
      'queryStringName',
      'jsonKey',
      'refreshJsonKey',
    ] as const) {
      assertRefused({ secretKey: SECRET, [option]: '' }, option, /non-empty string/)
      assertRefused({ secretKey: SECRET, [option]: 7 as unknown as string }, option)
    }
  })

  void test('headerType: empty string or null means "the whole header is the token"', () => {
    assert.equal(new AuthX({ secretKey: SECRET, headerType: '' }).config.headerType, '')
    assert.equal(new AuthX({ secretKey: SECRET, headerType: null }).config.headerType, '')
    assert.equal(new AuthX({ secretKey: SECRET, headerType: 'Token' }).config.headerType, 'Token')
  })

  void test('boolean options must be booleans', () => {
    for (const option of [
      'encodeNbf',
      'cookieSecure',
      'cookieHttpOnly',
      'cookieCsrfProtect',
      'sessionCookie',
      'csrfCheckForm',
      'csrfInCookies',
      'sessionTracking',
      'sessionUpdateLastActive',
    ] as const) {
      assertRefused(
        { secretKey: SECRET, [option]: 'false' as unknown as boolean },
        option,
        /true or false/,
      )
      assert.equal(new AuthX({ secretKey: SECRET, [option]: false }).config[option], false)
    }
  })

  void test('clock must be a function', () => {
    assertRefused({ secretKey: SECRET, clock: 5 as unknown as () => number }, 'clock')
  })

  void test('loginType is kept; an empty one is refused', () => {
    assert.equal(new AuthX({ secretKey: SECRET, loginType: 'admin' }).config.loginType, 'admin')
    assertRefused({ secretKey: SECRET, loginType: '' }, 'loginType')
  })
})

void describe('frozen, per-instance config', () => {
  void test('the config and its lists are frozen', () => {
    const config = new AuthX({ secretKey: SECRET, tokenLocation: ['headers', 'cookies'] }).config
    assert.ok(Object.isFrozen(config))
    for (const list of [
      config.tokenLocation,
      config.csrfMethods,
      config.decodeAlgorithms,
      config.verifyKeys,
      config.messages,
      config.implicitRefreshRouteExclude,
    ]) {
      assert.ok(Object.isFrozen(list))
    }
    assert.ok(Object.isFrozen(config.signingKey))
    assert.throws(() => {
      ;(config as { headerName: string }).headerName = 'X'
    }, TypeError)
    assert.throws(() => {
      ;(config.tokenLocation as string[]).push('query')
    }, TypeError)
  })

  void test('mutating the options after construction changes nothing', () => {
    const options = {
      secretKey: SECRET,
      tokenLocation: ['headers'] as AuthXOptions['tokenLocation'],
      csrfMethods: ['POST'] as AuthXOptions['csrfMethods'],
      decodeAudience: ['a'],
      encodeAudience: ['a'],
      implicitRefreshRouteExclude: ['/x'],
      messages: { TokenExpiredError: 'gone' } as Record<string, string>,
    }
    const auth = new AuthX(options)
    options.tokenLocation?.push('query')
    options.csrfMethods?.push('GET')
    options.decodeAudience.push('b')
    options.encodeAudience.push('b')
    options.implicitRefreshRouteExclude.push('/y')
    options.messages.TokenExpiredError = 'changed'
    options.secretKey = 'other'.repeat(10)
    assert.deepEqual(auth.config.tokenLocation, ['headers'])
    assert.deepEqual(auth.config.csrfMethods, ['POST'])
    assert.deepEqual(auth.config.decodeAudience, ['a'])
    assert.deepEqual(auth.config.encodeAudience, ['a'])
    assert.deepEqual(auth.config.implicitRefreshRouteExclude, ['/x'])
    assert.equal(auth.config.messages.TokenExpiredError, 'gone')
  })

  void test('two instances never share config', () => {
    const a = new AuthX({ secretKey: SECRET })
    const b = new AuthX({ secretKey: SECRET, headerName: 'X-Token' })
    assert.notEqual(a.config, b.config)
    assert.equal(a.config.headerName, 'Authorization')
    assert.equal(b.config.headerName, 'X-Token')
    // Each instance also owns its default store.
    assert.ok(a.store instanceof MemoryStore)
    assert.notEqual(a.store, b.store)
  })

  void test('resolveConfig is what the constructor uses', () => {
    const config = resolveConfig({ secretKey: SECRET, decodeLeeway: 3 })
    assert.equal(config.decodeLeeway, 3)
    assert.ok(Object.isFrozen(config))
  })
})

void describe('durations', () => {
  const lifetime = (value: AuthXOptions['accessTokenExpires']): number | null =>
    new AuthX({ secretKey: SECRET, accessTokenExpires: value, refreshTokenExpires: value }).config
      .accessTokenExpires

  void test('a number is seconds', () => {
    assert.equal(lifetime(60), 60)
    assert.equal(lifetime(0.5), 0.5)
  })

  void test('strings with units', () => {
    assert.equal(lifetime('90s'), 90)
    assert.equal(lifetime('15m'), 900)
    assert.equal(lifetime('2h'), 7200)
    assert.equal(lifetime('20d'), 1_728_000)
    assert.equal(lifetime('1w'), 604_800)
    assert.equal(lifetime('30'), 30)
  })

  void test('null means no exp', () => {
    const auth = new AuthX({
      secretKey: SECRET,
      accessTokenExpires: null,
      refreshTokenExpires: null,
      clock: () => NOW,
    })
    assert.equal(auth.config.accessTokenExpires, null)
    assert.equal(auth.config.refreshTokenExpires, null)
    const payload = auth.verifyTokenSync(auth.createAccessToken('u'))
    assert.equal(payload.exp, undefined)
  })

  void test('lifetimes reach the created tokens', () => {
    const auth = new AuthX({
      secretKey: SECRET,
      accessTokenExpires: '1h',
      refreshTokenExpires: '7d',
      clock: () => NOW,
    })
    assert.equal(auth.verifyTokenSync(auth.createAccessToken('u')).exp, NOW + 3600)
    assert.equal(
      auth.verifyTokenSync(auth.createRefreshToken('u'), { type: 'refresh' }).exp,
      NOW + 7 * 86_400,
    )
  })
})

void describe('configFromEnv', () => {
  void test('reads JWT_* variables only, with camelCase names', () => {
    const options = configFromEnv({
      JWT_SECRET_KEY: SECRET,
      JWT_ALGORITHM: 'HS512',
      JWT_HEADER_NAME: 'X-Token',
      JWT_QUERY_STRING_NAME: 'jwt',
      OTHER: 'ignored',
      JWT_UNDEFINED: undefined,
    })
    assert.deepEqual(options, {
      secretKey: SECRET,
      algorithm: 'HS512',
      headerName: 'X-Token',
      queryStringName: 'jwt',
    })
  })

  void test('lists as JSON or comma-separated', () => {
    assert.deepEqual(
      configFromEnv({ JWT_TOKEN_LOCATION: '["headers", "cookies"]' }).tokenLocation,
      ['headers', 'cookies'],
    )
    assert.deepEqual(configFromEnv({ JWT_TOKEN_LOCATION: ' headers, query ,' }).tokenLocation, [
      'headers',
      'query',
    ])
    assert.deepEqual(configFromEnv({ JWT_CSRF_METHODS: 'POST,DELETE' }).csrfMethods, [
      'POST',
      'DELETE',
    ])
    assert.deepEqual(configFromEnv({ JWT_DECODE_ALGORITHMS: '["HS256"]' }).decodeAlgorithms, [
      'HS256',
    ])
    assert.deepEqual(
      configFromEnv({ JWT_IMPLICIT_REFRESH_ROUTE_EXCLUDE: '/a,/b' }).implicitRefreshRouteExclude,
      ['/a', '/b'],
    )
    assert.deepEqual(configFromEnv({ JWT_TOKEN_LOCATION: '' }).tokenLocation, [])
  })

  void test('a list that is broken JSON is a BadConfigurationError naming the variable', () => {
    assert.throws(
      () => configFromEnv({ JWT_TOKEN_LOCATION: '["headers"' }),
      (error: unknown) =>
        error instanceof BadConfigurationError && error.message.startsWith('JWT_TOKEN_LOCATION: '),
    )
  })

  void test('booleans', () => {
    for (const raw of ['true', 'TRUE', '1', 'yes', 'on', ' True ']) {
      assert.equal(configFromEnv({ JWT_COOKIE_SECURE: raw }).cookieSecure, true, raw)
    }
    for (const raw of ['false', '0', 'no', 'off', 'False']) {
      assert.equal(configFromEnv({ JWT_COOKIE_SECURE: raw }).cookieSecure, false, raw)
    }
    assert.throws(
      () => configFromEnv({ JWT_ENCODE_NBF: 'maybe' }),
      (error: unknown) =>
        error instanceof BadConfigurationError && /^JWT_ENCODE_NBF: .*maybe/.test(error.message),
    )
  })

  void test('feature switches are booleans too', () => {
    const options = configFromEnv({
      JWT_SECRET_KEY: SECRET,
      JWT_REFRESH_ROTATION: 'true',
      JWT_VERIFIED_TOKEN_CACHE: 'false',
    })
    assert.equal(options.refreshRotation, true)
    assert.equal(options.verifiedTokenCache, false)
    const auth = new AuthX(options)
    assert.deepEqual(auth.config.refreshRotation, { familyLifetime: 30 * 86_400 })
    assert.equal(auth.config.verifiedTokenCache, null)
  })

  void test('nullable lifetimes: none/null, seconds or a unit string', () => {
    assert.equal(configFromEnv({ JWT_ACCESS_TOKEN_EXPIRES: 'None' }).accessTokenExpires, null)
    assert.equal(configFromEnv({ JWT_REFRESH_TOKEN_EXPIRES: 'null' }).refreshTokenExpires, null)
    assert.equal(configFromEnv({ JWT_ACCESS_TOKEN_EXPIRES: '3600' }).accessTokenExpires, 3600)
    assert.equal(configFromEnv({ JWT_ACCESS_TOKEN_EXPIRES: '0.5' }).accessTokenExpires, 0.5)
    assert.equal(configFromEnv({ JWT_ACCESS_TOKEN_EXPIRES: '15m' }).accessTokenExpires, '15m')
  })

  void test('numbers', () => {
    assert.equal(configFromEnv({ JWT_DECODE_LEEWAY: '10' }).decodeLeeway, 10)
    assert.equal(configFromEnv({ JWT_COOKIE_MAX_AGE: '3600' }).cookieMaxAge, 3600)
    assert.equal(configFromEnv({ JWT_COOKIE_MAX_AGE: '' }).cookieMaxAge, null)
    assert.equal(configFromEnv({ JWT_COOKIE_MAX_AGE: 'none' }).cookieMaxAge, null)
    assert.equal(configFromEnv({ JWT_MAX_TOKEN_LENGTH: '4096' }).maxTokenLength, 4096)
    // Not a number: the constructor names the option.
    assertRefused(
      { secretKey: SECRET, ...configFromEnv({ JWT_DECODE_LEEWAY: 'abc' }) },
      'decodeLeeway',
    )
  })

  void test('audiences: one string, comma-separated or a JSON list', () => {
    assert.equal(configFromEnv({ JWT_DECODE_AUDIENCE: 'api' }).decodeAudience, 'api')
    assert.deepEqual(configFromEnv({ JWT_DECODE_AUDIENCE: 'api, web' }).decodeAudience, [
      'api',
      'web',
    ])
    assert.deepEqual(configFromEnv({ JWT_ENCODE_AUDIENCE: '["api"]' }).encodeAudience, ['api'])
  })

  void test('new AuthX(configFromEnv(env)) works end to end', () => {
    const env = {
      JWT_SECRET_KEY: SECRET,
      JWT_ALGORITHM: 'HS384',
      JWT_TOKEN_LOCATION: 'headers,cookies',
      JWT_ACCESS_TOKEN_EXPIRES: '1h',
      JWT_REFRESH_TOKEN_EXPIRES: 'none',
      JWT_DECODE_AUDIENCE: 'api,web',
      JWT_ENCODE_AUDIENCE: 'api',
      JWT_ENCODE_ISSUER: 'issuer',
      JWT_DECODE_ISSUER: 'issuer',
      JWT_DECODE_LEEWAY: '5',
      JWT_COOKIE_SECURE: 'false',
      JWT_CSRF_METHODS: '["POST"]',
      JWT_ERROR_MESSAGE_KEY: 'message',
    }
    const auth = new AuthX({ ...configFromEnv(env), clock: () => NOW })
    const { config } = auth
    assert.equal(config.algorithm, 'HS384')
    assert.deepEqual(config.tokenLocation, ['headers', 'cookies'])
    assert.equal(config.accessTokenExpires, 3600)
    assert.equal(config.refreshTokenExpires, null)
    assert.deepEqual(config.decodeAudience, ['api', 'web'])
    assert.equal(config.decodeLeeway, 5)
    assert.equal(config.cookieSecure, false)
    assert.deepEqual(config.csrfMethods, ['POST'])
    assert.equal(config.errorMessageKey, 'message')
    const payload = auth.verifyTokenSync(auth.createAccessToken('u1'))
    assert.equal(payload.sub, 'u1')
    assert.equal(payload.aud, 'api')
    assert.equal(payload.iss, 'issuer')
    assert.equal(payload.exp, NOW + 3600)
    const refresh = auth.verifyTokenSync(auth.createRefreshToken('u1'), { type: 'refresh' })
    assert.equal(refresh.exp, undefined)
  })

  void test('defaults to process.env', () => {
    const saved = process.env.JWT_HEADER_NAME
    process.env.JWT_HEADER_NAME = 'X-From-Env'
    try {
      assert.equal(configFromEnv().headerName, 'X-From-Env')
    } finally {
      if (saved === undefined) delete process.env.JWT_HEADER_NAME
      else process.env.JWT_HEADER_NAME = saved
    }
  })
})
