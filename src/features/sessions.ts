/**
 * Login sessions tied to tokens: a session id (`sid` claim) goes into the tokens of a login, so
 * revoking the session rejects them (AuthX kept sessions and tokens unrelated).
 */
import { randomUUID } from 'node:crypto'
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
