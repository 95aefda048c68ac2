/**
 * Configuration: the public options (`options.ts`), the option table (`schema.ts`) that drives
 * validation (`resolve.ts`), `configFromEnv` (`env.ts`) and the docs' tables, and key building
 * (`keys.ts`). Every AuthX option `JWT_FOO_BAR` is the option `fooBar` here.
 */
export { configFromEnv } from './env.ts'
export { TOKEN_LOCATIONS } from './options.ts'
export type { AuthXOptions, Duration, KeyRingOptions, SameSite } from './options.ts'
export type { ResolvedKeyRing } from './key-ring.ts'
export { resolveConfig } from './resolve.ts'
export type { AuthXConfig } from './resolve.ts'
