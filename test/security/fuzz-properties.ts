/**
 * The fuzzing properties, shared by the CI run (`fuzz.test.ts`, fixed seed, few runs) and the long
 * run (`fuzz-long.ts`, random seed, many runs). Each property states an invariant of the engine or
 * of the whole Fastify pipeline that must hold for every generated input:
 *
 * - a mutated token never verifies, and only `AuthXError`s are thrown;
 * - a token whose signed bytes changed while the signature was kept is always rejected;
 * - arbitrary correctly signed claims and headers are accepted only when well-typed;
 * - random Authorization headers, cookies, query strings and JSON bodies never produce a 5xx,
 *   never run the handler, never write the store and never leak;
 * - `auth.authenticate` on a Fetch `Request` throws nothing but `AuthXError`s.
 */
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { AuthX } from '../../src/authx.ts'
import type { AuthXOptions } from '../../src/config/index.ts'
import { isAuthXError } from '../../src/errors.ts'
import { parseCookieHeader } from '../../src/request/view.ts'
import { flipCharBit, flipSegmentBit, forgeToken, splitToken } from '../helpers/forge.ts'
import {
  NOW,
  SECRET,
  assertNoLeak,
  baseClaims,
  buildSecurityApp,
  expectServing,
} from '../helpers/http-invariants.ts'
import type { SecurityApp } from '../helpers/http-invariants.ts'
import { ed25519, p256, rsa } from './fixtures.ts'

/** How one property run is parameterised. */
export interface RunOptions {
  readonly seed: number
  /** Runs of the cheap, synchronous properties; HTTP properties run a third of it. */
  readonly numRuns: number
}

/** A named property. */
export interface FuzzProperty {
  readonly name: string
  run(options: RunOptions): Promise<void>
}

/** Instances and tokens the properties share. */
export interface FuzzContext {
  readonly engines: readonly { alg: string; auth: AuthX; tokens: string[] }[]
  readonly http: SecurityApp
  close(): Promise<void>
}

/** Builds one verifier per algorithm family and the HTTP app under attack. */
export async function createFuzzContext(): Promise<FuzzContext> {
  const configs: [string, AuthXOptions][] = [
    ['HS256', { secretKey: SECRET }],
    ['RS256', { algorithm: 'RS256', privateKey: rsa().privateKey }],
    ['PS256', { algorithm: 'PS256', privateKey: rsa().privateKey }],
    ['ES256', { algorithm: 'ES256', privateKey: p256().privateKey }],
    ['EdDSA', { algorithm: 'EdDSA', privateKey: ed25519().privateKey }],
  ]
  const engines = configs.map(([alg, options]) => {
    const auth = new AuthX({ ...options, clock: () => NOW })
    const tokens = [
      auth.createAccessToken('alice'),
      auth.createAccessToken('bob', {
        fresh: true,
        scopes: ['read', 'admin:*'],
        data: { role: 'x' },
      }),
      auth.createRefreshToken('carol'),
    ]
    return { alg, auth, tokens }
  })
  const http = await buildSecurityApp({
    explicitStore: true,
    auth: { tokenLocation: ['headers', 'cookies', 'query', 'json'] },
  })
  return { engines, http, close: () => http.close() }
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
/** Characters a mutation may write: the alphabet plus every classic off-alphabet trap. */
const MUTATION_CHARS = `${ALPHABET}+/=. \t\u0000é\u{1F600}`

type Mutation =
  | { kind: 'replace' | 'insert'; at: number; char: string }
  | { kind: 'delete' | 'truncate'; at: number }
  | { kind: 'flip-segment'; segment: 0 | 1 | 2; bit: number }
  | { kind: 'flip-char'; at: number; bit: number }
  | { kind: 'swap'; a: 0 | 1 | 2; b: 0 | 1 | 2 }
  | { kind: 'duplicate'; segment: 0 | 1 | 2 }
  | { kind: 'random-segment'; segment: 0 | 1 | 2; bytes: Uint8Array }

const segmentIndex = fc.constantFrom<0 | 1 | 2>(0, 1, 2)

/** Every way a token is mutated. */
export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constantFrom<'replace' | 'insert'>('replace', 'insert'),
    at: fc.nat(),
    char: fc.constantFrom(...MUTATION_CHARS),
  }),
  fc.record({ kind: fc.constantFrom<'delete' | 'truncate'>('delete', 'truncate'), at: fc.nat() }),
  fc.record({ kind: fc.constant('flip-segment' as const), segment: segmentIndex, bit: fc.nat() }),
  fc.record({
    kind: fc.constant('flip-char' as const),
    at: fc.nat(),
    bit: fc.integer({ min: 0, max: 7 }),
  }),
  fc.record({ kind: fc.constant('swap' as const), a: segmentIndex, b: segmentIndex }),
  fc.record({ kind: fc.constant('duplicate' as const), segment: segmentIndex }),
  fc.record({
    kind: fc.constant('random-segment' as const),
    segment: segmentIndex,
    bytes: fc.uint8Array({ maxLength: 96 }),
  }),
)

