/**
 * The options of remote key sets: `jwksUri` (one source), `issuers` (several, each with its own
 * JWK Set, audience and algorithms) and the algorithms they may use. Checked once, here, so that a
 * bad URL or an issuer without keys fails at construction, not on the first request.
 */
import { checkDocumentURL } from '../token/fetch-document.ts'
import { ALGORITHMS, ALGORITHM_SPECS } from '../token/keys.ts'
import type { Algorithm } from '../token/keys.ts'
import type { IssuerOptions } from './options.ts'
import { algorithmOption, audienceOption, booleanOption, fail } from './validators.ts'

/** A trusted issuer, resolved. */
export interface TrustedIssuer {
  /** The exact `iss` its tokens carry. */
  readonly issuer: string
  /** Its JWK Set URL, or null when it is found through discovery. */
  readonly jwksUri: string | null
  /** The audiences its tokens must name, or null for `decodeAudience`. */
  readonly audience: readonly string[] | null
  /** The algorithms its keys are bound to. */
  readonly algorithms: readonly Algorithm[]
}

/** Every algorithm a remote key may use: a JWK Set publishes public keys, never secrets. */
export const ASYMMETRIC_ALGORITHMS: readonly Algorithm[] = ALGORITHMS.filter(
  (alg) => ALGORITHM_SPECS[alg].family !== 'hmac',
)

/**
 * Checks a URL option.
 *
 * @param name - the option, for the error
 * @param value - the configured URL
 */
export function urlOption(name: string, value: unknown): string {
  if (typeof value !== 'string') fail(name, 'expected a URL string')
  try {
    return checkDocumentURL(value).href
  } catch (error) {
    return fail(name, (error as Error).message)
  }
}

/**
 * Checks the algorithms of a remote source: non-empty, none symmetric.
 *
 * @param name - the option, for the error
 * @param value - the configured list
 * @param fallback - the list when `value` is undefined
 */
export function remoteAlgorithms(
  name: string,
  value: unknown,
  fallback: readonly Algorithm[],
): readonly Algorithm[] {
  if (value === undefined) return fallback
  if (!Array.isArray(value) || value.length === 0) {
    fail(name, 'expected a non-empty array of algorithms')
  }
  const list = value.map((a: unknown) => algorithmOption(name, a, 'RS256'))
  for (const alg of list) {
    if (ALGORITHM_SPECS[alg].family === 'hmac') {
      fail(
        name,
        `${alg} needs a shared secret, which a JWK Set never carries; use ${ASYMMETRIC_ALGORITHMS.join(', ')}`,
      )
    }
  }
  return Object.freeze(list)
}

/** An issuer's algorithms: a part of `decodeAlgorithms`, which every token header must pass. */
function issuerAlgorithms(
  name: string,
  value: unknown,
  decodeAlgorithms: readonly Algorithm[],
): readonly Algorithm[] {
  const list = remoteAlgorithms(`${name}.algorithms`, value, decodeAlgorithms)
  const outside = list.find((alg) => !decodeAlgorithms.includes(alg))
  if (outside !== undefined) {
    fail(`${name}.algorithms`, `${outside} is not in decodeAlgorithms; add it there too`)
  }
  return list
}

/**
 * Resolves the `issuers` option.
 *
 * @param value - the user's map of issuer to settings
 * @param decodeAlgorithms - the instance's algorithms, the default of each issuer
 */
export function issuersOption(
  value: unknown,
  decodeAlgorithms: readonly Algorithm[],
): readonly TrustedIssuer[] {
  if (value === undefined) return Object.freeze([])
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail('issuers', 'expected an object mapping each issuer to { jwksUri } or { discovery: true }')
  }
  const entries = Object.entries(value as Record<string, unknown>)
  if (entries.length === 0) fail('issuers', 'name at least one issuer')
  return Object.freeze(
    entries.map(([issuer, raw]): TrustedIssuer => {
      const name = `issuers[${JSON.stringify(issuer)}]`
      if (issuer === '') fail(name, 'an issuer is a non-empty string')
      if (typeof raw !== 'object' || raw === null)
        fail(name, 'expected { jwksUri } or { discovery: true }')
      const settings = raw as IssuerOptions
      const discovery = booleanOption(`${name}.discovery`, settings.discovery, false)
      if (discovery === (settings.jwksUri !== undefined)) {
        fail(name, 'give either jwksUri or discovery: true (one of them)')
      }
      // Discovery fetches from the issuer itself, so the issuer must be a URL we may fetch.
      if (discovery) urlOption(name, issuer)
      const audience = audienceOption(`${name}.audience`, settings.audience)
      return Object.freeze({
        issuer,
        jwksUri: discovery ? null : urlOption(`${name}.jwksUri`, settings.jwksUri),
        audience:
          audience === null
            ? null
            : Object.freeze(typeof audience === 'string' ? [audience] : audience),
        algorithms: issuerAlgorithms(name, settings.algorithms, decodeAlgorithms),
      })
    }),
  )
}
