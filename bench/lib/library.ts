/**
 * The library under test, loaded either from the compiled build (`AUTHX_BENCH_LIB` names its
 * directory; `bench/run.ts` sets it, see `build.ts`) or, without it, from src/ through tsx.
 * Types always come from src/.
 */
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type * as AuthXModule from '../../src/authx.ts'
import type * as ClaimsModule from '../../src/token/claims.ts'
import type * as JWSModule from '../../src/token/jws.ts'
import type * as PayloadModule from '../../src/token/payload.ts'
import type * as MemoryModule from '../../src/stores/memory.ts'
import type * as CacheModule from '../../src/features/token-cache.ts'

/** The compiled library's directory, when the benchmark runs on it. */
export const LIBRARY_DIR = process.env.AUTHX_BENCH_LIB

/**
 * Imports one module of the library.
 *
 * @param path - path under src/, with its `.ts` extension
 */
export async function loadModule<T>(path: string): Promise<T> {
  const url =
    LIBRARY_DIR === undefined || LIBRARY_DIR === ''
      ? new URL(`../../src/${path}`, import.meta.url).href
      : pathToFileURL(join(LIBRARY_DIR, path.replace(/\.ts$/, '.js'))).href
  return (await import(url)) as T
}

export const { AuthX } = await loadModule<typeof AuthXModule>('authx.ts')
export const { validateClaims } = await loadModule<typeof ClaimsModule>('token/claims.ts')
export const { JWSVerifier } = await loadModule<typeof JWSModule>('token/jws.ts')
export const { TokenPayloadImpl } = await loadModule<typeof PayloadModule>('token/payload.ts')
export const { MemoryStore } = await loadModule<typeof MemoryModule>('stores/memory.ts')
export const { VerifiedTokenCache } =
  await loadModule<typeof CacheModule>('features/token-cache.ts')
