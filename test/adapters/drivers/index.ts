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

/** The drivers under test. */
export const DRIVERS: AdapterDriver[] = [
  fastifyDriver,
  expressDriver,
  honoDriver,
  fetchDriver,
  koaDriver,
  nestjsExpressDriver,
  nestjsFastifyDriver,
]
