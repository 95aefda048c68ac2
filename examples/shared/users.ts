/**
 * The seed's sample users, with passwords kept as argon2id hashes made at start-up (never
 * compared in plain text). A real application loads users from its database.
 */
import { hash, verify } from '@node-rs/argon2'

/** A user of the sample database. */
export interface User {
  username: string
  email: string
  passwordHash: string
}

const SEED_USERS = [
  { username: 'user1', password: 'password1', email: 'user1@example.com' },
  { username: 'user2', password: 'password2', email: 'user2@example.com' },
]

/** The sample user database: lookup by name and credential check. */
export interface UserDatabase {
  find(username: string): User | undefined
  checkCredentials(username: unknown, password: unknown): Promise<User | undefined>
}

/** Hashes the seed users' passwords and returns the database. */
export async function createUserDatabase(): Promise<UserDatabase> {
  const users = new Map<string, User>()
  for (const { username, password, email } of SEED_USERS) {
    users.set(username, { username, email, passwordHash: await hash(password) })
  }
  // Unknown users are checked against a dummy hash so both paths cost the same time.
  const dummyHash = await hash('not-a-real-password')
  return {
    find: (username) => users.get(username),
    async checkCredentials(username, password) {
      if (typeof username !== 'string' || typeof password !== 'string') return undefined
      const user = users.get(username)
      const ok = await verify(user?.passwordHash ?? dummyHash, password)
      return ok && user !== undefined ? user : undefined
    },
  }
}

/**
 * The signing secret: `JWT_SECRET_KEY`, or a random one for local development (tokens then die
 * with the process, and a warning says so).
 */
export function secretFromEnv(log: (message: string) => void = console.warn): string {
  const secret = process.env.JWT_SECRET_KEY
  if (secret !== undefined && secret !== '') return secret
  log(
    'JWT_SECRET_KEY is not set: using a random DEVELOPMENT secret. Tokens will not survive a restart. ' +
      'Set JWT_SECRET_KEY (at least 32 random bytes) in production.',
  )
  return crypto.getRandomValues(Buffer.alloc(48)).toString('base64url')
}
