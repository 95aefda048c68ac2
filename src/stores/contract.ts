/**
 * What both stores do with the identifiers they are given: refuse the ones no store can keep
 * apart, and build keys from the others so that distinct identifiers never share a key.
 *
 * - Ill-formed UTF-16 (a lone surrogate, which JSON's `"\ud800"` escape decodes to) is refused:
 *   Redis receives keys as UTF-8, where a lone surrogate becomes U+FFFD, so `'a\ud800'` and
 *   `'a\ufffd'` would be one subject there. The memory store refuses them as well, so that an
 *   application sees the same contract whichever store it runs on.
 * - Keys are built by {@link storeKeys} only, whose shapes can be read back in one way only, so
 *   a `:` inside an id can never make one key pass for another (`'a:b'` + `'c'` stays apart from
 *   `'a'` + `'b:c'`, and a session id cannot spell a revocation).
 *
 * Internal to the stores: not part of the package's exports.
 *
 * @packageDocumentation
 */
import { isWellFormed } from '../internal/well-formed.ts'
import type { RevocationKind, RevocationQuery } from './types.ts'

/**
 * Whether `value` is a string without lone surrogates, i.e. one that survives a round trip
 * through UTF-8 unchanged.
 *
 * @param value - anything
 * @returns true for a well-formed string
 */
export function isWellFormedId(value: unknown): value is string {
  return typeof value === 'string' && isWellFormed(value)
}

/**
 * Refuses an identifier that is not a well-formed string.
 *
 * @param where - the operation, as `Store.method`, for the message
 * @param name - the argument's name, for the message
 * @param value - the identifier
 * @throws TypeError naming the argument when `value` is not a string or has a lone surrogate
 *
 * @example Checking a subject before it becomes a key
 * ```ts
 * assertId('RedisStore.listSessions', 'sub', sub)
 * ```
 */
export function assertId(where: string, name: string, value: unknown): asserts value is string {
  if (typeof value !== 'string') throw new TypeError(`${where}: ${name} must be a string`)
  if (!isWellFormed(value)) {
    // The value is not echoed: it may come from a token or a request.
    throw new TypeError(
      `${where}: ${name} must be a well-formed string (it contains a lone UTF-16 surrogate)`,
    )
  }
}

/**
 * Refuses a revocation query whose subject, `jti`, `sid` or `fam` is not a well-formed string.
 *
 * @param where - the operation, as `Store.method`, for the message
 * @param query - the query
 * @throws TypeError naming the field
 */
export function assertQuery(where: string, query: RevocationQuery): void {
  if (typeof query !== 'object' || query === null)
    throw new TypeError(`${where}: query must be an object`)
  assertId(where, 'query.sub', query.sub)
  if (query.jti !== undefined) assertId(where, 'query.jti', query.jti)
  if (query.sid !== undefined) assertId(where, 'query.sid', query.sid)
  if (query.fam !== undefined) assertId(where, 'query.fam', query.fam)
}

/**
 * Every key shape of the stores, in one place (the memory store uses `used`; `RedisStore` all of
 * them, after its `prefix`). Why no two calls with different ids can build the same key:
 *
 * - each shape starts with its own tag followed by `:`, and no tag-plus-colon is a prefix of
 *   another (`rev:jti:`, `rev:sid:`, `rev:fam:`, `rsub:`, `used:`, `hit:`, `sess:`, `subsess:`),
 *   so two keys of different shapes differ within the tag;
 * - each shape has a fixed number of ids, every id but the last is written as
 *   `<length>:<id>` (its length in UTF-16 code units) and the last runs to the end of the key, so
 *   the ids can be read back from a key in exactly one way, whatever `:` they contain;
 * - ids are well-formed (see {@link assertId}), so distinct keys also have distinct UTF-8 bytes,
 *   which is what Redis compares.
 *
 * A new shape must keep all three: a tag that is not a prefix of another, a fixed arity, and a
 * length before every id but the last. The property tests in test/security/store-keys.test.ts
 * check the result.
 */
export const storeKeys = {
  /** A revoked `jti`, `sid` or `fam`. */
  revoked: (kind: RevocationKind, id: string): string => `rev:${kind}:${id}`,
  /** A subject-wide revocation (its `at`). */
  subject: (sub: string): string => `rsub:${sub}`,
  /** One spent refresh token of one family. */
  used: (fam: string, jti: string): string => `used:${fam.length}:${fam}:${jti}`,
  /** A rate-limit window. */
  hit: (key: string): string => `hit:${key}`,
  /** A session record. */
  session: (id: string): string => `sess:${id}`,
  /** The ids of a subject's sessions. */
  sessionIndex: (sub: string): string => `subsess:${sub}`,
} as const
