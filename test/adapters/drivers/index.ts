/**
 * Every adapter the conformance suite runs against. Each suite file loops over this list, so an
 * adapter registered here must pass every case.
 */
import type { AdapterDriver } from '../driver.ts'
import { expressDriver } from './express.ts'
import { fastifyDriver } from './fastify.ts'
import { fetchDriver } from './fetch.ts'
import { honoDriver } from './hono.ts'
import { koaDriver } from './koa.ts'
import { nestjsExpressDriver } from './nestjs-express.ts'
import { nestjsFastifyDriver } from './nestjs-fastify.ts'

const ALL_DRIVERS: AdapterDriver[] = [
  fastifyDriver,
  expressDriver,
  honoDriver,
  fetchDriver,
  koaDriver,
  nestjsExpressDriver,
  nestjsFastifyDriver,
]

/**
 * The driver names in `AUTHX_TEST_DRIVERS` (comma-separated), or every driver when it is unset:
 * the NestJS 11 run (`nestjs11.test.ts`) replays the suites on the NestJS drivers alone. A name
 * that matches no driver throws, so a typo cannot turn a run into one that tests nothing.
 */
function selected(drivers: AdapterDriver[]): AdapterDriver[] {
  const wanted = process.env['AUTHX_TEST_DRIVERS']
  if (wanted === undefined || wanted === '') return drivers
  return wanted.split(',').map((name) => {
    const driver = drivers.find((candidate) => candidate.name === name.trim())
    if (driver === undefined) {
      const known = drivers.map((candidate) => candidate.name).join(', ')
      throw new Error(`AUTHX_TEST_DRIVERS names "${name}", which is not one of: ${known}`)
    }
    return driver
  })
}

/** The drivers under test. */
export const DRIVERS: AdapterDriver[] = selected(ALL_DRIVERS)
