/**
 * Revocation: whether a verified token may still be used (the store's jti, session, family and
 * subject revocations, and the application's blocklist), and the writes that revoke. Runs after
 * the signature and the claims passed, and fails closed: a store or blocklist that cannot answer
 * is a 503, never a pass.
 *
 * @packageDocumentation
 */
import type { AuthXConfig } from '../config/index.ts'
import { RevokedTokenError, StoreUnavailableError } from '../errors.ts'
import { assertId } from '../stores/contract.ts'
import type { MemoryStore } from '../stores/memory.ts'
import type { Store } from '../stores/types.ts'
import type { TokenPayload } from '../token/payload.ts'
import { publishStoreUnavailable, refreshReuseChannel, tokenRevokedChannel } from './audit.ts'
import type { RefreshReuseDetectedEvent, TokenRevokedEvent } from './audit.ts'
import { familyDeadlineOf } from './derived.ts'
import type { TokenBlocklist } from './options.ts'
import { callStore, familyRevocationEnd, longestExpiry } from './retention.ts'

/** The instance's revocation state: its store, and the optional blocklist callback. */
export class Revocation {
  readonly #config: AuthXConfig
  readonly #store: Store
  /** The store must be asked on every verification (an explicit store, or rotation is on). */
  readonly #storeAlwaysConsulted: boolean
  /** The embedded default store, consulted once it holds any revocation. */
  readonly #embedded: MemoryStore | undefined
  #blocklist: TokenBlocklist | undefined

  /**
   * @param config - the instance's configuration
   * @param store - where revocations live
   * @param embedded - the same store when it is the embedded default (then it is consulted only
   *   once it holds a revocation, whoever wrote it, so stateless apps pay nothing)
   */
  constructor(config: AuthXConfig, store: Store, embedded: MemoryStore | undefined) {
    this.#config = config
    this.#store = store
    this.#embedded = embedded
    this.#storeAlwaysConsulted = embedded === undefined || config.refreshRotation !== null
  }

  /** Registers the application's revocation callback. */
  set blocklist(callback: TokenBlocklist) {
    this.#blocklist = callback
  }

  /** Whether verification must ask the store or the blocklist (and so cannot finish synchronously). */
  get consulted(): boolean {
    return this.#storeConsulted || this.#blocklist !== undefined
  }

  /**
   * Whether the token is known not to be revoked without waiting: no blocklist, and the store
   * answered from memory (`isRevokedSync`) that it is not. False means "ask with
   * {@link Revocation.check}", never "revoked".
   *
   * @param payload - a verified payload
   */
  passesSync(payload: TokenPayload): boolean {
    if (this.#blocklist !== undefined) return false
    if (!this.#storeConsulted) return true
    if (this.#store.isRevokedSync === undefined) return false
    try {
      const revoked = this.#store.isRevokedSync({
        jti: payload.jti,
        sub: payload.sub,
        iat: payload.iat,
        sid: payload.sid,
        fam: payload.fam,
      })
      return revoked === false
    } catch {
      // A query the store refuses is the awaited check's to report.
      return false
    }
  }

  /** Whether {@link Revocation.passesSync} can ever say yes while the store is consulted. */
  get answersSync(): boolean {
    return this.#blocklist === undefined && this.#store.isRevokedSync !== undefined
  }

  get #storeConsulted(): boolean {
    return this.#storeAlwaysConsulted || this.#embedded?.holdsRevocations === true
  }

