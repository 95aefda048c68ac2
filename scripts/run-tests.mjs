// Runs every test file under test/ with node:test through tsx, under c8's coverage gate.
// Node 20's test runner takes file paths, not globs, so the list is built here.
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

function findTests(dir) {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name)
      if (statSync(path).isDirectory()) return findTests(path)
      return name.endsWith('.test.ts') ? [path] : []
    })
}

const only = process.argv.slice(2)
const files = only.length > 0 ? only : findTests('test')
const result = spawnSync(
  'npx',
  [
    'c8',
    '--check-coverage',
    '--lines=95',
    '--include=src/**',
    '--reporter=text-summary',
    'node',
    '--import=tsx',
    '--test',
    '--test-concurrency=2',
    // A hung test must fail the run, not hold it until CI's own limit.
    '--test-timeout=300000',
    ...files,
  ],
  { stdio: 'inherit' },
)
process.exit(result.status ?? 1)
