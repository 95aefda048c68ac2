/**
 * Login sessions tied to tokens: a session id (`sid` claim) goes into the tokens of a login, so
 * revoking the session rejects them (AuthX kept sessions and tokens unrelated).
 *
 * @packageDocumentation
 */
import { randomUUID } from 'node:crypto'
import { sessionCreatedChannel, sessionRevokedChannel } from '../core/audit.ts'
import type { SessionCreatedEvent, SessionRevokedEvent } from '../core/audit.ts'
import type { Engine } from '../core/engine.ts'
import { callStore, longestExpiry } from '../core/retention.ts'
import { assertId } from '../stores/contract.ts'
import type { SessionRecord } from '../stores/types.ts'

/** What is recorded with a new session. */
export interface CreateSessionOptions {
  /** Client address. */
  ip?: string | undefined
  /** Client user agent. */
  userAgent?: string | undefined
  /** Application data (device name...). */
  data?: Record<string, unknown> | undefined
  /** Session lifetime in seconds. @defaultValue the refresh-token lifetime */
  expiresIn?: number | undefined
}

/**
 * A new session record, with only the client details that are known.
 *
 * @param sub - the subject
 * @param now - current time in seconds
 * @param lifetime - seconds until the session ends
 * @param options - client details
 */
export function newSession(
  sub: string,
  now: number,
  lifetime: number,
  options: CreateSessionOptions,
): SessionRecord {
  // Absent details are left out rather than set to undefined: a JSON store (Redis) drops such
  // members, and the record must read back the same from every store.
  return {
    id: randomUUID(),
    sub,
    createdAt: now,
    lastActive: now,
    expiresAt: now + lifetime,
    ...(options.ip === undefined ? {} : { ip: options.ip }),
    ...(options.userAgent === undefined ? {} : { userAgent: options.userAgent }),
    ...(options.data === undefined ? {} : { data: options.data }),
  }
}

/** Sessions last as long as refresh tokens; this when refresh tokens never expire (20 days). */
const DEFAULT_SESSION_SECONDS = 20 * 86_400

/**
 * Starts a login session.
 *
 * @param engine - the instance's engine
 * @param sub - the subject
 * @param options - client details and lifetime
 */
export async function createSession(
  engine: Engine,
  sub: string,
  options: CreateSessionOptions,
): Promise<SessionRecord> {
  assertId('AuthX.createSession', 'sub', sub)
  const { config, store } = engine
  const lifetime = options.expiresIn ?? config.refreshTokenExpires ?? DEFAULT_SESSION_SECONDS
  const session = newSession(sub, config.clock(), lifetime, options)
  await callStore(() => store.saveSession(session))
  if (sessionCreatedChannel.hasSubscribers) {
    const event: SessionCreatedEvent = {
      id: session.id,
      sub,
      expiresAt: session.expiresAt,
      ip: session.ip,
      userAgent: session.userAgent,
    }
    sessionCreatedChannel.publish(event)
  }
  return session
}

/**
 * A session by id, or null.
 *
 * @param engine - the instance's engine
 * @param id - the session id
 */
export async function getSession(engine: Engine, id: string): Promise<SessionRecord | null> {
  assertId('AuthX.getSession', 'id', id)
  return callStore(() => engine.store.getSession(id))
}

/**
 * The live sessions of a subject.
 *
 * @param engine - the instance's engine
 * @param sub - the subject
 */
export async function listSessions(engine: Engine, sub: string): Promise<SessionRecord[]> {
  assertId('AuthX.listSessions', 'sub', sub)
  return callStore(() => engine.store.listSessions(sub))
}

/**
 * Ends a session: it is deleted and every token carrying its `sid` is rejected from now on (for
 * as long as any of them could live).
 *
 * @param engine - the instance's engine
 * @param id - the session id
 * @returns whether the session existed
 */
export async function revokeSession(engine: Engine, id: string): Promise<boolean> {
  assertId('AuthX.revokeSession', 'id', id)
  const { config, store } = engine
  const session = await getSession(engine, id)
  const until = Math.max(session?.expiresAt ?? 0, longestExpiry(config))
  await callStore(() => store.revoke('sid', id, until))
  const existed = await callStore(() => store.deleteSession(id))
  publishSessionRevoked(id, session?.sub)
  return existed
}

/**
 * Ends every session of a subject.
 *
 * @param engine - the instance's engine
 * @param sub - the subject
 * @returns how many sessions ended
 */
export async function revokeAllSessions(engine: Engine, sub: string): Promise<number> {
  assertId('AuthX.revokeAllSessions', 'sub', sub)
  const { config, store } = engine
  for (const session of await listSessions(engine, sub)) {
    const until = Math.max(session.expiresAt, longestExpiry(config))
    await callStore(() => store.revoke('sid', session.id, until))
    publishSessionRevoked(session.id, sub)
  }
  return callStore(() => store.deleteSessions(sub))
}

/**
 * Publishes the end of a session, if anyone listens.
 *
 * @param id - the session id
 * @param sub - its subject, when the session was still stored
 */
function publishSessionRevoked(id: string, sub: string | undefined): void {
  if (!sessionRevokedChannel.hasSubscribers) return
  const event: SessionRevokedEvent = { id, sub }
  sessionRevokedChannel.publish(event)
}

/**
 * Records activity on a session (a refresh of one of its tokens), if it still exists.
 *
 * @param engine - the instance's engine
 * @param id - the session id
 */
export async function touchSession(engine: Engine, id: string): Promise<void> {
  const session = await getSession(engine, id)
  if (session === null) return
  const touched = { ...session, lastActive: engine.config.clock() }
  await callStore(() => engine.store.saveSession(touched))
}
