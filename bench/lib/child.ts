/**
 * Child processes of the benchmark: every server, the load generator and the micro and memory
 * runs live in their own Node process, started with the tsx loader from the repository root.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess, StdioOptions } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

/** The repository root (bench/lib/../..). */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/**
 * Spawns `node [nodeFlags] --import tsx <script> [args]` from the repository root.
 *
 * @param script - path from the root
 * @param args - script arguments
 * @param options - extra Node flags and stdio
 */
export function spawnTsx(
  script: string,
  args: readonly string[] = [],
  options: { nodeFlags?: readonly string[]; stdio?: StdioOptions } = {},
): ChildProcess {
  return spawn(
    process.execPath,
    [...(options.nodeFlags ?? []), '--import', 'tsx', script, ...args],
    { cwd: ROOT, stdio: options.stdio ?? ['ignore', 'pipe', 'inherit'] },
  )
}

/**
 * The first stdout line of a child, parsed as JSON (servers announce their port this way).
 *
 * @param child - a child with piped stdout
 * @param timeoutMs - how long to wait
 */
export function firstJSONLine(child: ChildProcess, timeoutMs = 30_000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    if (child.stdout === null) {
      reject(new Error('child has no stdout'))
      return
    }
    const lines = createInterface({ input: child.stdout })
    const timer = setTimeout(() => {
      lines.close()
      reject(new Error('timed out waiting for the child'))
    }, timeoutMs)
    lines.once('line', (line) => {
      clearTimeout(timer)
      lines.close()
      try {
        resolve(JSON.parse(line))
      } catch {
        reject(new Error(`unexpected output: ${line.slice(0, 200)}`))
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`child exited with ${String(code)} before answering`))
    })
  })
}

/**
 * Runs a child to completion and parses the last stdout line as JSON.
 *
 * @param script - path from the root
 * @param args - script arguments
 * @param nodeFlags - extra Node flags (`--expose-gc`...)
 */
export function runJSONChild(
  script: string,
  args: readonly string[],
  nodeFlags: readonly string[] = [],
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = spawnTsx(script, args, { nodeFlags })
    let out = ''
    child.stdout?.setEncoding('utf8')
    child.stdout?.on('data', (chunk: string) => {
      out += chunk
    })
    child.once('error', reject)
    child.once('exit', (code) => {
      const last = out.trim().split('\n').pop() ?? ''
      if (code !== 0) {
        reject(new Error(`${script} exited with ${String(code)}`))
        return
      }
      try {
        resolve(JSON.parse(last))
      } catch {
        reject(new Error(`${script}: no JSON result`))
      }
    })
  })
}

/**
 * Stops a child we started and waits for it to exit.
 *
 * @param child - the child
 */
export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    child.once('exit', () => resolve())
    child.kill('SIGTERM')
  })
}