  /**
   * Throws when the token is revoked. A revoked (or spent) refresh token presented anywhere means
   * a copy is in the wrong hands: its whole family is ended too, so a thief's branch dies.
   *
   * @param token - the compact token, for the blocklist
   * @param payload - its verified payload
   * @throws RevokedTokenError; StoreUnavailableError when the store or blocklist cannot answer
   */
  async check(token: string, payload: TokenPayload): Promise<void> {
    if (this.#storeConsulted) {
      let revoked: boolean
      try {
        revoked = await this.#store.isRevoked({
          jti: payload.jti,
          sub: payload.sub,
          iat: payload.iat,
          sid: payload.sid,
          fam: payload.fam,
        })
      } catch (cause) {
        const error = new StoreUnavailableError({ cause })
        publishStoreUnavailable('store', error)
        throw error
      }
      if (revoked) {
        if (payload.type === 'refresh') await this.#endReusedFamily(payload)
        throw new RevokedTokenError()
      }
    }
    if (this.#blocklist !== undefined) {
      let revoked: boolean
      try {
        revoked = await this.#blocklist(token, payload)
      } catch (cause) {
        // A blocklist that cannot answer must not let the token through (fail closed).
        const error = new StoreUnavailableError({
          cause,
          reason: 'token blocklist callback failed',
        })
        publishStoreUnavailable('blocklist', error)
        throw error
      }
      if (revoked) throw new RevokedTokenError()
    }
  }

  /**
   * Revokes one token by its `jti` until its own `exp`. Logging out with a refresh token ends its
   * login: if a thief rotated first, the client's token is already spent, and only ending the
   * family stops the thief's branch.
   *
   * @param payload - the verified token
   * @throws TypeError when it has no `jti`
   */
  async revoke(payload: TokenPayload): Promise<void> {
    const jti = payload.jti
    if (jti === undefined) throw new TypeError('the token has no jti and cannot be revoked by id')
    const until = payload.exp ?? longestExpiry(this.#config)
    await callStore(() => this.#store.revoke('jti', jti, until))
    publishRevoked('jti', jti, payload.sub, until)
    if (payload.type === 'refresh') await this.endFamily(payload)
  }

  /**
   * Revokes every token of a subject issued until now.
   *
   * @param sub - the subject
   */
  async revokeSubject(sub: string): Promise<void> {
    assertId('AuthX.revokeAllForSubject', 'sub', sub)
    const config = this.#config
    const now = config.clock()
    const until = longestExpiry(config)
    await callStore(() => this.#store.revokeSubject(sub, now, until))
    publishRevoked('subject', sub, sub, until)
  }

  /**
   * The refresh family of a payload: its `fam`, or under rotation its own jti for a token minted
   * before rotation was switched on (such a token starts a family of its own when refreshed).
   *
   * @param payload - a verified token
   */
  familyOf(payload: TokenPayload): string | undefined {
    if (payload.fam !== undefined || this.#config.refreshRotation === null) return payload.fam
    return payload.jti === undefined ? undefined : `jti:${payload.jti}`
  }

  /**
   * Revokes the family of a payload (no-op without one) until no token of it can live.
   *
   * @param payload - a verified token
   */
  async endFamily(payload: TokenPayload): Promise<void> {
    const family = this.familyOf(payload)
    if (family === undefined) return
    const deadline = familyDeadlineOf(payload) ?? payload.exp ?? longestExpiry(this.#config)
    const end = familyRevocationEnd(this.#config, deadline)
    await callStore(() => this.#store.revoke('fam', family, end))
    publishRevoked('family', family, payload.sub, end)
  }

  /** Ends the family of a revoked or spent refresh token presented again, and says so. */
  async #endReusedFamily(payload: TokenPayload): Promise<void> {
    const family = this.familyOf(payload)
    if (family !== undefined) publishReuse(family, payload)
    await this.endFamily(payload)
  }
}

/**
 * Publishes a revocation, if anyone listens.
 *
 * @param kind - what was revoked
 * @param id - the token id, subject or family
 * @param sub - the subject, when known
 * @param until - when the revocation may be forgotten
 */
function publishRevoked(
  kind: TokenRevokedEvent['kind'],
  id: string,
  sub: string | undefined,
  until: number,
): void {
  if (!tokenRevokedChannel.hasSubscribers) return
  const event: TokenRevokedEvent = { kind, id, sub, until }
  tokenRevokedChannel.publish(event)
}

/**
 * Publishes a refresh-token reuse, if anyone listens.
 *
 * @param family - the family being ended
 * @param payload - the refresh token presented again
 */
export function publishReuse(family: string, payload: TokenPayload): void {
  if (!refreshReuseChannel.hasSubscribers) return
  const event: RefreshReuseDetectedEvent = { fam: family, sub: payload.sub, jti: payload.jti }
  refreshReuseChannel.publish(event)
}
