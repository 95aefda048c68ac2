/**
 * The install step of `npm start` and `npm test` (`scripts/ensure-installed.mjs`): when does it
 * decide that `node_modules` must be installed from the lockfile? Each case is a small project in
 * a temporary directory, judged with `--check`, which reports without installing anything.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, describe, test } from 'node:test'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const SCRIPT = join(ROOT, 'scripts', 'ensure-installed.mjs')

interface LockEntry {
  version?: string
  optional?: boolean
}

const dirs: string[] = []
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

/**
 * A project whose lockfile pins `pinned` and whose node_modules holds `installed` (null: no
 * node_modules at all). Every installed package gets its folder unless listed in `missingDirs`.
 */
function project(
  pinned: Record<string, LockEntry>,
  installed: Record<string, LockEntry> | null,
  missingDirs: readonly string[] = [],
): string {
  const dir = mkdtempSync(join(tmpdir(), 'authx-ts-install-'))
  dirs.push(dir)
  const lock = (packages: Record<string, LockEntry>): string =>
    JSON.stringify({ name: 'app', lockfileVersion: 3, packages: { '': {}, ...packages } })
  writeFileSync(join(dir, 'package-lock.json'), lock(pinned))
  if (installed === null) return dir
  mkdirSync(join(dir, 'node_modules'))
  writeFileSync(join(dir, 'node_modules', '.package-lock.json'), lock(installed))
  for (const path of Object.keys(installed)) {
    if (missingDirs.includes(path)) continue
    mkdirSync(join(dir, path), { recursive: true })
    writeFileSync(join(dir, path, 'package.json'), '{}')
  }
  return dir
}

/** The script's verdict: null when nothing needs installing, else the reason it printed. */
function verdict(dir: string): string | null {
  const result = spawnSync(process.execPath, [SCRIPT, '--check', dir], { encoding: 'utf8' })
  assert.ok(result.status === 0 || result.status === 1, result.stderr)
  if (result.status === 0) {
    assert.equal(result.stdout, '')
    return null
  }
  return result.stdout.trim()
}

const JOSE = { 'node_modules/jose': { version: '6.2.18' } }

void describe('scripts/ensure-installed.mjs', () => {
  void test('a fresh clone (no node_modules) is installed', () => {
    assert.equal(verdict(project(JOSE, null)), 'node_modules is missing')
  })

  void test('node_modules that matches the lockfile is left alone', () => {
    assert.equal(verdict(project(JOSE, JOSE)), null)
  })

  void test('a version the lockfile no longer pins is reinstalled', () => {
    const stale = { 'node_modules/jose': { version: '6.0.0' } }
    assert.equal(
      verdict(project(JOSE, stale)),
      'node_modules/jose is 6.0.0, package-lock.json pins 6.2.18',
    )
  })

  void test('a package added to the lockfile is installed', () => {
    const pinned = { ...JOSE, 'node_modules/cookie': { version: '1.1.0' } }
    assert.equal(verdict(project(pinned, JOSE)), 'node_modules/cookie is not installed')
  })

  void test("another platform's optional binary is not required", () => {
    const pinned = {
      ...JOSE,
      'node_modules/@esbuild/win32-x64': { version: '0.28.2', optional: true },
    }
    assert.equal(verdict(project(pinned, JOSE)), null)
  })

  void test('a package removed from the lockfile is reinstalled without it', () => {
    const installed = { ...JOSE, 'node_modules/left-pad': { version: '1.3.0' } }
    assert.equal(
      verdict(project(JOSE, installed)),
      'node_modules/left-pad is installed but no longer in package-lock.json',
    )
  })

  void test('a package folder deleted by hand is reinstalled', () => {
    assert.equal(
      verdict(project(JOSE, JOSE, ['node_modules/jose'])),
      'node_modules/jose was removed from disk',
    )
  })

  void test('an unreadable install record is reinstalled', () => {
    const dir = project(JOSE, JOSE)
    writeFileSync(join(dir, 'node_modules', '.package-lock.json'), '{ not json')
    assert.equal(verdict(dir), 'node_modules/.package-lock.json is unreadable')
  })

  void test('this checkout, installed from its lockfile, needs nothing', () => {
    assert.equal(verdict(ROOT), null)
  })
})
