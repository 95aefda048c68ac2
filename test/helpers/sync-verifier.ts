/**
 * A JWS verifier for tests whose keys are configured (a static set): its verdict must be
 * synchronous, so a promise is a defect, reported as such instead of typed away.
 */
import { JWSVerifier } from '../../src/token/jws.ts'
import type { VerifiedJWS } from '../../src/token/jws.ts'

/** {@link JWSVerifier} whose `verify` is typed, and checked, as synchronous. */
export class SyncJWSVerifier extends JWSVerifier {
  /**
   * @param token - the compact JWS
   * @throws Error when the key set answered with a promise
   */
  override verify(token: string): VerifiedJWS {
    const result = super.verify(token)
    if (result instanceof Promise) throw new Error('a static key set answered asynchronously')
    return result
  }
}
