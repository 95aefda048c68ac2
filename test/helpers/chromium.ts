/**
 * Chromium for the browser tests: Debian's `chromium` found on the PATH, driven by
 * playwright-core (which brings no browser of its own). Every launch gets a fresh profile in a
 * temporary directory, removed on close, so no cookie or cache survives from one run to the next.
 */
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { chromium } from 'playwright-core'
import type { BrowserContext } from 'playwright-core'

/**
 * Flags for a quiet, reproducible headless run: no sandbox (CI containers run as root), no GPU,
 * and none of the background traffic (updates, sync, QUIC probes) that would make a run depend on
 * the network.
 */
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/**
 * The `chromium` executable on the PATH.
 *
 * @throws Error naming the Debian package when there is none: a browser test must fail, never
 *   skip, where the browser is missing
 */
export function findChromium(): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue
    const candidate = join(dir, 'chromium')
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not in this directory
    }
  }
  throw new Error(
    'chromium was not found on the PATH. The browser tests drive the Debian package: ' +
      'apt-get install -y chromium',
  )
}

/** A running browser with its one context. */
export interface Chromium {
  /** The browser context (one profile, its cookie jar). */
  readonly context: BrowserContext
  /** Closes the browser and deletes its profile. */
  close(): Promise<void>
}

/**
 * Starts Chromium headless with a fresh profile.
 *
 * @param options - the viewport (screenshots choose theirs)
 * @throws Error naming the Debian package when chromium is not installed
 */
export async function launchChromium(
  options: { viewport?: { width: number; height: number } } = {},
): Promise<Chromium> {
  const executablePath = findChromium()
  const profile = mkdtempSync(join(tmpdir(), 'authx-chromium-'))
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      args: ARGS,
      viewport: options.viewport ?? { width: 1000, height: 800 },
    })
    return {
      context,
      async close() {
        await context.close()
        rmSync(profile, { recursive: true, force: true })
      },
    }
  } catch (error) {
    rmSync(profile, { recursive: true, force: true })
    throw error
  }
}
