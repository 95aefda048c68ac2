/**
 * Micro benchmarks, run in a child process by `bench/run.ts`: sign and verify ops/s for HS256,
 * RS256, PS256, ES256 and EdDSA, authx-ts against jose, fast-jwt, jsonwebtoken and the bare
 * `node:crypto` limit, on one token per algorithm signed by authx-ts.
 *
 * Usage: `node --import tsx bench/micro.ts '{"rounds":5,"sliceMs":60,"warmupMs":100}'`; progress
 * on stderr, the JSON result as the last line of stdout.
 */
import { constants, createHmac, createSecretKey, sign, verify } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { createSigner, createVerifier } from 'fast-jwt'
import { SignJWT, importPKCS8, importSPKI, jwtVerify } from 'jose'
import jsonwebtoken from 'jsonwebtoken'
import type { Algorithm as JWTAlgorithm } from 'jsonwebtoken'
import {
  BENCH_ALGORITHMS,
  SUBJECT,
  accessClaims,
  createAuthX,
  createKeyMaterial,
  createRemoteVerifier,
} from './lib/fixtures.ts'
import type { BenchAlgorithm, KeyMaterial } from './lib/fixtures.ts'
import { measureInterleaved } from './lib/measure.ts'
import type { Contender, MeasureOptions } from './lib/measure.ts'
import { bareHmacVerify } from './lib/bare.ts'
import { formatRate, formatRatio, pairedRatio, summarize } from './lib/stats.ts'
import type { Summary } from './lib/stats.ts'

/** One contender's result. */
export interface ContenderResult {
  readonly id: string
  readonly label: string
  readonly opsPerSec: Summary
}

/** A contender that could not run, and why. */
export interface Skipped {
  readonly id: string
  readonly label: string
  readonly reason: string
}

/** A ratio a/b of two contenders of a group (paired by round). */
export interface RatioResult {
  readonly a: string
  readonly b: string
  readonly ratio: Summary
}

/** One group: one operation on one algorithm. */
export interface MicroGroup {
  readonly id: string
  readonly op: 'verify' | 'sign'
  readonly alg: BenchAlgorithm
  readonly contenders: readonly ContenderResult[]
  readonly skipped: readonly Skipped[]
  readonly ratios: readonly RatioResult[]
}

/** The whole micro result. */
export interface MicroResult {
  readonly options: MeasureOptions
  readonly groups: readonly MicroGroup[]
}

/** Checks a verifier's answer once before it is measured. */
function expectSubject(value: unknown): void {
  const sub =
    value !== null && typeof value === 'object'
      ? ((value as { sub?: unknown; payload?: { sub?: unknown } }).sub ??
        (value as { payload?: { sub?: unknown } }).payload?.sub)
      : undefined
  if (sub !== SUBJECT) throw new Error(`verified the token but got sub=${String(sub)}`)
}

function expectToken(value: unknown): void {
  if (typeof value !== 'string' || value.split('.').length !== 3)
    throw new Error('did not produce a compact JWS')
}

const PSS = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }

/** The bare limit of verification: signature check and JSON.parse, no claim checks. */
function bareVerifier(keys: KeyMaterial): (token: string) => unknown {
  if (keys.alg === 'HS256') {
    const secret = Buffer.from(keys.verifyKey as string)
    return (token) => bareHmacVerify(secret, token)
  }
  const key = keys.verifyKey as KeyObject
  const hash = keys.alg === 'EdDSA' ? null : 'sha256'
  const keyArg =
    keys.alg === 'PS256'
      ? { key, ...PSS }
      : keys.alg === 'ES256'
        ? { key, dsaEncoding: 'ieee-p1363' as const }
        : key
  return (token) => {
    const first = token.indexOf('.')
    const second = token.lastIndexOf('.')
    const ok = verify(
      hash,
      Buffer.from(token.slice(0, second)),
      keyArg,
      Buffer.from(token.slice(second + 1), 'base64url'),
    )
    if (!ok) throw new Error('bad signature')
    return JSON.parse(Buffer.from(token.slice(first + 1, second), 'base64url').toString())
  }
}

