/**
 * Minting: the claims and the header of every new token, signed with the instance's signing key.
 * Access and refresh tokens, token pairs, and the rotation family's deadline all take shape here.
 *
 * @packageDocumentation
 */
import { randomUUID } from 'node:crypto'
import type { AuthXConfig } from '../config/index.ts'
import { BadConfigurationError } from '../errors.ts'
import type { Duration } from '../internal/duration.ts'
import { parseDuration } from '../internal/duration.ts'
import { createCsrfValue } from '../request/csrf.ts'
import { assertId } from '../stores/contract.ts'
import { encodeSegment, signCompact } from '../token/jws.ts'
import type { JSONObject } from '../token/jws.ts'
import type { BoundKey } from '../token/keys.ts'
import { RESERVED_CLAIMS } from '../token/payload.ts'
import type { TokenType } from '../types.ts'
import { tokenIssuedChannel } from './audit.ts'
import type { TokenIssuedEvent } from './audit.ts'
import { FAMILY_DEADLINE_CLAIM } from './derived.ts'
import type { CreateTokenOptions, CreateTokenPairOptions, TokenPair } from './options.ts'

/** Header members a caller can never set: they would change how the token is read. */
const FIXED_HEADERS = ['alg', 'crit', 'b64', 'zip'] as const

function absoluteExpiry(now: number, value: Duration | Date | null, option: string): number | null {
  if (value === null) return null
  if (value instanceof Date) return Math.floor(value.getTime() / 1000)
  const seconds = parseDuration(value)
  if (seconds === undefined)
    throw new TypeError(`${option}: expected seconds, a string like "15m", a Date or null`)
  return now + Math.round(seconds)
}

/** Creates the instance's tokens; the default header is encoded once per signing key. */
export class TokenMinter {
  readonly #config: AuthXConfig
  readonly #signingKey: () => BoundKey | undefined
  /** The signing key the default header was encoded for, and that header. */
  #headerKey: BoundKey | undefined
  #defaultHeader = ''

  /**
   * @param config - the instance's configuration (its signing key may be absent: verify-only)
   * @param signingKey - where the signing key comes from when it changes over time (a key ring);
   *   the configured key by default
   */
  constructor(config: AuthXConfig, signingKey?: () => BoundKey) {
    this.#config = config
    const configured = config.signingKey
    this.#signingKey = signingKey ?? (() => configured)
  }

