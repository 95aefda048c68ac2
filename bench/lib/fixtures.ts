/**
 * What every contender shares: the keys, the claims of a typical AuthX access token, and the one
 * token each algorithm verifies. Every library verifies the same string, signed by authx-ts.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { KeyObject } from 'node:crypto'
import type { AuthX as AuthXType } from '../../src/authx.ts'
import type { AuthXOptions } from '../../src/config/index.ts'
import { AuthX } from './library.ts'

/** The algorithms benchmarked, one per family. */
export const BENCH_ALGORITHMS = ['HS256', 'RS256', 'PS256', 'ES256', 'EdDSA'] as const

/** One of {@link BENCH_ALGORITHMS}. */
export type BenchAlgorithm = (typeof BENCH_ALGORITHMS)[number]

/** A fixed 48-byte HMAC secret (longer than the 32-byte floor of HS256). Benchmarks only. */
export const HMAC_SECRET = 'bench-secret-0123456789abcdef-0123456789abcdef!!'

/** The subject of every benchmark token. */
export const SUBJECT = 'user-42'

/** Key material for one algorithm, in the shapes the peers want. */
export interface KeyMaterial {
  readonly alg: BenchAlgorithm
  /** HS: the secret string; otherwise the private KeyObject. */
  readonly signKey: string | KeyObject
  /** HS: the secret string; otherwise the public KeyObject. */
  readonly verifyKey: string | KeyObject
  /** PEM forms for libraries that want text (fast-jwt, jsonwebtoken). */
  readonly signPem: string
  readonly verifyPem: string
}

/**
 * Creates key material for an algorithm: RSA 2048, P-256, Ed25519, or the shared secret.
 *
 * @param alg - the algorithm
 */
export function createKeyMaterial(alg: BenchAlgorithm): KeyMaterial {
  if (alg === 'HS256') {
    return {
      alg,
      signKey: HMAC_SECRET,
      verifyKey: HMAC_SECRET,
      signPem: HMAC_SECRET,
      verifyPem: HMAC_SECRET,
    }
  }
  const pair =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
      : alg === 'EdDSA'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('rsa', { modulusLength: 2048 })
  return {
    alg,
    signKey: pair.privateKey,
    verifyKey: pair.publicKey,
    signPem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    verifyPem: pair.publicKey.export({ type: 'spki', format: 'pem' }) as string,
  }
}

/**
 * The AuthX options for key material.
 *
 * @param keys - the material
 * @param extra - more options (a verified-token cache, for instance)
 */
export function authxOptions(
  keys: KeyMaterial,
  extra: AuthXOptions & Record<string, unknown> = {},
): AuthXOptions {
  return keys.alg === 'HS256'
    ? { ...extra, secretKey: keys.signKey }
    : { ...extra, algorithm: keys.alg, privateKey: keys.signKey }
}

/**
 * An AuthX instance for key material.
 *
 * @param keys - the material
 * @param extra - more options
 */
export function createAuthX(
  keys: KeyMaterial,
  extra: AuthXOptions & Record<string, unknown> = {},
): AuthXType {
  return new AuthX(authxOptions(keys, extra))
}

/**
 * A verify-only instance that learns the signer's keys from its JWKS endpoint, as a resource
 * server does (`jwksUri`), loaded before it is measured: verification with a cached remote key.
 *
 * @param signer - the instance whose `jwks()` is served
 * @returns the verifier, and a function that stops the endpoint
 */
export async function createRemoteVerifier(
  signer: AuthXType,
): Promise<{ verifier: AuthXType; close: () => void }> {
  const body = JSON.stringify(signer.jwks())
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/jwk-set+json' })
    res.end(body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const verifier = new AuthX({
    jwksUri: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    decodeAlgorithms: [...new Set(signer.config.verifyKeys.map((k) => k.alg))],
  })
  await verifier.ready()
  // The verifier's fetch keeps its connection alive: end it too, or the process never exits.
  return {
    verifier,
    close: () => {
      server.closeAllConnections()
      server.close()
    },
  }
}

/** The claims of a typical AuthX access token, as a peer would sign them. */
export interface AccessClaims {
  sub: string
  jti: string
  type: 'access'
  fresh: boolean
  csrf: string
  iat: number
  nbf: number
  exp: number
  [claim: string]: unknown
}

/**
 * Fresh claims equal in shape to what `createAccessToken` writes: a new `jti` and current times,
 * so that peers do the same work per signature as authx-ts does.
 *
 * @param lifetime - seconds until `exp`
 */
export function accessClaims(lifetime = 900): AccessClaims {
  const now = Math.floor(Date.now() / 1000)
  return {
    sub: SUBJECT,
    jti: randomUUID(),
    type: 'access',
    fresh: false,
    csrf: '',
    iat: now,
    nbf: now,
    exp: now + lifetime,
  }
}
