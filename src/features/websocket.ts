/**
 * WebSocket authentication as AuthX does it: browsers cannot set headers on a WebSocket, so the
 * token comes from the query parameter (`queryStringName`) first, then the header (scheme
 * stripped), whatever `tokenLocation` says; access tokens only; revocation applies; no CSRF (an
 * upgrade carries no cookie token by this rule).
 *
 * @packageDocumentation
 */
import type { GuardOptions } from '../core/options.ts'

/** What a WebSocket upgrade must carry: the guard options every binding's WebSocket guard uses. */
export const WEBSOCKET_GUARD: Readonly<GuardOptions> = Object.freeze({
  type: 'access',
  locations: Object.freeze(['query', 'headers'] as const),
  verifyCsrf: false,
})