  /** The key that signs now, and its default header (encoded again only when the key changed). */
  #key(): BoundKey | undefined {
    const key = this.#signingKey()
    if (key !== undefined && key !== this.#headerKey) {
      this.#defaultHeader = encodeSegment({
        alg: key.alg,
        typ: 'JWT',
        ...(key.kid === undefined ? {} : { kid: key.kid }),
      })
      this.#headerKey = key
    }
    return key
  }

  /**
   * Creates one token.
   *
   * @param type - access or refresh
   * @param uid - the subject
   * @param options - lifetime, data, audience, scopes, headers, session, family
   * @param familyDeadline - the deadline of the family the token continues, if any
   * @throws BadConfigurationError on a verify-only instance; TypeError for misuse
   */
  token(
    type: TokenType,
    uid: string | number,
    options: CreateTokenOptions,
    familyDeadline?: number,
  ): string {
    const config = this.#config
    const key = this.#key()
    if (key === undefined) {
      // Name the fix that applies: a remote-keys instance cannot be given a private key at all.
      throw new BadConfigurationError(
        config.jwksUri !== null || config.issuers.length > 0
          ? 'this instance verifies with remote key sets (jwksUri, issuers) and never signs; create tokens with the service that holds the private keys'
          : 'privateKey: this instance only verifies; set privateKey (or a private JWK in keys) to create tokens',
      )
    }
    if (typeof uid !== 'string' && typeof uid !== 'number')
      throw new TypeError('uid must be a string or a number')
    const subject = String(uid)
    assertId('AuthX.createToken', 'uid', subject)
    if (options.sessionId !== undefined)
      assertId('AuthX.createToken', 'sessionId', options.sessionId)
    if (options.familyId !== undefined) assertId('AuthX.createToken', 'familyId', options.familyId)
    const now = Math.floor(config.clock())
    const claims: JSONObject = { [config.identityClaim]: subject, jti: randomUUID(), type }
    if (type === 'access') claims.fresh = options.fresh === true
    claims.csrf =
      config.cookieCsrfProtect && config.tokenLocation.includes('cookies') ? createCsrfValue() : ''
    claims.iat = now
    if (config.encodeNbf) claims.nbf = now
    const lifetime = type === 'access' ? config.accessTokenExpires : config.refreshTokenExpires
    const exp =
      options.expiresIn === undefined
        ? lifetime === null
          ? null
          : now + Math.round(lifetime)
        : absoluteExpiry(now, options.expiresIn, 'expiresIn')
    if (exp !== null) claims.exp = exp
    if (config.encodeIssuer !== null) claims.iss = config.encodeIssuer
    const audience = options.audience ?? config.encodeAudience
    if (audience !== null) claims.aud = typeof audience === 'string' ? audience : [...audience]
    if (options.scopes !== undefined) claims.scopes = [...options.scopes]
    if (config.loginType !== null) claims.login_type = config.loginType
    if (options.sessionId !== undefined) claims.sid = options.sessionId
    if (options.familyId !== undefined) claims.fam = options.familyId
    const rotation = config.refreshRotation
    // Under rotation every refresh token belongs to a family with an absolute deadline; a new
    // login starts a new family, a refresh continues the old one without extending it. Access
    // tokens of a family carry the same deadline, so implicit refresh cannot extend it either.
    const deadline =
      familyDeadline ??
      (type === 'refresh' && rotation !== null ? now + rotation.familyLifetime : undefined)
    if (type === 'refresh' && rotation !== null) claims.fam ??= randomUUID()
    if (deadline !== undefined && claims.fam !== undefined) {
      claims[FAMILY_DEADLINE_CLAIM] = deadline
      if (claims.exp === undefined || (claims.exp as number) > deadline) claims.exp = deadline
    }
    if (options.data !== undefined) {
      for (const name of Object.keys(options.data)) {
        if (RESERVED_CLAIMS.has(name) || name === config.identityClaim) {
          throw new TypeError(
            `data.${name} is a reserved claim; set it through its own option or rename it`,
          )
        }
        // defineProperty, not assignment: a `__proto__` key must stay a plain claim.
        Object.defineProperty(claims, name, {
          value: options.data[name],
          enumerable: true,
          writable: true,
          configurable: true,
        })
      }
    }
    const token = signCompact(key, this.#headerSegment(key, options.headers), claims)
    if (tokenIssuedChannel.hasSubscribers) {
      const event: TokenIssuedEvent = {
        type,
        sub: subject,
        jti: claims.jti as string,
        exp: (claims.exp as number | undefined) ?? null,
        fresh: claims.fresh === true,
        scopes: options.scopes,
        sid: options.sessionId,
        fam: claims.fam as string | undefined,
      }
      tokenIssuedChannel.publish(event)
    }
    return token
  }

  /**
   * Creates an access and a refresh token together. Under rotation both join a new family and
   * carry its deadline, so no token of the login outlives it.
   *
   * @param uid - the subject
   * @param options - shared data, audience, headers, session; separate scopes and lifetimes
   */
  pair(uid: string | number, options: CreateTokenPairOptions): TokenPair {
    const rotation = this.#config.refreshRotation
    const familyId = options.familyId ?? (rotation === null ? undefined : randomUUID())
    const deadline =
      rotation === null ? undefined : Math.floor(this.#config.clock()) + rotation.familyLifetime
    const shared = {
      data: options.data,
      audience: options.audience,
      headers: options.headers,
      sessionId: options.sessionId,
      familyId,
    }
    const access = {
      ...shared,
      fresh: options.fresh,
      expiresIn: options.accessExpiresIn,
      scopes: options.accessScopes,
    }
    const refresh = {
      ...shared,
      expiresIn: options.refreshExpiresIn,
      scopes: options.refreshScopes,
    }
    return {
      access_token: this.token('access', uid, access, deadline),
      refresh_token: this.token('refresh', uid, refresh, deadline),
      token_type: 'bearer',
    }
  }

  #headerSegment(key: BoundKey, extra: Record<string, unknown> | undefined): string {
    if (extra === undefined) return this.#defaultHeader
    for (const name of FIXED_HEADERS) {
      if (Object.hasOwn(extra, name)) throw new TypeError(`headers.${name} cannot be set`)
    }
    return encodeSegment({
      alg: key.alg,
      typ: 'JWT',
      ...(key.kid === undefined ? {} : { kid: key.kid }),
      ...extra,
    })
  }
}
