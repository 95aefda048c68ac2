/**
 * `TokenPayload<Extra>`: custom claims typed on the payload itself and under `extra`, reserved
 * claims and helpers typed whatever `Extra` is, and custom claims read-only.
 *
 * @packageDocumentation
 */
import type { CustomClaims, TokenPayload } from 'authx-ts'
import type { Equal, Expect } from './helpers.ts'

// A type alias, not an interface: `Extra` extends `Record<string, unknown>`, which an interface
// (no implicit index signature) does not satisfy.
type Claims = {
  role: 'admin' | 'user'
  tenant: number
  tags?: string[]
}
type Typed = TokenPayload<Claims>

export type CustomClaimsTyped = [
  Expect<Equal<Typed['role'], 'admin' | 'user'>>,
  Expect<Equal<Typed['tenant'], number>>,
  Expect<Equal<Typed['tags'], string[] | undefined>>,
  Expect<Equal<Typed['extra'], Claims>>,
]

export type ReservedClaimsTyped = [
  Expect<Equal<Typed['sub'], string>>,
  Expect<Equal<Typed['jti'], string | undefined>>,
  Expect<Equal<Typed['type'], string | undefined>>,
  Expect<Equal<Typed['fresh'], boolean>>,
  Expect<Equal<Typed['csrf'], string | undefined>>,
  Expect<Equal<Typed['iat'], number | undefined>>,
  Expect<Equal<Typed['exp'], number | undefined>>,
  Expect<Equal<Typed['nbf'], number | undefined>>,
  Expect<Equal<Typed['iss'], string | undefined>>,
  Expect<Equal<Typed['aud'], string | string[] | undefined>>,
  Expect<Equal<Typed['scopes'], string[] | undefined>>,
  Expect<Equal<ReturnType<Typed['hasScopes']>, boolean>>,
  Expect<Equal<ReturnType<Typed['timeUntilExpiry']>, number | null>>,
  Expect<Equal<Typed['expiresAt'], Date | null>>,
  Expect<Equal<Typed['issuedAt'], Date | null>>,
]

/** Without a type argument every custom claim is `unknown`, and the reserved ones stay typed. */
export type DefaultPayload = [
  Expect<Equal<TokenPayload, TokenPayload<CustomClaims>>>,
  Expect<Equal<TokenPayload['anything'], unknown>>,
  Expect<Equal<TokenPayload['sub'], string>>,
  Expect<Equal<TokenPayload['exp'], number | undefined>>,
]

/** What must not compile. */
export function misuse(payload: Typed): void {
  // @ts-expect-error a claim `Claims` does not declare
  void payload.department
  // @ts-expect-error custom claims are read-only
  payload.role = 'admin'
  // @ts-expect-error reserved claims are read-only
  payload.sub = 'mallory'
}

/** A claim typed as a union of literals is that union, not `string` and not one of them. */
export function literalClaim(payload: Typed): void {
  // @ts-expect-error `role` may be 'user'
  const role: 'admin' = payload.role
  void role
}
