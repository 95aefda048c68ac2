/**
 * Run only by `nestjs11.test.ts`, inside its NestJS 11 run (not a `*.test.ts` file, so the
 * project's own run, on NestJS 12, leaves it out): proves that the NestJS the suites used is the
 * fixture's 11.x. It loads what they load (the drivers and the binding), then checks the objects
 * they got, and prints the version it found for the parent test to read.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { test } from 'node:test'
import { NestFactory } from '@nestjs/core'
import { Controller } from '@nestjs/common'
import { DRIVERS } from '../drivers/index.ts'
import { AuthXModule } from '../../../src/adapters/nestjs/index.ts'
import { NESTJS11_FIXTURE_DIR } from '../../helpers/nestjs11.ts'

const fromFixture = createRequire(`${NESTJS11_FIXTURE_DIR}package.json`)

/** The version in a package's package.json, read from the fixture's node_modules. */
function fixtureVersion(name: string): string {
  const path = fromFixture.resolve(`${name}/package.json`)
  return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version
}

void test('the suites ran on the NestJS drivers alone', () => {
  assert.deepEqual(
    DRIVERS.map((driver) => driver.name),
    ['nestjs-express', 'nestjs-fastify'],
  )
})

void test('the NestJS the suites and the binding imported is the fixture’s NestJS 11', () => {
  // The very objects imported here are the fixture's, not merely a package of the same name.
  assert.equal(NestFactory, (fromFixture('@nestjs/core') as { NestFactory: unknown }).NestFactory)
  assert.equal(Controller, (fromFixture('@nestjs/common') as { Controller: unknown }).Controller)
  assert.equal(typeof AuthXModule.forRoot, 'function')
  const core = fixtureVersion('@nestjs/core')
  const common = fixtureVersion('@nestjs/common')
  assert.match(core, /^11\./)
  assert.match(common, /^11\./)
  // No NestJS module was loaded from anywhere but the fixture (NestJS 11 is CommonJS, so every
  // module it loaded is in require's cache).
  const outside = Object.keys(createRequire(import.meta.url).cache).filter(
    (path) => path.includes('/@nestjs/') && !path.startsWith(NESTJS11_FIXTURE_DIR),
  )
  assert.deepEqual(outside, [])
  console.log(`loaded @nestjs/core ${core}, @nestjs/common ${common}`)
})
