/**
 * What only the NestJS binding has, written as a NestJS user writes it (decorators on classes,
 * `AuthXModule.forRoot`, dependency injection), on `@nestjs/platform-express` and
 * `@nestjs/platform-fastify`: the guard classes, the global `AuthXGuard` with `@Public()`,
 * `@Scopes()`/`@AnyScope()`, `@Policy()` with an `AuthManager`, login types, the parameter
 * decorators, `forRootAsync`, and the exception filter for errors thrown outside guards.
 */
import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import { after, before, describe, test } from 'node:test'
import {
  Controller,
  Get,
  HttpCode,
  Inject,
  Injectable,
  Module,
  Post,
  Res,
  UseGuards,
} from '@nestjs/common'
import type { INestApplication } from '@nestjs/common'
import { APP_GUARD, NestFactory } from '@nestjs/core'
import { ExpressAdapter } from '@nestjs/platform-express'
import { WsAdapter } from '@nestjs/platform-ws'
import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets'
import WebSocket from 'ws'
import { FastifyAdapter } from '@nestjs/platform-fastify'
import {
  AccessTokenGuard,
  AnyScope,
  AnyTokenGuard,
  AuthManager,
  AuthX,
  AuthXGuard,
  AuthXModule,
  CurrentSubject,
  CurrentSubjectGuard,
  FreshTokenGuard,
  Policy,
  PolicyGuard,
  Public,
  RefreshTokenGuard,
  Scopes,
  ScopesGuard,
  TokenExpiredError,
  TokenPayload,
} from '../../src/adapters/nestjs/index.ts'
import type { TestApp, TestRequest, TestResponse } from './driver.ts'
import { fetchRequest, testResponse } from './drivers/fetch.ts'
import { bearer, expectOk, expectRefused, NOW, SECRET } from './helpers.ts'

const OTHER = 'nestjs-specific-secret-for-admins-32b!'

/** How many times each handler ran, by route path. */
const runs = new Map<string, number>()
function ran(path: string): void {
  runs.set(path, (runs.get(path) ?? 0) + 1)
}

/** A service that fails the way a service deep in a request can: with an AuthX error. */
@Injectable()
class SessionService {
  check(): never {
    throw new TokenExpiredError()
  }
}

@Controller()
class GuardedController {
  readonly #auth: AuthX
  readonly #sessions: SessionService

  constructor(@Inject(AuthX) auth: AuthX, @Inject(SessionService) sessions: SessionService) {
    this.#auth = auth
    this.#sessions = sessions
  }

  @Public()
  @Get('open')
  open() {
    ran('/open')
    return { open: true }
  }

  @Get('global')
  global(@TokenPayload() payload: TokenPayload) {
    ran('/global')
    return { sub: payload.sub }
  }

  @Public()
  @Get('access')
  @UseGuards(AccessTokenGuard)
  access(@TokenPayload() payload: TokenPayload) {
    ran('/access')
    return { sub: payload.sub, type: payload.type }
  }

  @Public()
  @Post('refresh')
  @HttpCode(200)
  @UseGuards(RefreshTokenGuard)
  refresh(@TokenPayload() payload: TokenPayload) {
    ran('/refresh')
    return this.#auth.createTokenPair(payload.sub)
  }

  @Public()
  @Get('fresh')
  @UseGuards(FreshTokenGuard)
  fresh() {
    ran('/fresh')
    return { fresh: true }
  }

  @Public()
  @Get('any')
  @UseGuards(AnyTokenGuard)
  any(@TokenPayload() payload: TokenPayload) {
    ran('/any')
    return { type: payload.type }
  }

  @Public()
  @Get('subject')
  @UseGuards(CurrentSubjectGuard)
  subject(@CurrentSubject() subject: unknown) {
    ran('/subject')
    return { subject }
  }

  @Scopes('read', 'write')
  @Get('scoped')
  scoped() {
    ran('/scoped')
    return { scoped: true }
  }

  @Public()
  @AnyScope('admin', 'editor')
  @Get('any-scope')
  @UseGuards(ScopesGuard)
  anyScope() {
    ran('/any-scope')
    return { anyScope: true }
  }

