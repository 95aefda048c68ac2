/**
 * Claim validation after the signature has been checked: time claims (with leeway), audience,
 * issuer and the types of the registered claims authx-ts reads. Nothing here is believed before
 * the signature is: this module is only ever called with a verified payload.
 */
import {
  JWTDecodeError,
  TokenExpiredError,
  TokenInvalidAudienceError,
  TokenInvalidIssuerError,
} from '../errors.ts'
import type { JSONObject } from './jws.ts'
import { isWellFormed } from '../internal/well-formed.ts'

/** What claim validation needs to know. */
export interface ClaimRules {
  /** Current time, seconds since the epoch. */
  readonly now: number
  /** Seconds of clock skew tolerated on `exp`, `nbf` and `iat`. */
  readonly leeway: number
  /** Accepted audiences; null means tokens must not carry a non-empty `aud`. */
  readonly audience: readonly string[] | null
  /** The accepted issuers; null means `iss` is not checked beyond its type. */
  readonly issuer: readonly string[] | null
  /** The claim that holds the subject (`sub` unless configured). */
  readonly identityClaim: string
  /** Whether a token of this `type` may omit `exp` (its configured lifetime is null). */
  readonly allowsNoExpiry: (type: unknown) => boolean
}

function invalid(reason: string): JWTDecodeError {
  return new JWTDecodeError({ reason })
}

/** Reads a NumericDate claim: absent, or a finite number (`1e400` parses to Infinity). */
function numericDate(payload: JSONObject, name: string): number | undefined {
  const value = payload[name]
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw invalid(`${name} is not a finite number`)
  return value
}

function optionalType(payload: JSONObject, name: string, type: 'string' | 'boolean'): void {
  const value = payload[name]
  if (value !== undefined && typeof value !== type) throw invalid(`${name} is not a ${type}`)
}

/**
 * Reads a claim that becomes a store key or is compared as UTF-8 bytes: absent, or a string
 * without lone surrogates. JSON's `"\ud800"` escape decodes to a lone surrogate, which UTF-8
 * cannot encode: a store on Redis would see U+FFFD there, so `"a\ud800"` and `"a\ufffd"` would
 * name one subject, session or family. No token we issue carries one.
 */
function optionalId(payload: JSONObject, name: string): void {
  const value = payload[name]
  if (value === undefined) return
  if (typeof value !== 'string') throw invalid(`${name} is not a string`)
  if (!isWellFormed(value)) throw invalid(`${name} is not well-formed UTF-16`)
}

/**
 * Validates the claims of a verified payload.
 *
 * @param payload - the decoded payload
 * @param rules - time, audience, issuer and identity rules
 * @throws TokenExpiredError, TokenInvalidAudienceError, TokenInvalidIssuerError or JWTDecodeError
 */
export function validateClaims(payload: JSONObject, rules: ClaimRules): void {
  const { now, leeway } = rules
  const iat = numericDate(payload, 'iat')
  const nbf = numericDate(payload, 'nbf')
  const exp = numericDate(payload, 'exp')
  if (iat !== undefined && iat > now + leeway) throw invalid('iat is in the future')
  if (nbf !== undefined && nbf > now + leeway) throw invalid('token is not valid yet (nbf)')
  if (exp === undefined) {
    if (!rules.allowsNoExpiry(payload.type)) throw invalid('token has no exp')
  } else if (exp <= now - leeway) {
    throw new TokenExpiredError()
  }

  if (typeof payload[rules.identityClaim] !== 'string') {
    throw invalid(`${rules.identityClaim} is missing or not a string`)
  }
  optionalId(payload, rules.identityClaim)
  // Revocation, rotation and sessions key the store by these: see optionalId.
  optionalId(payload, 'jti')
  optionalId(payload, 'sid')
  optionalId(payload, 'fam')
  // The CSRF check hashes the claim as UTF-8, where a lone surrogate reads as U+FFFD.
  optionalId(payload, 'csrf')
  optionalType(payload, 'type', 'string')
  optionalType(payload, 'login_type', 'string')
  optionalType(payload, 'fresh', 'boolean')
  // The rotation family's deadline (`FAMILY_DEADLINE_CLAIM`): refresh reads it as a time.
  numericDate(payload, 'fam_exp')
  const scopes = payload.scopes
  if (
    scopes !== undefined &&
    !(Array.isArray(scopes) && scopes.every((s) => typeof s === 'string'))
  ) {
    throw invalid('scopes is not an array of strings')
  }

  checkIssuer(payload.iss, rules.issuer)
  checkAudience(payload.aud, rules.audience)
}

function checkIssuer(iss: unknown, expected: readonly string[] | null): void {
  if (iss !== undefined && typeof iss !== 'string') {
    throw expected === null ? invalid('iss is not a string') : new TokenInvalidIssuerError()
  }
  if (expected === null) return
  if (iss === undefined) throw invalid('iss is required')
  if (!expected.includes(iss)) throw new TokenInvalidIssuerError()
}

function checkAudience(aud: unknown, expected: readonly string[] | null): void {
  if (aud === undefined) {
    if (expected !== null) throw invalid('aud is required')
    return
  }
  const list = typeof aud === 'string' ? [aud] : aud
  if (!Array.isArray(list) || !list.every((a) => typeof a === 'string')) {
    throw new TokenInvalidAudienceError({ reason: 'aud is not a string or an array of strings' })
  }
  if (expected === null) {
    // A token meant for a named audience is not for a verifier that names none (RFC 7519 4.1.3).
    if (list.length > 0) throw new TokenInvalidAudienceError({ reason: 'no audience is accepted' })
    return
  }
  if (!list.some((a) => expected.includes(a))) throw new TokenInvalidAudienceError()
}
