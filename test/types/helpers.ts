/**
 * Type-level assertions for the compile-only tests in this folder. `tsc --noEmit` (part of
 * `npm test`) checks them; nothing here runs.
 *
 * @packageDocumentation
 */

/**
 * `true` when `A` and `B` are the same type, not merely assignable one way: the comparison of two
 * deferred conditional types is how TypeScript itself tells identical types apart, so `any`,
 * `unknown` and optional members do not slip through.
 */
export type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false

/** Compiles only when given `true`: `export type _ = Expect<Equal<A, B>>`. */
export type Expect<T extends true> = T
