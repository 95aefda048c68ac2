/**
 * The Redis store behind `jwks --redis` and `rotate`: connected for one command and closed after
 * it. ioredis is an optional peer dependency, so the store is loaded only when a command needs it;
 * without it, the other commands still work and these ones say what to install.
 *
 * @packageDocumentation
 */
import type { RedisStore } from '../stores/redis.ts'
import { stringValue } from './args.ts'
import type { OptionSpecs, OptionValues } from './args.ts'
import { CommandFailure, UsageError } from './io.ts'

/** The options that say where a key ring is: `--redis`, `--ring`, `--prefix`. */
export const RING_OPTIONS: OptionSpecs = {
  redis: { type: 'string' },
  ring: { type: 'string' },
  prefix: { type: 'string' },
}

/** Where a key ring lives. */
export interface RingLocation {
  readonly url: string
  /** The ring's name (`keyRing.name`). */
  readonly name: string
  /** The store's key prefix (`RedisStore`'s `prefix`); undefined for the store's default. */
  readonly prefix: string | undefined
}

/**
 * The ring's location from the options.
 *
 * @param values - the parsed options
 * @throws UsageError without `--redis`
 */
export function ringLocation(values: OptionValues): RingLocation {
  const url = stringValue(values, 'redis')
  if (url === undefined) throw new UsageError('--redis URL is required')
  return {
    url,
    name: stringValue(values, 'ring') ?? 'default',
    prefix: stringValue(values, 'prefix'),
  }
}

/** The location in words, for messages: the URL without its credentials. */
export function describeRing(location: RingLocation): string {
  let where: string
  try {
    const url = new URL(location.url)
    if (url.username !== '') url.username = '***'
    if (url.password !== '') url.password = '***'
    where = url.toString()
  } catch {
    // Not a URL: whatever precedes an "@" could be credentials.
    where = location.url.slice(location.url.lastIndexOf('@') + 1)
  }
  const prefix = location.prefix === undefined ? '' : `, prefix "${location.prefix}"`
  return `key ring "${location.name}" at ${where}${prefix}`
}

/** Whether loading the store failed because ioredis is not installed. */
function isMissingIoredis(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown }
  return (
    code === 'ERR_MODULE_NOT_FOUND' && typeof message === 'string' && message.includes('ioredis')
  )
}

/**
 * Runs `use` with a store connected to the ring's Redis, and closes the connection after it,
 * whatever happened.
 *
 * @param location - where the ring lives
 * @param use - what to do with the store
 * @throws CommandFailure when ioredis is missing or Redis cannot be reached
 */
export async function withRedisStore<T>(
  location: RingLocation,
  use: (store: RedisStore) => Promise<T>,
): Promise<T> {
  let store: RedisStore
  try {
    // The store module loads ioredis itself, when it first connects.
    const { createRedisStore } = await import('../stores/redis.ts')
    store = await createRedisStore(
      location.url,
      location.prefix === undefined ? {} : { prefix: location.prefix },
    )
  } catch (error) {
    if (isMissingIoredis(error)) {
      throw new CommandFailure('--redis needs the ioredis package: npm install ioredis')
    }
    if (error instanceof TypeError) throw new UsageError(error.message)
    throw new CommandFailure(error instanceof Error ? error.message : String(error))
  }
  try {
    return await use(store)
  } finally {
    store.close()
    store.client.disconnect()
  }
}