  @Policy('reports:export', 'reports')
  @Get('policy')
  policy() {
    ran('/policy')
    return { policy: true }
  }

  @Public()
  @Policy('reports:delete', 'reports')
  @Get('policy-class')
  @UseGuards(PolicyGuard)
  policyClass() {
    ran('/policy-class')
    return { policy: true }
  }

  @Get('service')
  service() {
    ran('/service')
    return this.#sessions.check()
  }

  @Public()
  @Post('login')
  @HttpCode(200)
  login(@Res({ passthrough: true }) reply: object) {
    ran('/login')
    const pair = this.#auth.createTokenPair('carol', { fresh: true })
    this.#auth.setAccessCookies(pair.access_token, reply)
    this.#auth.setRefreshCookies(pair.refresh_token, reply)
    return { ok: true }
  }
}

type Platform = 'express' | 'fastify'

async function serve(
  platform: Platform,
  module: new () => object,
  prepare: (app: INestApplication) => void = () => undefined,
): Promise<TestApp & { app: INestApplication }> {
  const adapter = platform === 'express' ? new ExpressAdapter() : new FastifyAdapter()
  const app = await NestFactory.create(module, adapter, {
    logger: false,
    forceCloseConnections: true,
  })
  // Global filters are read when the routes are set up: before listen.
  prepare(app)
  await app.listen(0, '127.0.0.1')
  const { port } = (app.getHttpServer() as Server).address() as AddressInfo
  const base = `http://127.0.0.1:${port}`
  return {
    app,
    auth: app.get(AuthX),
    request: async (req: TestRequest): Promise<TestResponse> =>
      testResponse(await fetch(fetchRequest(base, req))),
    handlerRuns: (path) => runs.get(path) ?? 0,
    close: () => app.close(),
  }
}

