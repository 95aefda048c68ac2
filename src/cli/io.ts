/**
 * What every command of the command line shares: the streams it talks through, the two ways it
 * fails (a usage error, exit code 2, and a failure of what was asked, exit code 1) and reading a
 * value that may come from a file, an argument or standard input.
 *
 * @packageDocumentation
 */
import { readFile } from 'node:fs/promises'

/** The streams and environment a command uses, passed in so that a command never reaches for globals. */
export interface CommandIO {
  /** Writes to standard output. */
  readonly out: (text: string) => void
  /** Writes to standard error. */
  readonly err: (text: string) => void
  /** Reads all of standard input, or rejects when it is a terminal (nothing was piped in). */
  readonly readStdin: () => Promise<string>
  /** The environment (`JWT_KEY_ENCRYPTION_KEY`). */
  readonly env: Readonly<Record<string, string | undefined>>
}

/** The exit code of a run that did what was asked. */
export const EXIT_OK = 0
/** The exit code of a failure of what was asked: a token that does not verify, a store that fails. */
export const EXIT_FAILURE = 1
/** The exit code of a command that was misused or given unreadable input. */
export const EXIT_USAGE = 2

/**
 * A command used wrongly, or given input it cannot read (an unknown option, a malformed token, a
 * file that holds no key): reported as its message alone, exit code 2.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError'
  /** Always {@link EXIT_USAGE}. */
  readonly exitCode = EXIT_USAGE
}

/**
 * What was asked could not be done (no key ring in the store, the store unreachable): reported as
 * its message alone, exit code 1.
 */
export class CommandFailure extends Error {
  override readonly name = 'CommandFailure'
  /** Always {@link EXIT_FAILURE}. */
  readonly exitCode = EXIT_FAILURE
}

/**
 * Reads a text file, turning a missing or unreadable file into a {@link UsageError} that names it.
 *
 * @param path - the file, or `-` for standard input
 * @param io - the command's streams
 * @throws UsageError when the file cannot be read
 */
export async function readText(path: string, io: CommandIO): Promise<string> {
  if (path === '-') return io.readStdin()
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    const code = (error as { code?: unknown }).code
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a directory' : code
    throw new UsageError(`cannot read ${path}: ${typeof why === 'string' ? why : 'unreadable'}`)
  }
}

/**
 * The one token a command works on: its positional argument, or standard input when it is `-` or
 * absent. Surrounding blanks and an `Authorization`-style `Bearer ` prefix are dropped, so that a
 * header value can be pasted as it is.
 *
 * @param positionals - the command's positional arguments
 * @param io - the command's streams
 * @throws UsageError when there is more than one argument, or no token at all
 */
export async function readToken(positionals: readonly string[], io: CommandIO): Promise<string> {
  if (positionals.length > 1) throw new UsageError('expected one token, got several arguments')
  const given = positionals[0]
  const text = given === undefined || given === '-' ? await io.readStdin() : given
  const token = text.trim().replace(/^bearer\s+/i, '')
  if (token === '') throw new UsageError('no token: pass it as an argument or on standard input')
  return token
}

/**
 * JSON as the commands print it: two-space indentation and a final newline.
 *
 * @param value - what to print
 */
export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`
}
