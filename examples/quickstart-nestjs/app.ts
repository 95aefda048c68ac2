/**
 * The seed's FastAPI quickstart, on NestJS: /login, /protected, /me and /refresh, plus /logout,
 * refresh-token rotation and a rate-limited login. It runs on `@nestjs/platform-express` by
 * default and on `@nestjs/platform-fastify` with `platform: 'fastify'`.
 *
 * The constructor parameters name what they inject with `@Inject(...)`: AuthX needs no
 * `emitDecoratorMetadata` (and tsx, which runs this file, does not emit it).
 */
import {
  Body,
  Controller,
  Get,
  Header,
  HttpCode,
  HttpException,
  Inject,
  Injectable,
  Module,
  Post,
  Req,
  UseGuards,
} from '@nestjs/common'
import type { CanActivate, ExecutionContext, INestApplication } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { ExpressAdapter } from '@nestjs/platform-express'
import { FastifyAdapter } from '@nestjs/platform-fastify'
import { AccessTokenGuard, AuthX, AuthXModule, TokenPayload } from 'authx-ts/nestjs'
import type { NestGuard } from 'authx-ts/nestjs'
import type { Store } from 'authx-ts'
import { createUserDatabase, secretFromEnv } from '../shared/users.ts'
import type { UserDatabase } from '../shared/users.ts'

/** Options for building the app (tests pass their own secret and store). */
export interface QuickstartOptions {
  secretKey?: string
  /** Shared state; the in-memory default serves one process, a RedisStore serves many. */
  store?: Store
  /** The HTTP platform under NestJS. @defaultValue 'express' */
  platform?: 'express' | 'fastify'
}

const BAD_LOGIN = 'Expected a JSON body {"username": string, "password": string}'

/** The injection token of the user database. */
const USERS = Symbol('users')

/** Ten login attempts a minute per client and route. */
@Injectable()
class LoginLimit implements CanActivate {
  readonly #guard: NestGuard

  constructor(@Inject(AuthX) auth: AuthX) {
    this.#guard = auth.rateLimited({ max: 10, window: '1m' })
  }

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    return this.#guard.canActivate(context)
  }
}

@Controller()
class AppController {
  private readonly auth: AuthX
  private readonly users: UserDatabase

  constructor(@Inject(AuthX) auth: AuthX, @Inject(USERS) users: UserDatabase) {
    this.auth = auth
    this.users = users
  }

  @Post('login')
  @HttpCode(200)
  @Header('cache-control', 'no-store')
  @UseGuards(LoginLimit)
  async login(@Body() body: unknown) {
    const { username, password } = (typeof body === 'object' && body !== null ? body : {}) as {
      username?: unknown
      password?: unknown
    }
    if (typeof username !== 'string' || typeof password !== 'string')
      throw new HttpException({ detail: BAD_LOGIN }, 400)
    const user = await this.users.checkCredentials(username, password)
    if (user === undefined) throw new HttpException({ detail: 'Invalid credentials' }, 401)
    return this.auth.createTokenPair(user.username, { fresh: true })
  }

  @Get('protected')
  @UseGuards(AccessTokenGuard)
  protected() {
    return { message: 'You have access to this protected resource' }
  }

  @Get('me')
  @UseGuards(AccessTokenGuard)
  me(@TokenPayload() payload: TokenPayload) {
    return { user_id: payload.sub, email: this.users.find(payload.sub)?.email ?? null }
  }

  // As in the seed, the refresh token comes in the Authorization header. With rotation on, the
  // answer also carries the next refresh token: the one just used is spent. An AuthX error
  // thrown here is answered by the filter of auth.handleErrors(app).
  @Post('refresh')
  @HttpCode(200)
  @Header('cache-control', 'no-store')
  async refresh(@Req() request: object) {
    return this.auth.refresh(await this.auth.getRefreshTokenFromRequest(request))
  }

  // Revokes the access token presented and, when the JSON body carries it, the refresh token.
  @Post('logout')
  @HttpCode(200)
  @UseGuards(AccessTokenGuard)
  async logout(@Req() request: object, @TokenPayload() payload: TokenPayload) {
    await this.auth.revokeToken(payload)
    const refresh = await this.auth.getTokenFromRequest(request, {
      type: 'refresh',
      locations: ['json'],
    })
    if (refresh !== null) await this.auth.revokeToken(refresh.token)
    return { detail: 'Logged out' }
  }
}

/** Builds the quickstart app (not yet listening). */
export async function buildApp(options: QuickstartOptions = {}): Promise<INestApplication> {
  const auth = new AuthX({
    secretKey: options.secretKey ?? secretFromEnv(),
    tokenLocation: ['headers'],
    refreshRotation: true,
    store: options.store,
  })
  const users = await createUserDatabase()

  @Module({
    imports: [AuthXModule.forRoot(auth)],
    controllers: [AppController],
    providers: [LoginLimit, { provide: USERS, useValue: users }],
  })
  class AppModule {}

  const adapter = options.platform === 'fastify' ? new FastifyAdapter() : new ExpressAdapter()
  const app = await NestFactory.create(AppModule, adapter, { logger: ['error', 'warn'] })
  auth.handleErrors(app)
  return app
}
