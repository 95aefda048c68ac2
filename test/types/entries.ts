/**
 * Every entry point has the names DESIGN.md section 3 promises: importing a missing name, or
 * picking a missing member, does not compile. `test/exports.test.ts` checks the built entries'
 * run-time names against exact lists.
 *
 * @packageDocumentation
 */
import {
  AuthX,
  AuthXError,
  MemoryStore,
  TokenPayload,
  configFromEnv,
  isAuthXError,
  type AuthXConfig,
  type AuthXOptions,
  type RequestToken,
  type SetCookie,
  type Store,
} from 'authx-ts'
import { AuthX as FastifyAuthX } from 'authx-ts/fastify'
import { AuthX as ExpressAuthX } from 'authx-ts/express'
import { AuthX as HonoAuthX } from 'authx-ts/hono'
import { AuthX as KoaAuthX } from 'authx-ts/koa'
import {
  AccessTokenGuard,
  AuthXGuard,
  AuthXModule,
  AuthX as NestAuthX,
  Public,
  Scopes,
  TokenPayload as NestTokenPayload,
} from 'authx-ts/nestjs'
import { handleErrors, withAuth } from 'authx-ts/fetch'
import { RedisStore, createRedisStore } from 'authx-ts/redis'
import type { Expect } from './helpers.ts'

/** The core entry: the framework-free class, config, payload, errors, stores. */
export type CoreNames = [
  typeof AuthX,
  typeof configFromEnv,
  AuthXOptions,
  AuthXConfig,
  typeof TokenPayload,
  RequestToken,
  SetCookie,
  typeof AuthXError,
  typeof isAuthXError,
  Store,
  typeof MemoryStore,
]

/** The core class's methods. */
export type CoreMembers = Pick<
  AuthX,
  | 'createAccessToken'
  | 'createRefreshToken'
  | 'createTokenPair'
  | 'verifyToken'
  | 'getAccessTokenFromRequest'
  | 'getRefreshTokenFromRequest'
  | 'getTokenFromRequest'
  | 'authenticate'
  | 'setTokenBlocklist'
  | 'setSubjectGetter'
  | 'revokeToken'
  | 'accessCookies'
  | 'refreshCookies'
  | 'unsetCookies'
>

/** What every framework-bound class adds to the core's. */
type BoundMember =
  | 'handleErrors'
  | 'accessTokenRequired'
  | 'refreshTokenRequired'
  | 'freshTokenRequired'
  | 'tokenRequired'
  | 'scopesRequired'
  | 'currentSubject'
  | 'payload'
  | 'setAccessCookies'
  | 'setRefreshCookies'
  | 'unsetAccessCookies'
  | 'unsetRefreshCookies'
  | 'unsetCookies'

export type FastifyMembers = Pick<FastifyAuthX, BoundMember | keyof CoreMembers>
export type ExpressMembers = Pick<ExpressAuthX, BoundMember | keyof CoreMembers>
export type HonoMembers = Pick<HonoAuthX, BoundMember | keyof CoreMembers>
export type KoaMembers = Pick<KoaAuthX, BoundMember | keyof CoreMembers>
export type NestMembers = Pick<NestAuthX, BoundMember | keyof CoreMembers>

/** The bound classes are the core class, with the same constructor. */
export type SameClass = [
  Expect<FastifyAuthX extends AuthX ? true : false>,
  Expect<ExpressAuthX extends AuthX ? true : false>,
  Expect<HonoAuthX extends AuthX ? true : false>,
  Expect<KoaAuthX extends AuthX ? true : false>,
  Expect<NestAuthX extends AuthX ? true : false>,
  Expect<
    ConstructorParameters<typeof FastifyAuthX> extends ConstructorParameters<typeof AuthX>
      ? true
      : false
  >,
  Expect<
    ConstructorParameters<typeof ExpressAuthX> extends ConstructorParameters<typeof AuthX>
      ? true
      : false
  >,
  Expect<
    ConstructorParameters<typeof HonoAuthX> extends ConstructorParameters<typeof AuthX>
      ? true
      : false
  >,
]

/**
 * The NestJS entry's own names; its `TokenPayload` is both the parameter decorator and the
 * payload's type.
 */
export type NestNames = [
  typeof AuthXModule,
  typeof AccessTokenGuard,
  typeof AuthXGuard,
  typeof Public,
  typeof Scopes,
  typeof NestTokenPayload,
  Expect<NestTokenPayload extends TokenPayload ? true : false>,
]

/** The Fetch integration and the Redis store. */
export type OtherEntries = [
  typeof withAuth,
  typeof handleErrors,
  typeof RedisStore,
  typeof createRedisStore,
]
