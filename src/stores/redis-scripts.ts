/**
 * The Lua scripts of `RedisStore`: every multi-step change of the store is one script, so that it
 * is atomic across instances (two instances racing on one refresh token see exactly one `ok`).
 * Scripts never build a key: every key they touch is passed in `KEYS`, so a client `keyPrefix`
 * and the store's `prefix` compose, and each script's comment says what its `KEYS` and `ARGV` are.
 * Times cross the boundary as epoch milliseconds (`PXAT`) or as the caller's seconds, as sent.
 *
 * The scripts that revoke publish the revocation key (as the store names it, without a client
 * `keyPrefix`) on the store's invalidation channel, inside the script, so that no revocation is
 * ever written without its invalidation being sent: near-caches drop that key at once. An empty
 * channel publishes nothing.
 *
 * Internal to `authx-ts/redis`: not part of the package's exports.
 *
 * @packageDocumentation
 */
import { createHash } from 'node:crypto'

/** A Lua script with its SHA-1, so that it is sent once and then called by `EVALSHA`. */
export interface Script {
  /** The Lua source, sent by `EVAL` when the server does not know the SHA. */
  readonly source: string
  /** Its SHA-1 in hex, for `EVALSHA`. */
  readonly sha: string
}

/**
 * A script and its SHA-1, computed once at load.
 *
 * @param source - the Lua source
 */
function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') }
}

/**
 * Lua helper: whether KEYS[k] already lives at least until `at` ms. `PTTL` plus the server's
 * `TIME` (rather than `PEXPIRETIME`, Redis 7 only) so that an expiry is only ever extended:
 * a revocation must never be shortened by a later, shorter one (fail closed).
 */
const OUTLIVES = `
local function outlives(key, at)
  local ttl = redis.call('PTTL', key)
  if ttl == -1 then return true end
  if ttl < 0 then return false end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + ttl >= at
end
`

/** Lua helper: publishes `message` on `channel` unless the channel is empty. */
const INVALIDATE = `
local function invalidate(channel, message)
  if channel ~= '' then redis.call('PUBLISH', channel, message) end
end
`

/**
 * KEYS[1] revocation key; ARGV[1] expiry (ms), ARGV[2] invalidation channel, ARGV[3] the key's
 * name for it. Sets it, extending but never shortening.
 */
export const REVOKE = script(`${OUTLIVES}${INVALIDATE}
local at = tonumber(ARGV[1])
if outlives(KEYS[1], at) then return 0 end
redis.call('SET', KEYS[1], '1', 'PXAT', at)
invalidate(ARGV[2], ARGV[3])
return 1
`)

/**
 * KEYS[1] subject revocation; ARGV[1] `at` (seconds, as sent), ARGV[2] expiry (ms), ARGV[3]
 * invalidation channel, ARGV[4] the key's name for it. Keeps the latest `at` and the latest
 * expiry of all revocations of the subject.
 */
export const REVOKE_SUBJECT = script(`${OUTLIVES}${INVALIDATE}
local value = ARGV[1]
local current = redis.call('GET', KEYS[1])
if current and tonumber(current) > tonumber(value) then value = current end
local at = tonumber(ARGV[2])
if outlives(KEYS[1], at) then
  redis.call('SET', KEYS[1], value, 'KEEPTTL')
else
  redis.call('SET', KEYS[1], value, 'PXAT', at)
end
invalidate(ARGV[3], ARGV[4])
return 1
`)

/**
 * KEYS[1] family revocation, KEYS[2] used-token marker (both in one hash slot on a cluster);
 * ARGV[1] family expiry (ms), ARGV[2] invalidation channel, ARGV[3] the family key's name for it.
 * One script, so two instances racing on one refresh token see exactly one `ok`.
 */
export const USE_REFRESH = script(`${OUTLIVES}${INVALIDATE}
if redis.call('EXISTS', KEYS[1]) == 1 then return 'revoked' end
local at = tonumber(ARGV[1])
if redis.call('SET', KEYS[2], '1', 'NX', 'PXAT', at) then return 'ok' end
if not outlives(KEYS[1], at) then redis.call('SET', KEYS[1], '1', 'PXAT', at) end
invalidate(ARGV[2], ARGV[3])
return 'reused'
`)

