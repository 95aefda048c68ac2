/**
 * The route metadata keys of the NestJS binding, shared by the decorators that write them and
 * the guards and OpenAPI walk that read them.
 */

/** `@Public()`: the global guard lets the route through. */
export const PUBLIC_KEY = 'authx:public'

/** `@Scopes()` and `@AnyScope()`: the scopes the route requires. */
export const SCOPES_KEY = 'authx:scopes'

/** `@Policy()`: the action and resource the policy engine must allow. */
export const POLICY_KEY = 'authx:policy'