/**
 * Applies one mutation to a token.
 *
 * @param token - a compact JWS
 * @param m - the mutation
 */
export function mutate(token: string, m: Mutation): string {
  const parts = splitToken(token)
  switch (m.kind) {
    case 'replace': {
      const at = m.at % token.length
      return token.slice(0, at) + m.char + token.slice(at + 1)
    }
    case 'insert': {
      const at = m.at % (token.length + 1)
      return token.slice(0, at) + m.char + token.slice(at)
    }
    case 'delete': {
      const at = m.at % token.length
      return token.slice(0, at) + token.slice(at + 1)
    }
    case 'truncate':
      return token.slice(0, m.at % token.length)
    case 'flip-segment': {
      const bits = Buffer.from(parts[m.segment], 'base64url').length * 8
      return bits === 0 ? token : flipSegmentBit(token, m.segment, m.bit % bits)
    }
    case 'flip-char':
      return flipCharBit(token, m.at % token.length, m.bit)
    case 'swap': {
      const copy = [...parts]
      ;[copy[m.a], copy[m.b]] = [parts[m.b], parts[m.a]]
      return copy.join('.')
    }
    case 'duplicate':
      return [
        ...parts.slice(0, m.segment + 1),
        parts[m.segment],
        ...parts.slice(m.segment + 1),
      ].join('.')
    case 'random-segment': {
      const copy = [...parts]
      copy[m.segment] = Buffer.from(m.bytes).toString('base64url')
      return copy.join('.')
    }
  }
}

/** Asserts that `fn` throws, and only an AuthXError. */
function rejectsWithAuthXError(fn: () => unknown, what: string): void {
  let accepted = false
  try {
    fn()
    accepted = true
  } catch (error) {
    assert.ok(isAuthXError(error), `${what}: threw a non-AuthX error: ${String(error)}`)
  }
  assert.equal(accepted, false, `${what}: was accepted`)
}

/** Error types a bad token may produce on an access route. */
const TOKEN_ERRORS = new Set([
  'MissingTokenError',
  'JWTDecodeError',
  'TokenInvalidSignatureError',
  'TokenExpiredError',
  'TokenInvalidAudienceError',
  'TokenInvalidIssuerError',
  'AccessTokenRequiredError',
  'MissingCSRFTokenError',
  'CSRFError',
])

/**
 * Sends a request that carries no valid credential and asserts the HTTP invariants.
 *
 * @param http - the app
 * @param request - the request
 * @param allowed - acceptable statuses (401 always; 400/413/415 where the framework refuses)
 */
