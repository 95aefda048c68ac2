/**
 * Without `redis-server` on the PATH, the test helper fails with a message that names the Debian
 * package to install, not a bare ENOENT: run in a child process whose PATH holds no Redis.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

void test('a missing redis-server is named with its package', () => {
  const empty = mkdtempSync(join(tmpdir(), 'authx-no-redis-'))
  try {
    const child = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--eval',
        "await import('./test/helpers/redis-server.ts').then((m) => m.startRedisServer())",
      ],
      { cwd: ROOT, env: { ...process.env, PATH: empty }, encoding: 'utf8', timeout: 60_000 },
    )
    assert.notEqual(child.status, 0)
    assert.match(
      child.stderr,
      /not installed: install the Debian package redis-server \(apt-get install redis-server\)/,
    )
  } finally {
    rmSync(empty, { recursive: true, force: true })
  }
})