/**
 * KEYS[1] the data-loss marker; ARGV[1] invalidation channel, ARGV[2] the marker's name for it.
 * Writes the server's time (seconds) unless the marker exists, announces it, and returns the
 * marker's value: two instances that find it missing at once agree on one time.
 */
export const MARK_LOSS = script(`${INVALIDATE}
local t = redis.call('TIME')
if redis.call('SET', KEYS[1], t[1], 'NX') then invalidate(ARGV[1], ARGV[2]) end
return redis.call('GET', KEYS[1])
`)

/**
 * KEYS[1] window hash; ARGV[1] now (seconds, as sent), ARGV[2] window (seconds), ARGV[3] window
 * (ms). A fixed window opened by the first hit: one counter per key whatever the traffic, where a
 * sliding log keeps one entry per hit (memory an attacker controls). The caller's clock decides
 * the window, the server's TTL only collects the key afterwards. Returns the count and the window
 * start as sent (a string: Lua numbers come back truncated to integers).
 */
export const HIT = script(`
local start = redis.call('HGET', KEYS[1], 's')
if start and tonumber(ARGV[1]) < tonumber(start) + tonumber(ARGV[2]) then
  return { redis.call('HINCRBY', KEYS[1], 'c', 1), start }
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 's', ARGV[1], 'c', 1)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return { 1, ARGV[1] }
`)

/**
 * KEYS[1] session, KEYS[2] the subject's index; ARGV[1] session JSON, ARGV[2] id, ARGV[3] expiry
 * (ms). The index lives as long as the longest session in it.
 */
export const SAVE_SESSION = script(`${OUTLIVES}
local at = tonumber(ARGV[3])
redis.call('SET', KEYS[1], ARGV[1], 'PXAT', at)
local keep = redis.call('EXISTS', KEYS[2]) == 1 and outlives(KEYS[2], at)
redis.call('SADD', KEYS[2], ARGV[2])
if not keep then redis.call('PEXPIREAT', KEYS[2], at) end
return 1
`)

/**
 * KEYS[1] the subject's index; ARGV[1] a session id, ARGV[2] its expiry (ms). On a cluster the
 * index and the record sit in different slots, so a save is two steps: this one first, then the
 * record. A crash between them leaves an id without a record, which listing drops; the other
 * order could leave a session that "end all sessions" does not find.
 */
export const INDEX_SESSION = script(`${OUTLIVES}
local at = tonumber(ARGV[2])
local keep = redis.call('EXISTS', KEYS[1]) == 1 and outlives(KEYS[1], at)
redis.call('SADD', KEYS[1], ARGV[1])
if not keep then redis.call('PEXPIREAT', KEYS[1], at) end
return 1
`)

/**
 * KEYS[1] the subject's index, KEYS[2..n] its sessions; ARGV the matching ids. Returns the
 * sessions still alive and drops the ids of the others from the index, in one atomic step.
 */
export const LIST_SESSIONS = script(`
local found = {}
for i = 2, #KEYS do
  local value = redis.call('GET', KEYS[i])
  if value then found[#found + 1] = value else redis.call('SREM', KEYS[1], ARGV[i - 1]) end
end
return found
`)

/**
 * KEYS[1] the subject's index, KEYS[2..n] its sessions; ARGV the matching ids. Deletes them and
 * removes exactly those ids from the index, so a session saved meanwhile stays listed.
 */
export const DELETE_SESSIONS = script(`
local deleted = 0
for i = 2, #KEYS do
  deleted = deleted + redis.call('DEL', KEYS[i])
  redis.call('SREM', KEYS[1], ARGV[i - 1])
end
return deleted
`)

/** KEYS[1] session, KEYS[2] the subject's index; ARGV[1] id. */
export const DELETE_SESSION = script(`
local deleted = redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
return deleted
`)

/**
 * KEYS[1] key ring hash (fields `version` and `document`); ARGV[1] the version the caller read
 * (0: none), ARGV[2] the new document. Writes it as the next version only if the stored version is
 * still the one read: one winner when instances race to rotate. Returns 1 when written, else 0.
 */
export const SWAP_KEY_RING = script(`
local current = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if current ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'version', current + 1, 'document', ARGV[2])
return 1
`)