async function assertRefusedOverHTTP(
  http: SecurityApp,
  request: Parameters<SecurityApp['inject']>[0],
  allowed: readonly number[] = [401],
): Promise<void> {
  const runs = http.handlerRuns()
  const writes = http.store.writes()
  const lookups = http.store.count('isRevoked')
  const result = await http.inject(request)
  assert.ok(result.status < 500, `5xx ${result.status}: ${result.text}`)
  assert.ok(allowed.includes(result.status), `status ${result.status}: ${result.text}`)
  if (result.status === 401)
    assert.ok(TOKEN_ERRORS.has(String(result.json?.error_type)), `error_type ${result.text}`)
  assert.equal(http.handlerRuns(), runs, 'the handler ran')
  assert.equal(http.identitiesOnRejections(), 0, 'identity attached to a rejected request')
  assert.equal(http.store.writes(), writes, 'the store was written')
  assert.equal(http.store.count('isRevoked'), lookups, 'an invalid token reached the store')
  const secrets = [SECRET]
  const auth = request.headers?.authorization
  if (typeof auth === 'string') secrets.push(...auth.split(/\s+/).filter((p) => p.length >= 16))
  assertNoLeak(result, secrets)
}

/** A header value the HTTP layer can carry (no CR/LF/NUL, which real servers refuse upstream). */
const headerText = fc
  .string({ unit: 'binary-ascii', maxLength: 200 })
  .map((s) => s.replace(/[\r\n\0]/g, ''))

/**
 * The properties, bound lazily to a context (built in a `before` hook, read when a property runs).
 *
 * @param context - returns the engines and the HTTP app
 */