/** The bare limit of signing: JSON.stringify, base64url, one signature. */
function bareSigner(keys: KeyMaterial): () => string {
  const header = Buffer.from(JSON.stringify({ alg: keys.alg, typ: 'JWT' })).toString('base64url')
  if (keys.alg === 'HS256') {
    const secret = Buffer.from(keys.signKey as string)
    return () => {
      const input = `${header}.${Buffer.from(JSON.stringify(accessClaims())).toString('base64url')}`
      return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`
    }
  }
  const key = keys.signKey as KeyObject
  const hash = keys.alg === 'EdDSA' ? null : 'sha256'
  const keyArg =
    keys.alg === 'PS256'
      ? { key, ...PSS }
      : keys.alg === 'ES256'
        ? { key, dsaEncoding: 'ieee-p1363' as const }
        : key
  return () => {
    const input = `${header}.${Buffer.from(JSON.stringify(accessClaims())).toString('base64url')}`
    return `${input}.${sign(hash, Buffer.from(input), keyArg).toString('base64url')}`
  }
}

/** jose wants CryptoKeys (or bytes for HMAC); import them once, as an application would. */
async function joseKeys(
  keys: KeyMaterial,
): Promise<{ sign: CryptoKey | Uint8Array; verify: CryptoKey | Uint8Array }> {
  if (keys.alg === 'HS256') {
    // A CryptoKey imported once: with raw bytes jose would import the key on every call.
    const secret = await crypto.subtle.importKey(
      'raw',
      new TextEncoder().encode(keys.signKey as string),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign', 'verify'],
    )
    return { sign: secret, verify: secret }
  }
  return {
    sign: await importPKCS8(keys.signPem, keys.alg),
    verify: await importSPKI(keys.verifyPem, keys.alg),
  }
}

/**
 * Builds the verify and sign contender lists for one algorithm.
 *
 * @param keys - the key material
 */
async function buildGroups(keys: KeyMaterial): Promise<{
  verify: Contender[]
  sign: Contender[]
  skippedVerify: Skipped[]
  skippedSign: Skipped[]
  /** Stops what the group started (the JWKS endpoint of the remote-key contender). */
  close: () => void
}> {
  const { alg } = keys
  const auth = createAuthX(keys)
  const token = auth.createAccessToken(SUBJECT)
  const jose = await joseKeys(keys)
  const fastKey = alg === 'HS256' ? (keys.verifyKey as string) : keys.verifyPem
  const fastVerify = createVerifier({ key: fastKey, algorithms: [alg] })
  const fastVerifyCached = createVerifier({ key: fastKey, algorithms: [alg], cache: true })
  const fastSign = createSigner({
    key: alg === 'HS256' ? (keys.signKey as string) : keys.signPem,
    algorithm: alg,
  })
  // A KeyObject secret: given a string, jsonwebtoken first tries createPublicKey on it (and
  // catches the failure) on every call, which costs it most of its time.
  const jwtKey =
    alg === 'HS256'
      ? createSecretKey(Buffer.from(keys.verifyKey as string))
      : (keys.verifyKey as KeyObject)
  const jwtSignKey = alg === 'HS256' ? jwtKey : (keys.signKey as KeyObject)
  const bare = bareVerifier(keys)
  let close = (): void => undefined
  const bareSign = bareSigner(keys)

  const verify: Contender[] = [
    {
      id: 'authx.sync',
      label: 'authx-ts verifyTokenSync',
      async: false,
      run: () => auth.verifyTokenSync(token),
    },
    {
      id: 'authx.async',
      label: 'authx-ts await verifyToken',
      async: true,
      run: () => auth.verifyToken(token),
    },
  ]
  const cached = createAuthX(keys, { verifiedTokenCache: true })
  verify.push(
    {
      id: 'authx.sync.cached',
      label: 'authx-ts verifyTokenSync (verifiedTokenCache)',
      async: false,
      run: () => cached.verifyTokenSync(token),
    },
    {
      id: 'authx.async.cached',
      label: 'authx-ts await verifyToken (verifiedTokenCache)',
      async: true,
      run: () => cached.verifyToken(token),
    },
  )
  if (alg !== 'HS256') {
    // A resource server's verification: the key learnt from the signer's JWKS, then cached.
    const endpoint = await createRemoteVerifier(auth)
    close = endpoint.close
    const remote = endpoint.verifier
    verify.push({
      id: 'authx.remote',
      label: 'authx-ts verifyTokenSync (jwksUri, key cached)',
      async: false,
      run: () => remote.verifyTokenSync(token),
    })
  }
  verify.push({ id: 'bare', label: 'bare node:crypto', async: false, run: () => bare(token) })
  // The bare check behind the same promise hop as `await verifyToken`: what the hop costs.
  if (alg === 'HS256')
    verify.push({
      id: 'bare.await',
      label: 'bare node:crypto, awaited',
      async: true,
      run: async () => bare(token),
    })
  verify.push(
    { id: 'fast-jwt', label: 'fast-jwt', async: false, run: () => fastVerify(token) },
    {
      id: 'fast-jwt.cached',
      label: 'fast-jwt (cache: true)',
      async: false,
      run: () => fastVerifyCached(token),
    },
    {
      id: 'jsonwebtoken',
      label: 'jsonwebtoken',
      async: false,
      run: () => jsonwebtoken.verify(token, jwtKey, { algorithms: [alg as JWTAlgorithm] }),
    },
    {
      id: 'jose',
      label: 'jose (await jwtVerify)',
      async: true,
      run: () => jwtVerify(token, jose.verify, { algorithms: [alg] }),
    },
  )
  const sign: Contender[] = [
    {
      id: 'authx',
      label: 'authx-ts createAccessToken',
      async: false,
      run: () => auth.createAccessToken(SUBJECT),
    },
    { id: 'bare', label: 'bare node:crypto', async: false, run: bareSign },
    { id: 'fast-jwt', label: 'fast-jwt', async: false, run: () => fastSign(accessClaims()) },
    {
      id: 'jsonwebtoken',
      label: 'jsonwebtoken',
      async: false,
      run: () => jsonwebtoken.sign(accessClaims(), jwtSignKey, { algorithm: alg as JWTAlgorithm }),
    },
    {
      id: 'jose',
      label: 'jose (await SignJWT)',
      async: true,
      run: () =>
        new SignJWT(accessClaims()).setProtectedHeader({ alg, typ: 'JWT' }).sign(jose.sign),
    },
  ]
  const check = async (
    list: Contender[],
    expect: (v: unknown) => void,
  ): Promise<[Contender[], Skipped[]]> => {
    const ok: Contender[] = []
    const skipped: Skipped[] = []
    for (const c of list) {
      try {
        const value = c.async ? await (c.run() as Promise<unknown>) : c.run()
        expect(value)
        ok.push(c)
      } catch (error) {
        skipped.push({
          id: c.id,
          label: c.label,
          reason: (error as Error).message.split('\n')[0] ?? 'failed',
        })
      }
    }
    return [ok, skipped]
  }
  const [verifyOk, skippedVerify] = await check(verify, expectSubject)
  const [signOk, skippedSign] = await check(sign, expectToken)
  // Signed by peers, verified by us: every contender must produce a token authx-ts accepts.
  for (const c of [...signOk]) {
    if (c.id === 'authx') continue
    const produced = c.async ? await (c.run() as Promise<string>) : (c.run() as string)
    try {
      auth.verifyTokenSync(produced)
    } catch (error) {
      signOk.splice(signOk.indexOf(c), 1)
      skippedSign.push({
        id: c.id,
        label: c.label,
        reason: `its token does not verify: ${(error as Error).message}`,
      })
    }
  }
  return { verify: verifyOk, sign: signOk, skippedVerify, skippedSign, close }
}

function ratiosOf(samples: Map<string, number[]>): RatioResult[] {
  const ids = [...samples.keys()]
  const ours = ids.filter((id) => id.startsWith('authx'))
  const theirs = ids.filter((id) => !id.startsWith('authx'))
  const ratios: RatioResult[] = []
  // The bare limit against each peer as well: the ceiling of any verifier against that peer.
  const firsts = samples.has('bare') ? [...ours, 'bare'] : ours
  for (const a of firsts) {
    for (const b of theirs.filter((id) => id !== a))
      ratios.push({ a, b, ratio: pairedRatio(samples.get(a) ?? [], samples.get(b) ?? []) })
  }
  // A remote key set, once cached, against the configured key: the cost of the key source.
  if (samples.has('authx.remote')) {
    const ratio = pairedRatio(samples.get('authx.remote') ?? [], samples.get('authx.sync') ?? [])
    ratios.push({ a: 'authx.remote', b: 'authx.sync', ratio })
  }
  return ratios
}

function log(message: string): void {
  process.stderr.write(`${message}\n`)
}

/**
 * Runs every group and returns the result.
 *
 * @param options - warm-up, slice and rounds
 * @param algorithms - which algorithms (all by default)
 */
export async function runMicro(
  options: MeasureOptions,
  algorithms: readonly BenchAlgorithm[] = BENCH_ALGORITHMS,
): Promise<MicroResult> {
  const groups: MicroGroup[] = []
  for (const alg of algorithms) {
    const keys = createKeyMaterial(alg)
    const built = await buildGroups(keys)
    for (const [op, list, skipped] of [
      ['verify', built.verify, built.skippedVerify],
      ['sign', built.sign, built.skippedSign],
    ] as const) {
      const samples = await measureInterleaved(list, options)
      const contenders = list.map((c) => ({
        id: c.id,
        label: c.label,
        opsPerSec: summarize(samples.get(c.id) ?? []),
      }))
      const group: MicroGroup = {
        id: `${op}:${alg}`,
        op,
        alg,
        contenders,
        skipped,
        ratios: ratiosOf(samples),
      }
      groups.push(group)
      log(
        `  ${group.id}: ${contenders.map((c) => `${c.id} ${formatRate(c.opsPerSec.median)}`).join(', ')}`,
      )
      for (const s of skipped) log(`    skipped ${s.id}: ${s.reason}`)
      log(
        `    ${group.ratios
          .filter((r) => r.a === 'authx.sync' || r.a === 'authx' || r.a === 'authx.remote')
          .map((r) => `${r.a}/${r.b} ${formatRatio(r.ratio.median)}`)
          .join(', ')}`,
      )
    }
    built.close()
  }
  return { options, groups }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const options = JSON.parse(process.argv[2] ?? '{}') as Partial<MeasureOptions> & {
    algorithms?: BenchAlgorithm[]
  }
  const result = await runMicro(
    {
      warmupMs: options.warmupMs ?? 100,
      sliceMs: options.sliceMs ?? 60,
      rounds: options.rounds ?? 5,
    },
    options.algorithms,
  )
  process.stdout.write(`${JSON.stringify(result)}\n`)
}
