/**
 * The quickstarts' store: a `RedisStore` on `$REDIS_URL` when it is set, else none (each app then
 * uses the embedded MemoryStore). A Redis that cannot be reached stops the process with one line
 * that names the URL, without its credentials, and the reason, instead of a stack trace.
 */
import { createRedisStore } from 'authx-ts/redis'
import type { RedisStore } from 'authx-ts/redis'

/**
 * Connects to `$REDIS_URL`, or returns undefined when it is not set.
 *
 * @param app - the program's name, the prefix of the error line
 * @param env - the environment to read
 * @returns the store, or undefined for the embedded MemoryStore
 */
export async function storeFromEnv(
  app: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RedisStore | undefined> {
  const url = env.REDIS_URL
  if (url === undefined || url === '') return undefined
  let store: RedisStore
  try {
    store = await createRedisStore(url)
  } catch (error) {
    console.error(`${app}: ${error instanceof Error ? error.message : String(error)}`)
    process.exit(1)
  }
  // During a Redis outage requests fail closed with 503; log the client's errors instead of
  // letting ioredis report them as unhandled.
  store.client.on('error', (error: Error) => console.warn(`redis: ${error.message}`))
  return store
}