for (const platform of ['express', 'fastify'] as const) {
  void describe(`NestJS decorators, guards and module [nestjs-${platform}]`, () => {
    let served: TestApp & { app: INestApplication }
    let auth: AuthX
    const manager = new AuthManager<AuthX>({
      policyRules: [
        {
          effect: 'allow',
          actions: ['reports:export'],
          resources: ['reports'],
          scopes: ['reports'],
          reason: 'reporters may export',
        },
      ],
    })
    before(async () => {
      const users = new AuthX({
        secretKey: SECRET,
        clock: () => NOW,
        loginType: 'user',
        tokenLocation: ['headers', 'cookies'],
      })
      users.setSubjectGetter((sub) => (sub === 'ghost' ? null : { name: sub }))
      manager.register(users)

      @Module({
        imports: [AuthXModule.forRoot(users, { manager })],
        controllers: [GuardedController],
        providers: [SessionService, { provide: APP_GUARD, useClass: AuthXGuard }],
      })
      class AppModule {}

      served = await serve(platform, AppModule, (app) => {
        app.get(AuthX).handleErrors(app)
      })
      auth = served.app.get(AuthX)
    })
    after(() => served.close())

    void test('the module provides the instance it was given, for injection', () => {
      assert.equal(auth.config.loginType, 'user')
      assert.equal(served.app.get(AuthManager), manager)
    })

    void test('the global AuthXGuard lets @Public() routes through and guards the others', async () => {
      await expectOk(served, { method: 'GET', path: '/open' })
      await expectRefused(
        served,
        { method: 'GET', path: '/global' },
        { errorType: 'MissingTokenError' },
      )
      const res = await expectOk(served, {
        method: 'GET',
        path: '/global',
        headers: bearer(auth.createAccessToken('alice')),
      })
      assert.deepEqual(res.body, { sub: 'alice' })
    })

    void test('guard classes: access, refresh, fresh and any token', async () => {
      const access = auth.createAccessToken('alice')
      const refresh = auth.createRefreshToken('alice')
      await expectRefused(
        served,
        { method: 'GET', path: '/access', headers: bearer(refresh) },
        { errorType: 'AccessTokenRequiredError' },
      )
      assert.deepEqual(
        (await expectOk(served, { method: 'GET', path: '/access', headers: bearer(access) })).body,
        { sub: 'alice', type: 'access' },
      )
      await expectRefused(
        served,
        { method: 'POST', path: '/refresh', headers: bearer(access) },
        { errorType: 'RefreshTokenRequiredError' },
      )
      const pair = await expectOk(served, {
        method: 'POST',
        path: '/refresh',
        headers: bearer(refresh),
      })
      assert.equal((pair.body as { token_type: string }).token_type, 'bearer')
      await expectRefused(
        served,
        { method: 'GET', path: '/fresh', headers: bearer(access) },
        { errorType: 'FreshTokenRequiredError' },
      )
      await expectOk(served, {
        method: 'GET',
        path: '/fresh',
        headers: bearer(auth.createAccessToken('alice', { fresh: true })),
      })
      for (const [token, type] of [
        [access, 'access'],
        [refresh, 'refresh'],
      ] as const) {
        const res = await expectOk(served, { method: 'GET', path: '/any', headers: bearer(token) })
        assert.deepEqual(res.body, { type })
      }
      await expectRefused(
        served,
        { method: 'GET', path: '/any' },
        { errorType: 'MissingTokenError' },
      )
    })

    void test('@CurrentSubject() is what the getter loaded; nothing loaded is a 401', async () => {
      const res = await expectOk(served, {
        method: 'GET',
        path: '/subject',
        headers: bearer(auth.createAccessToken('alice')),
      })
      assert.deepEqual(res.body, { subject: { name: 'alice' } })
      await expectRefused(
        served,
        { method: 'GET', path: '/subject', headers: bearer(auth.createAccessToken('ghost')) },
        { errorType: 'SubjectNotFoundError' },
      )
    })

    void test('@Scopes() needs every scope, @AnyScope() one of them: 403 with the scope fields', async () => {
      await expectRefused(
        served,
        {
          method: 'GET',
          path: '/scoped',
          headers: bearer(auth.createAccessToken('alice', { scopes: ['read'] })),
        },
        {
          errorType: 'InsufficientScopeError',
          detail: 'Missing required scopes: read, write. Provided: read',
          extra: { required_scopes: ['read', 'write'], provided_scopes: ['read'] },
          challenge: { kind: 'insufficient_scope', scope: 'read write' },
        },
      )
      await expectOk(served, {
        method: 'GET',
        path: '/scoped',
        headers: bearer(auth.createAccessToken('alice', { scopes: ['read', 'write'] })),
      })
      await expectRefused(
        served,
        {
          method: 'GET',
          path: '/any-scope',
          headers: bearer(auth.createAccessToken('alice', { scopes: ['read'] })),
        },
        {
          errorType: 'InsufficientScopeError',
          detail: 'Missing required scopes: admin, editor. Provided: read',
          extra: { required_scopes: ['admin', 'editor'], provided_scopes: ['read'] },
          challenge: { kind: 'insufficient_scope', scope: 'admin editor' },
        },
      )
      await expectOk(served, {
        method: 'GET',
        path: '/any-scope',
        headers: bearer(auth.createAccessToken('alice', { scopes: ['editor'] })),
      })
    })

    void test('@Policy() asks the AuthManager: allowed, denied with the reason, deny by default', async () => {
      await expectOk(served, {
        method: 'GET',
        path: '/policy',
        headers: bearer(auth.createAccessToken('alice', { scopes: ['reports'] })),
      })
      const runsBefore = served.handlerRuns('/policy')
      const denied = await served.request({
        method: 'GET',
        path: '/policy',
        headers: bearer(auth.createAccessToken('alice')),
      })
      assert.equal(denied.status, 403, denied.text)
      assert.equal((denied.body as { error_type: string }).error_type, 'PolicyDeniedError')
      assert.equal(served.handlerRuns('/policy'), runsBefore)
      const classRuns = served.handlerRuns('/policy-class')
      const unknown = await served.request({
        method: 'GET',
        path: '/policy-class',
        headers: bearer(auth.createAccessToken('alice', { scopes: ['reports'] })),
      })
      assert.equal(unknown.status, 403, unknown.text)
      assert.equal((unknown.body as { error_type: string }).error_type, 'PolicyDeniedError')
      assert.equal(served.handlerRuns('/policy-class'), classRuns)
    })

    void test('a token of another login type is a 401 LoginTypeMismatchError on policy routes', async () => {
      const admins = new AuthX({ secretKey: SECRET, clock: () => NOW, loginType: 'admin' })
      const res = await served.request({
        method: 'GET',
        path: '/policy',
        headers: bearer(admins.createAccessToken('root', { scopes: ['reports'] })),
      })
      assert.equal(res.status, 401, res.text)
      assert.equal((res.body as { error_type: string }).error_type, 'LoginTypeMismatchError')
    })

    void test('an AuthX error thrown by a service is the contract, through handleErrors', async () => {
      const before = served.handlerRuns('/service')
      const res = await served.request({
        method: 'GET',
        path: '/service',
        headers: bearer(auth.createAccessToken('alice')),
      })
      assert.equal(res.status, 401)
      assert.deepEqual(res.body, { detail: 'Token has expired', error_type: 'TokenExpiredError' })
      assert.equal(
        res.headers['www-authenticate'],
        'Bearer error="invalid_token", error_description="Token has expired"',
      )
      assert.equal(served.handlerRuns('/service'), before + 1)
    })

    void test('the cookie helpers write on the passthrough response', async () => {
      const res = await expectOk(served, { method: 'POST', path: '/login' })
      const names = res.setCookies.map((cookie) => cookie.split('=', 1)[0]).sort()
      assert.deepEqual(names, [
        'access_token_cookie',
        'csrf_access_token',
        'csrf_refresh_token',
        'refresh_token_cookie',
      ])
    })

    void test('OpenAPI: every guarded operation, whatever guard class or metadata protects it', () => {
      const access = [{ AuthXBearer: [] }, { AuthXAccessCookie: [] }]
      const refresh = [{ AuthXBearer: [] }, { AuthXRefreshCookie: [] }]
      const paths = auth.openapi(served.app, { globalGuard: true })
      assert.equal(paths['/open']?.get?.security, undefined)
      assert.deepEqual(paths['/global']?.get?.security, access)
      assert.deepEqual(paths['/scoped']?.get?.security, access)
      assert.deepEqual(paths['/access']?.get?.security, access)
      assert.deepEqual(paths['/any-scope']?.get?.security, access)
      assert.deepEqual(paths['/refresh']?.post?.security, refresh)
      assert.equal(paths['/login']?.post?.security, undefined)
      // Without the global guard, only the routes with their own guards are described.
      assert.equal(auth.openapi(served.app)['/global']?.get?.security, undefined)
    })
  })

  void describe(`AuthXModule.forRootAsync [nestjs-${platform}]`, () => {
    let served: TestApp & { app: INestApplication }
    const SETTINGS = Symbol('settings')
    before(async () => {
      @Module({
        providers: [{ provide: SETTINGS, useValue: { secret: OTHER } }],
        exports: [SETTINGS],
      })
      class SettingsModule {}

      @Controller()
      class Probe {
        @Get('me')
        @UseGuards(AccessTokenGuard)
        me(@TokenPayload() payload: TokenPayload) {
          ran('/me')
          return { sub: payload.sub }
        }
      }

      @Module({
        imports: [
          AuthXModule.forRootAsync({
            imports: [SettingsModule],
            inject: [SETTINGS],
            useFactory: (settings: { secret: string }) => ({ secretKey: settings.secret }),
          }),
        ],
        controllers: [Probe],
      })
      class AppModule {}
      served = await serve(platform, AppModule)
    })
    after(() => served.close())

    void test('the factory builds the instance from injected settings', async () => {
      const auth = served.app.get(AuthX)
      const res = await expectOk(served, {
        method: 'GET',
        path: '/me',
        headers: bearer(auth.createAccessToken('dave')),
      })
      assert.deepEqual(res.body, { sub: 'dave' })
      const foreign = new AuthX({ secretKey: SECRET }).createAccessToken('mallory')
      await expectRefused(
        served,
        { method: 'GET', path: '/me', headers: bearer(foreign) },
        { errorType: 'TokenInvalidSignatureError' },
      )
    })
  })

  void describe(`gateway messages behind the global AuthXGuard [nestjs-${platform}]`, () => {
    let guarded: TestApp & { app: INestApplication }
    let open: TestApp & { app: INestApplication }
    let whoamiRuns = 0

    @WebSocketGateway({ path: '/ws' })
    class WhoAmIGateway {
      @SubscribeMessage('whoami')
      whoami(@TokenPayload() payload: TokenPayload) {
        whoamiRuns++
        return { event: 'whoami', data: payload.sub }
      }

      @Public()
      @SubscribeMessage('ping')
      ping() {
        return { event: 'pong', data: null }
      }
    }

    const moduleFor = () => {
      @Module({
        imports: [AuthXModule.forRoot({ secretKey: SECRET })],
        providers: [WhoAmIGateway, { provide: APP_GUARD, useClass: AuthXGuard }],
      })
      class GatewayModule {}
      return GatewayModule
    }

    before(async () => {
      guarded = await serve(platform, moduleFor(), (app) => {
        app.useWebSocketAdapter(app.get(AuthX).guardWebSockets(new WsAdapter(app)))
      })
      // The same gateway behind a handshake nobody authenticated.
      open = await serve(platform, moduleFor(), (app) => {
        app.useWebSocketAdapter(new WsAdapter(app))
      })
    })
    after(async () => {
      await guarded.close()
      await open.close()
    })

    /** Sends the events in order and resolves with the first message that comes back. */
    function firstReply(
      app: TestApp & { app: INestApplication },
      token: string | undefined,
      events: string[],
    ) {
      const { port } = (app.app.getHttpServer() as Server).address() as AddressInfo
      const query = token === undefined ? '' : `?token=${token}`
      return new Promise<unknown>((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/ws${query}`)
        ws.on('open', () => {
          for (const event of events) ws.send(JSON.stringify({ event, data: null }))
        })
        ws.on('message', (data) => {
          resolve(JSON.parse((data as Buffer).toString('utf8')) as unknown)
          ws.close()
        })
        ws.on('error', reject)
      })
    }

    /** Sends the events in order and resolves with every message up to the `pong`. */
    function repliesUntilPong(
      app: TestApp & { app: INestApplication },
      token: string,
      events: string[],
    ) {
      const { port } = (app.app.getHttpServer() as Server).address() as AddressInfo
      return new Promise<unknown[]>((resolve, reject) => {
        const replies: unknown[] = []
        const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?token=${token}`)
        ws.on('open', () => {
          for (const event of events) ws.send(JSON.stringify({ event, data: null }))
        })
        ws.on('message', (data) => {
          const reply = JSON.parse((data as Buffer).toString('utf8')) as { event?: string }
          replies.push(reply)
          if (reply.event !== 'pong') return
          resolve(replies)
          ws.close()
        })
        ws.on('error', reject)
      })
    }

    void test('@TokenPayload() in a message handler is the payload of the client`s handshake', async () => {
      const token = guarded.app.get(AuthX).createAccessToken('alice')
      assert.deepEqual(await firstReply(guarded, token, ['whoami']), {
        event: 'whoami',
        data: 'alice',
      })
    })

    void test('a client whose handshake nobody authenticated is refused but by @Public() handlers', async () => {
      const before = whoamiRuns
      const token = open.app.get(AuthX).createAccessToken('alice')
      const replies = await repliesUntilPong(open, token, ['whoami', 'ping'])
      // The public ping is served; the refused message gets nothing but NestJS's own 'exception'
      // event (which NestJS 12 sends to the client and NestJS 11 does not).
      const events = replies.map((reply) => (reply as { event: string }).event)
      assert.equal(events.at(-1), 'pong')
      assert.deepEqual(
        events.slice(0, -1).filter((event) => event !== 'exception'),
        [],
      )
      assert.equal(whoamiRuns, before)
    })
  })
}