export function fuzzProperties(context: () => FuzzContext): FuzzProperty[] {
  const ctx = {
    get engines() {
      return context().engines
    },
    get http() {
      return context().http
    },
  }
  const engineArb = fc.constant(null).chain(() => fc.constantFrom(...ctx.engines))
  const hsAuth = {
    verifyTokenSync: (...args: Parameters<AuthX['verifyTokenSync']>) =>
      (ctx.engines[0]?.auth as AuthX).verifyTokenSync(...args),
  } as AuthX
  const httpToken = (): string => ctx.http.validToken()
  /** A mutated valid token; a no-op mutation (swapping a segment with itself) is filtered out. */
  const mutatedToken = mutationArb
    .map((m) => mutate(httpToken(), m))
    .filter((t) => !isValid(hsAuth, t))
  const sync = (
    name: string,
    property: fc.IProperty<never> | fc.IPropertyWithHooks<never>,
  ): FuzzProperty => ({
    name,
    run: ({ seed, numRuns }) => {
      fc.assert(property as fc.IProperty<unknown>, { seed, numRuns })
      return Promise.resolve()
    },
  })
  const asyncProp = (
    name: string,
    property: fc.IAsyncProperty<never>,
    final?: () => Promise<void>,
  ): FuzzProperty => ({
    name,
    run: async ({ seed, numRuns }) => {
      await fc.assert(property as fc.IAsyncProperty<unknown>, {
        seed,
        numRuns: Math.max(10, Math.floor(numRuns / 3)),
      })
      await final?.()
    },
  })

  return [
    sync(
      'a mutated token of any algorithm never verifies, and only AuthXErrors are thrown',
      fc.property(engineArb, fc.nat(), mutationArb, (engine, pick, m) => {
        const original = engine.tokens[pick % engine.tokens.length] as string
        const mutated = mutate(original, m)
        fc.pre(mutated !== original)
        rejectsWithAuthXError(
          () => engine.auth.verifyTokenSync(mutated, { verifyType: false }),
          `${engine.alg} ${JSON.stringify(m)}`,
        )
      }) as never,
    ),
    sync(
      'changing the signed bytes (header or payload) while keeping the signature is always rejected',
      fc.property(
        engineArb,
        fc.nat(),
        fc.oneof(
          fc.record({ header: fc.json().map((j) => Buffer.from(j).toString('base64url')) }),
          fc.record({ payload: fc.json().map((j) => Buffer.from(j).toString('base64url')) }),
          fc.record({
            payload: fc
              .dictionary(fc.string(), fc.jsonValue())
              .map((o) =>
                Buffer.from(JSON.stringify({ ...baseClaims(), ...o })).toString('base64url'),
              ),
          }),
          fc.record({
            header: fc.base64String().map((s) => s.replace(/=+$/, '')),
            payload: fc.base64String().map((s) => s.replace(/=+$/, '')),
          }),
        ),
        (engine, pick, change) => {
          const original = engine.tokens[pick % engine.tokens.length] as string
          const [h, p, s] = splitToken(original)
          const header = 'header' in change && change.header !== undefined ? change.header : h
          const payload = 'payload' in change && change.payload !== undefined ? change.payload : p
          fc.pre(`${header}.${payload}` !== `${h}.${p}`)
          rejectsWithAuthXError(
            () => engine.auth.verifyTokenSync(`${header}.${payload}.${s}`, { verifyType: false }),
            `${engine.alg} signed-bytes change`,
          )
        },
      ) as never,
    ),
    sync(
      'arbitrary correctly signed claims are accepted only when every read claim is well-typed',
      fc.property(
        fc.dictionary(
          fc.oneof(
            fc.constantFrom(
              'sub',
              'exp',
              'nbf',
              'iat',
              'jti',
              'type',
              'fresh',
              'csrf',
              'scopes',
              'aud',
              'iss',
              '__proto__',
              'constructor',
            ),
            fc.string(),
          ),
          fc.jsonValue(),
        ),
        fc.boolean(),
        (claims, overBase) => {
          const payload = overBase ? { ...baseClaims(), ...claims } : claims
          const token = forgeToken({
            header: { alg: 'HS256' },
            payload: JSON.stringify(payload),
            key: SECRET,
          })
          let verified
          try {
            verified = hsAuth.verifyTokenSync(token, { verifyType: false })
          } catch (error) {
            assert.ok(isAuthXError(error), `non-AuthX error: ${String(error)}`)
            return
          }
          assert.equal(typeof verified.sub, 'string')
          assert.ok(
            typeof verified.exp === 'number' && Number.isFinite(verified.exp) && verified.exp > NOW,
          )
          assert.ok(
            verified.iat === undefined || (Number.isFinite(verified.iat) && verified.iat <= NOW),
          )
          assert.ok(
            verified.nbf === undefined || (Number.isFinite(verified.nbf) && verified.nbf <= NOW),
          )
          assert.ok(
            verified.scopes === undefined || verified.scopes.every((x) => typeof x === 'string'),
          )
          assert.ok(verified.jti === undefined || typeof verified.jti === 'string')
          assert.equal(typeof verified.fresh, 'boolean')
          // An empty aud list names no audience, so it passes an app that accepts none.
          assert.ok(
            verified.aud === undefined ||
              (Array.isArray(verified.aud) && verified.aud.length === 0),
          )
          assert.equal(Object.getPrototypeOf({}), Object.prototype)
        },
      ) as never,
    ),
    sync(
      'arbitrary correctly signed headers are accepted only for alg HS256 without crit/b64/zip/enc',
      fc.property(
        fc.dictionary(
          fc.oneof(
            fc.constantFrom(
              'alg',
              'kid',
              'typ',
              'crit',
              'b64',
              'zip',
              'enc',
              'jku',
              'jwk',
              'x5u',
              '__proto__',
            ),
            fc.string(),
          ),
          fc.jsonValue(),
        ),
        fc.constantFrom<unknown>('HS256', 'none', 'HS512', 'RS256', 'hs256', null, ['HS256']),
        (extra, alg) => {
          const header: Record<string, unknown> = { ...extra, alg }
          const token = forgeToken({
            header: JSON.stringify(header),
            payload: baseClaims(),
            key: SECRET,
            alg: 'HS256',
          })
          let ok = false
          try {
            hsAuth.verifyTokenSync(token)
            ok = true
          } catch (error) {
            assert.ok(isAuthXError(error), `non-AuthX error: ${String(error)}`)
          }
          const refused = ['crit', 'b64', 'zip', 'enc'].some((n) => Object.hasOwn(header, n))
          const kidOk = header.kid === undefined || typeof header.kid === 'string'
          assert.equal(ok, alg === 'HS256' && !refused && kidOk, JSON.stringify(header))
        },
      ) as never,
    ),
    asyncProp(
      'random and mutated Authorization headers never give a 5xx, never run the handler, never leak',
      fc.asyncProperty(
        fc.oneof(
          headerText,
          headerText.map((s) => `Bearer ${s}`),
          fc
            .tuple(mutationArb, fc.constantFrom('Bearer ', 'bearer ', 'Bearer  ', ''))
            .map(([m, scheme]) => `${scheme}${mutate(httpToken(), m)}`),
        ),
        async (value) => {
          fc.pre(!isValid(hsAuth, /^\s*bearer\s+(\S+)\s*$/i.exec(value)?.[1]))
          await assertRefusedOverHTTP(ctx.http, {
            method: 'GET',
            url: '/protected',
            headers: { authorization: value },
          })
        },
      ) as never,
      () => expectServing(ctx.http),
    ),
    asyncProp(
      'random cookies and CSRF headers on any method never give a 5xx or run the handler',
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'),
        fc.oneof(
          headerText,
          mutatedToken.map((t) => `access_token_cookie=${t}`),
        ),
        fc.option(headerText),
        async (method, cookie, csrf) => {
          // A mutation the cookie syntax undoes (trailing space, quotes) leaves the valid token.
          fc.pre(!isValid(hsAuth, parseCookieHeader(cookie).access_token_cookie))
          const headers: Record<string, string> = { cookie }
          if (csrf !== null) headers['x-csrf-token'] = csrf
          await assertRefusedOverHTTP(ctx.http, {
            method,
            url: '/protected',
            headers,
          })
        },
      ) as never,
      () => expectServing(ctx.http),
    ),
    asyncProp(
      'random query strings never give a 5xx or run the handler',
      fc.asyncProperty(
        fc.array(
          fc.tuple(
            fc.oneof(
              fc.constantFrom('token', 'token[]', '__proto__', '__proto__[token]', 'constructor'),
              fc.string({ maxLength: 12 }),
            ),
            fc.oneof(fc.string({ maxLength: 60 }), mutatedToken),
          ),
          { maxLength: 6 },
        ),
        async (pairs) => {
          fc.pre(!pairs.some(([k, v]) => k === 'token' && isValid(hsAuth, v)))
          const query = new URLSearchParams(pairs).toString()
          await assertRefusedOverHTTP(ctx.http, { method: 'GET', url: `/protected?${query}` })
        },
      ) as never,
      () => expectServing(ctx.http),
    ),
    asyncProp(
      'random JSON bodies never give a 5xx or run the handler',
      fc.asyncProperty(
        fc.oneof(
          fc.jsonValue().map((v) => JSON.stringify(v)),
          fc
            .dictionary(
              fc.constantFrom('access_token', 'refresh_token', 'csrf_token', '__proto__'),
              fc.oneof(fc.jsonValue(), mutatedToken),
            )
            .map((o) => JSON.stringify(o)),
          fc.string({ maxLength: 100 }),
        ),
        fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain'),
        async (body, contentType) => {
          await assertRefusedOverHTTP(
            ctx.http,
            {
              method: 'POST',
              url: '/protected',
              headers: { 'content-type': contentType },
              payload: body,
            },
            [400, 401, 415],
          )
        },
      ) as never,
      () => expectServing(ctx.http),
    ),
    asyncProp(
      'auth.authenticate on a Fetch Request throws only AuthXErrors',
      fc.asyncProperty(
        fc.dictionary(
          fc.constantFrom('authorization', 'cookie', 'x-csrf-token', 'content-type'),
          headerText.map((s) => s.replace(/[^\x20-\x7e]/g, '')),
        ),
        fc.constantFrom('GET', 'POST'),
        fc.option(fc.string({ maxLength: 80 })),
        async (headers, method, body) => {
          const request = new Request('http://localhost/protected?token=x.y.z', {
            method,
            headers,
            ...(method === 'POST' && body !== null ? { body } : {}),
          })
          try {
            await ctx.http.auth.authenticate(request, {})
            assert.fail('a random request authenticated')
          } catch (error) {
            assert.ok(isAuthXError(error), `non-AuthX error: ${String(error)}`)
          }
        },
      ) as never,
    ),
  ]
}

/** Whether a value, as the framework hands it over, is a valid access token. */
function isValid(auth: AuthX, value: string | undefined): boolean {
  if (value === undefined) return false
  try {
    auth.verifyTokenSync(value)
    return true
  } catch {
    return false
  }
}
