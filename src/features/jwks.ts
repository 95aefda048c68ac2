/**
 * Publishing the instance's public keys as a JWK Set (RFC 7517 section 5), for the services that
 * verify its tokens: the document, and the HTTP answer every binding's JWKS handler sends
 * (`application/jwk-set+json`, `Cache-Control: public, max-age` of `jwksCacheMaxAge`, a strong
 * `ETag` that answers `If-None-Match` with 304). Secrets never leave: an HMAC key is not
 * published, and only the public members of the others are.
 *
 * @packageDocumentation
 */
import { createHash } from 'node:crypto'
import { BadConfigurationError } from '../errors.ts'
import type { Engine } from '../core/engine.ts'
import { publishedJWK } from '../token/jwk.ts'
import type { PublishedJWKSet } from '../token/jwk.ts'

/** The media type of a JWK Set (RFC 7517 section 8.5.1). */
export const JWK_SET_MEDIA_TYPE = 'application/jwk-set+json'

/** What a JWKS handler answers, ready for any framework to send. */
export interface JWKSReply {
  /** 200 with the set, or 304 when the client's copy is current. */
  readonly status: 200 | 304
  /** `content-type` (200 only), `cache-control` and `etag`. */
  readonly headers: Readonly<Record<string, string>>
  /** The JSON text of the set; null with a 304. */
  readonly body: string | null
}

interface Document {
  readonly set: PublishedJWKSet
  readonly body: string
  readonly etag: string
  /** The key set's version it was built from: a key ring's document changes as it rotates. */
  readonly version: number
}

/** Each engine's document, built on first use and again whenever its key set changes. */
const documents = new WeakMap<Engine, Document>()

function documentOf(engine: Engine): Document {
  const version = engine.keys.version
  const cached = documents.get(engine)
  if (cached !== undefined && cached.version === version) return cached
  const published = engine.keys.published?.() ?? []
  if (published.length === 0) {
    throw new BadConfigurationError(
      engine.keys.published === undefined
        ? 'jwks(): this instance verifies with remote key sets and has no keys of its own to publish'
        : engine.config.keyRing !== null
          ? 'jwks(): the key ring is not loaded yet; await auth.ready() first'
          : 'jwks(): this instance has only HMAC secrets, which are never published; sign with RS, PS, ES or EdDSA keys to publish a JWK Set',
    )
  }
  const set = Object.freeze({ keys: Object.freeze(published.map(publishedJWK)) })
  const body = JSON.stringify(set)
  const etag = `"${createHash('sha256').update(body).digest('base64url')}"`
  const document = { set, body, etag, version }
  documents.set(engine, document)
  return document
}

/**
 * The instance's public JWK Set.
 *
 * @param engine - the instance's engine
 * @throws BadConfigurationError when the instance has no public key to publish
 */
export function publicKeySet(engine: Engine): PublishedJWKSet {
  return documentOf(engine).set
}

/**
 * Whether an `If-None-Match` value names this entity tag (weak comparison, as RFC 9110
 * section 13.1.2 prescribes for this header).
 */
function matches(ifNoneMatch: string, etag: string): boolean {
  return ifNoneMatch.split(',').some((tag) => {
    const value = tag.trim()
    return value === '*' || (value.startsWith('W/') ? value.slice(2) : value) === etag
  })
}

/**
 * The answer to a request for the JWK Set.
 *
 * @param engine - the instance's engine
 * @param ifNoneMatch - the request's `If-None-Match` header, if any
 * @throws BadConfigurationError when the instance has no public key to publish
 */
export function jwksReply(engine: Engine, ifNoneMatch: string | null | undefined): JWKSReply {
  const { body, etag } = documentOf(engine)
  const caching = {
    'cache-control': `public, max-age=${Math.floor(engine.config.jwksCacheMaxAge)}`,
    etag,
  }
  if (typeof ifNoneMatch === 'string' && matches(ifNoneMatch, etag)) {
    return { status: 304, headers: caching, body: null }
  }
  return { status: 200, headers: { 'content-type': JWK_SET_MEDIA_TYPE, ...caching }, body }
}
