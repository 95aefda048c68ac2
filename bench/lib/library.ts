/**
 * The library under test, loaded either from the compiled build (`AUTHX_BENCH_LIB` names its
 * directory; `bench/run.ts` sets it, see `build.ts`) or, without it, from src/ through tsx.
 * Types always come from src/.
 */
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type * as AuthXModule from '../../src/authx.ts'
import type * as MemoryModule from '../../src/stores/memory.ts'

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
export const { MemoryStore } = await loadModule<typeof MemoryModule>('stores/memory.ts')
