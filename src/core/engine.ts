/**
 * The engine: the narrow interface every feature works over. It holds the instance's frozen
 * configuration, its store, and the three core services (minting, synchronous verification,
 * revocation), and adds the two operations most features need on top of them: verification with
 * revocation, and the cookies of a token.
 *
 * @packageDocumentation
 */
import type { AuthXConfig } from '../config/index.ts'
import type { RequestToken, TokenExtractor } from '../request/extract.ts'
import { tokenCookies } from '../response/cookies.ts'
import type { SetCookie } from '../response/cookies.ts'
import type { MemoryStore } from '../stores/memory.ts'
import type { Store } from '../stores/types.ts'
import type { KeySet } from '../token/key-set.ts'
import type { CustomClaims, TokenPayload } from '../token/payload.ts'
import type { TokenType } from '../types.ts'
import { keySetFor } from './key-source.ts'
import { TokenMinter } from './mint.ts'
import type { VerifyOptions } from './options.ts'
import { Revocation } from './revocation.ts'
import { TokenVerifier } from './verifier.ts'

/** The services of one AuthX instance, shared by the core pipeline and every feature. */
export class Engine {
  /** The validated, frozen configuration. */
  readonly config: AuthXConfig
  /** Where revocations, refresh families, sessions and rate limits live. */
  readonly store: Store
  /** Creates the instance's tokens. */
  readonly mint: TokenMinter
  /** Verifies tokens without the store. */
  readonly verifier: TokenVerifier
  /** Revocation checks and writes. */
  readonly revocation: Revocation
  /** Where verification keys come from. */
  readonly keys: KeySet
  /** The instance's custom token extractor (`setTokenExtractor`), consulted before the locations. */
  tokenExtractor: TokenExtractor | undefined

  /**
   * @param config - the resolved configuration
   * @param store - the store
   * @param embedded - the same store when it is the embedded default, else undefined
   * @param keys - the key set; the configured keys by default
   */
  constructor(
    config: AuthXConfig,
    store: Store,
    embedded: MemoryStore | undefined,
    keys: KeySet = keySetFor(config, store),
  ) {
    this.config = config
    this.store = store
    this.mint = new TokenMinter(config, keys.signingKey?.bind(keys))
    this.keys = keys
    this.verifier = new TokenVerifier(config, keys)
    this.revocation = new Revocation(config, store, embedded)
  }

  /**
   * Verifies a token and checks that it is not revoked. Skips the await entirely when nothing can
   * be revoked, which saves a promise and a tick per call.
   *
   * @param token - a compact JWS or a token found in a request
   * @param options - what to check
   */
  async verify<Extra extends CustomClaims = CustomClaims>(
    token: string | RequestToken,
    options: VerifyOptions = {},
  ): Promise<TokenPayload<Extra>> {
    let payload = this.verifier.verify<Extra>(token, options)
    if (payload instanceof Promise) payload = await payload
    if (this.revocation.consulted)
      await this.revocation.check(typeof token === 'string' ? token : token.token, payload)
    return payload
  }

  /**
   * The Set-Cookie values that store a token and its CSRF cookie. The CSRF cookie carries the
   * token's own claim, so the token is verified to read it.
   *
   * @param type - access or refresh
   * @param token - a token of this instance
   * @param maxAge - seconds, null for a session cookie, undefined for `cookieMaxAge`
   */
  cookies(type: TokenType, token: string, maxAge: number | null | undefined): SetCookie[] {
    const config = this.config
    const csrf =
      config.cookieCsrfProtect && config.csrfInCookies
        ? (this.verifier.verifySync(token, { type, verifyCsrf: false }).csrf ?? '')
        : ''
    return tokenCookies(config, type, token, csrf, maxAge)
  }
}
