/**
 * Token profiles: what a token must look like besides a good signature and valid time claims.
 * `authx` is the shape this library mints (a `type` claim, `scopes` as a list); `rfc9068` is the
 * JWT access token of OAuth 2.0 (RFC 9068), as identity providers issue it for an API: `typ`
 * `at+jwt`, the registered claims it requires, and `scope` as a space-separated string.
 *
 * @packageDocumentation
 */
import { JWTDecodeError } from '../errors.ts'
import type { JSONObject } from './jws.ts'

/** The token shapes an instance accepts. */
export type TokenProfile = 'authx' | 'rfc9068'

/** The claims RFC 9068 section 2.2 requires in every access token. */
const RFC9068_REQUIRED = ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'] as const

/**
 * Checks an RFC 9068 access token's header and claims (after its signature and before its time,
 * audience and issuer rules, which apply as to every token).
 *
 * @param header - the protected header
 * @param claims - the verified payload
 * @throws JWTDecodeError naming what is missing
 */
export function checkRFC9068(header: JSONObject, claims: JSONObject): void {
  // RFC 9068 section 4: `typ` must be "at+jwt" ("application/at+jwt" is the same media type), so
  // that an ID token or any other JWT of the same provider is never taken for an access token.
  const typ = typeof header.typ === 'string' ? header.typ.toLowerCase() : ''
  if (typ !== 'at+jwt' && typ !== 'application/at+jwt') {
    throw new JWTDecodeError({ reason: 'not an RFC 9068 access token (typ is not at+jwt)' })
  }
  for (const name of RFC9068_REQUIRED) {
    if (claims[name] === undefined) throw new JWTDecodeError({ reason: `${name} is required` })
  }
  if (typeof claims.client_id !== 'string')
    throw new JWTDecodeError({ reason: 'client_id is not a string' })
  if (claims.scope !== undefined && typeof claims.scope !== 'string')
    throw new JWTDecodeError({ reason: 'scope is not a string' })
}

/**
 * The scopes of an RFC 9068 token: its `scope` claim split on spaces (RFC 8693 section 4.2).
 *
 * @param claims - the verified payload
 */
export function scopesOfRFC9068(claims: JSONObject): string[] {
  return typeof claims.scope === 'string' ? claims.scope.split(' ').filter((s) => s !== '') : []
}
