/**
 * Runs the command line as a user does, in a child process: from the TypeScript sources through
 * tsx, or from the built `dist/` as the installed package runs it. Asynchronous, so that a test
 * may serve a JWK Set from its own process while the command fetches it.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository's root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** The entry of the command line in the sources and in the build. */
export const ENTRIES = {
  src: join(ROOT, 'src', 'cli', 'main.ts'),
  dist: join(ROOT, 'dist', 'cli', 'main.js'),
} as const

/** What a run printed and how it ended. */
export interface CLIResult {
  readonly status: number | null
  readonly stdout: string
  readonly stderr: string
}

/** How to run it. */
export interface RunOptions {
  /** What standard input holds; nothing (an empty, closed input) by default. */
  readonly input?: string
  /** Extra environment variables. `JWT_KEY_ENCRYPTION_KEY` is unset unless given here. */
  readonly env?: Record<string, string>
  /** The sources (default) or the build. */
  readonly entry?: keyof typeof ENTRIES
}

/**
 * Runs `authx-ts <args>` and resolves once it exits.
 *
 * @param args - the arguments after the program's name
 * @param options - input, environment and which entry
 */
export async function runCLI(
  args: readonly string[],
  options: RunOptions = {},
): Promise<CLIResult> {
  const entry = options.entry ?? 'src'
  const loader = entry === 'src' ? ['--import', 'tsx'] : []
  const env: Record<string, string | undefined> = { ...process.env, ...options.env }
  if (options.env?.JWT_KEY_ENCRYPTION_KEY === undefined) delete env.JWT_KEY_ENCRYPTION_KEY
  const child = spawn(process.execPath, [...loader, ENTRIES[entry], ...args], {
    cwd: ROOT,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  child.stdin.end(options.input ?? '')
  const [status] = (await once(child, 'close')) as [number | null]
  return { status, stdout, stderr }
}

/** Whether a text holds a stack trace's frames. */
export function hasStack(text: string): boolean {
  return /^\s+at .+[(:]\d+/m.test(text)
}
