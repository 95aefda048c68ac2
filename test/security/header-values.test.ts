/**
 * Header values built from configuration or token text. A scope, a login type or a message
 * outside Latin-1, or with a control character, is not a valid HTTP header value: written into
 * `WWW-Authenticate` verbatim it made Fastify, Express, Hono and the Fetch `Response` refuse the
 * whole reply, so the client got the framework's own 500 instead of the 401/403 contract, and a
 * CR LF could have split the header (RFC 9110 section 5.5, RFC 6750 section 3). Every header the
 * contract renders must stay within `%x20-7E`; the JSON body keeps the full text.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, test } from 'node:test'
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import Koa from 'koa'
import Router from '@koa/router'
import { Controller, Get, Module, UseGuards } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { ExpressAdapter } from '@nestjs/platform-express'
import { AuthX as ExpressAuthX } from '../../src/adapters/express.ts'
import { AuthX as FastifyAuthX } from '../../src/adapters/fastify.ts'
import { handleErrors as fetchHandleErrors } from '../../src/adapters/fetch.ts'
import { AuthX as HonoAuthX } from '../../src/adapters/hono.ts'
import { AuthX as KoaAuthX } from '../../src/adapters/koa.ts'
import { AuthX as NestAuthX } from '../../src/adapters/nestjs/index.ts'
import { AuthX as CoreAuthX } from '../../src/authx.ts'
import type { AuthXOptions } from '../../src/config/index.ts'
import { JWTDecodeError, LoginTypeMismatchError } from '../../src/errors.ts'
import { AuthManager } from '../../src/authz/manager.ts'
import type { TestApp, TestResponse } from '../adapters/driver.ts'
import { DRIVERS } from '../adapters/drivers/index.ts'
import { baseOptions, bearer } from '../adapters/helpers.ts'

/** Every header of a response is visible ASCII or space, and none was injected. */
function assertHeadersValid(res: { headers: Record<string, string> }, where: string): void {
  for (const [name, value] of Object.entries(res.headers)) {
    assert.match(value, /^[\x20-\x7E]*$/, `${where}: header ${name} is not %x20-7E: ${value}`)
  }
  assert.equal(res.headers['x-injected'], undefined, `${where}: a header was injected`)
}

/** The exact refusal: status, body, challenge, valid headers, and the handler never ran. */
async function expectContract(
  app: TestApp,
  req: { path: string; headers?: Record<string, string> },
  expected: {
    status: number
    body: Record<string, unknown>
    challenge: string | undefined
    handlerRuns?: number
  },
): Promise<TestResponse> {
  const before = app.handlerRuns(req.path)
  const res = await app.request({ method: 'GET', ...req })
  assert.equal(res.status, expected.status, `${req.path}: status (body ${res.text})`)
  assert.deepEqual(res.body, expected.body, `${req.path}: body`)
  assert.equal(res.headers['www-authenticate'], expected.challenge, `${req.path}: challenge`)
  assertHeadersValid(res, req.path)
  assert.equal(app.handlerRuns(req.path), before + (expected.handlerRuns ?? 0), `${req.path}: runs`)
  return res
}

const INJECTED = 'user\r\nX-Injected: yes'
const OVERRIDES = {
  MissingTokenError: 'トークンがありません',
  JWTDecodeError: 'Jeton invalide — réessayez 🙂\r\nX-Injected: yes',
  InsufficientScopeError: '権限が足りません',
}

for (const driver of DRIVERS) {
  void describe(`security: header values from non-Latin-1 text [${driver.name}]`, () => {
    let app: TestApp
    let overridden: TestApp

    before(async () => {
      app = await driver.build(
        baseOptions(),
        [
          { method: 'GET', path: '/read', guard: { kind: 'scopes', scopes: ['読む'] } },
          {
            method: 'GET',
            path: '/mixed',
            guard: { kind: 'scopes', scopes: ['読む', 'read', 'a b', 'x"y', 'c\\d', 'write'] },
          },
          {
            method: 'GET',
            path: '/login-type',
            guard: { kind: 'access' },
            handler: { kind: 'throw', error: () => new LoginTypeMismatchError('管理者', INJECTED) },
          },
          {
            method: 'GET',
            path: '/decode',
            guard: { kind: 'none' },
            handler: {
              kind: 'throw',
              error: () => new JWTDecodeError({ message: 'Ungültig: "böse" \\ 🙂\tend' }),
            },
          },
        ],
        { handleErrors: true },
      )
      overridden = await driver.build(
        baseOptions({ messages: OVERRIDES }),
        [
          { method: 'GET', path: '/access', guard: { kind: 'access' } },
          { method: 'GET', path: '/read', guard: { kind: 'scopes', scopes: ['読む'] } },
        ],
        { handleErrors: true },
      )
    })
    after(async () => {
      await Promise.all([app.close(), overridden.close()])
    })

    void test('a route requiring scope "読む": 403 InsufficientScopeError, full scope in the body, a valid challenge without it', async () => {
      await expectContract(
        app,
        {
          path: '/read',
          headers: bearer(app.auth.createAccessToken('alice', { scopes: ['書く'] })),
        },
        {
          status: 403,
          body: {
            detail: 'Missing required scopes: 読む. Provided: 書く',
            error_type: 'InsufficientScopeError',
            required_scopes: ['読む'],
            provided_scopes: ['書く'],
          },
          challenge: 'Bearer error="insufficient_scope"',
        },
      )
    })

    void test('the route opens for a token granting "読む" (control case)', async () => {
      const before = app.handlerRuns('/read')
      const token = app.auth.createAccessToken('alice', { scopes: ['読む'] })
      const res = await app.request({ method: 'GET', path: '/read', headers: bearer(token) })
      assert.equal(res.status, 200, res.text)
      assert.equal(app.handlerRuns('/read'), before + 1)
    })

    void test('only scope-tokens reach the challenge; the body lists every required scope', async () => {
      const required = ['読む', 'read', 'a b', 'x"y', 'c\\d', 'write']
      await expectContract(
        app,
        { path: '/mixed', headers: bearer(app.auth.createAccessToken('alice', { scopes: [] })) },
        {
          status: 403,
          body: {
            detail: `Missing required scopes: ${required.join(', ')}. Provided: none`,
            error_type: 'InsufficientScopeError',
            required_scopes: required,
            provided_scopes: [],
          },
          challenge: 'Bearer error="insufficient_scope", scope="read write"',
        },
      )
    })

    void test('a login type mismatch naming non-Latin-1 and CR LF text: 401, full text in the body, no header split', async () => {
      await expectContract(
        app,
        { path: '/login-type', headers: bearer(app.auth.createAccessToken('alice')) },
        {
          status: 401,
          body: {
            detail: `Token type mismatch: expected '管理者', got '${INJECTED}'`,
            error_type: 'LoginTypeMismatchError',
            expected_type: '管理者',
            actual_type: INJECTED,
          },
          challenge: `Bearer error="invalid_token", error_description="Token type mismatch: expected '???', got 'user X-Injected: yes'"`,
          // The handler is the thrower: it ran once, and the error became the contract.
          handlerRuns: 1,
        },
      )
    })

    void test('a thrown message with quotes, a backslash, an emoji and a tab: 401 with a valid description', async () => {
      await expectContract(
        app,
        { path: '/decode' },
        {
          status: 401,
          body: { detail: 'Ungültig: "böse" \\ 🙂\tend', error_type: 'JWTDecodeError' },
          challenge: `Bearer error="invalid_token", error_description="Ung?ltig: 'b?se' ? ??end"`,
          handlerRuns: 1,
        },
      )
    })

    void test('messages overridden with non-Latin-1 text: the body carries them, the headers stay valid', async () => {
      await expectContract(
        overridden,
        { path: '/access' },
        {
          status: 401,
          body: { detail: OVERRIDES.MissingTokenError, error_type: 'MissingTokenError' },
          challenge: 'Bearer',
        },
      )
      await expectContract(
        overridden,
        { path: '/access', headers: bearer('not-a-token') },
        {
          status: 401,
          body: { detail: OVERRIDES.JWTDecodeError, error_type: 'JWTDecodeError' },
          // The override reaches the description too, through the RFC 6750 gate.
          challenge:
            'Bearer error="invalid_token", error_description="Jeton invalide ? r?essayez ? X-Injected: yes"',
        },
      )
      const token = overridden.auth.createAccessToken('alice', { scopes: ['read'] })
      await expectContract(
        overridden,
        { path: '/read', headers: bearer(token) },
        {
          status: 403,
          body: {
            detail: OVERRIDES.InsufficientScopeError,
            error_type: 'InsufficientScopeError',
            required_scopes: ['読む'],
            provided_scopes: ['read'],
          },
          challenge: 'Bearer error="insufficient_scope"',
        },
      )
    })
  })
}

// ---------------------------------------------------------------------------------------------
// A real login-type mismatch: AuthManager guards on each framework, login types outside Latin-1.

const ADMIN = '管理者'
const USER = 'utilisateur·é'
const managerOptions = (loginType: string, secretKey: string): AuthXOptions => ({
  secretKey,
  loginType,
  tokenLocation: ['headers'],
  clock: () => 1_800_000_000,
})
const ADMIN_SECRET = 'admin-secret-of-at-least-32-bytes!!'
const USER_SECRET = 'user-secret-of-at-least-32-bytes!!!'

/** A server answering GET /admin behind `manager.accessTokenRequired(ADMIN)`. */
interface ManagerApp {
  request(
    token: string,
  ): Promise<{ status: number; headers: Record<string, string>; body: unknown }>
  runs(): number
  userToken(): string
  close(): Promise<void>
}

async function fromResponse(
  res: Response,
): Promise<{ status: number; headers: Record<string, string>; body: unknown }> {
  return {
    status: res.status,
    headers: Object.fromEntries(res.headers.entries()),
    body: (await res.json()) as unknown,
  }
}

const managerApps: Record<string, () => Promise<ManagerApp>> = {
  async fastify() {
    const admin = new FastifyAuthX(managerOptions(ADMIN, ADMIN_SECRET))
    const user = new FastifyAuthX(managerOptions(USER, USER_SECRET))
    const manager = new AuthManager({ instances: [admin, user] })
    let runs = 0
    const app = Fastify()
    app.get('/admin', { preHandler: manager.accessTokenRequired(ADMIN) }, () => {
      runs++
      return { ok: true }
    })
    await app.ready()
    return {
      async request(token) {
        const res = await app.inject({ method: 'GET', url: '/admin', headers: bearer(token) })
        return {
          status: res.statusCode,
          headers: Object.fromEntries(
            Object.entries(res.headers).map(([name, value]) => [name, String(value)]),
          ),
          body: res.json<unknown>(),
        }
      },
      runs: () => runs,
      userToken: () => user.createAccessToken('bob'),
      close: () => app.close(),
    }
  },
  async express() {
    const admin = new ExpressAuthX(managerOptions(ADMIN, ADMIN_SECRET))
    const user = new ExpressAuthX(managerOptions(USER, USER_SECRET))
    const manager = new AuthManager({ instances: [admin, user] })
    let runs = 0
    const app = express()
    app.get('/admin', manager.accessTokenRequired(ADMIN), (_req, res) => {
      runs++
      res.json({ ok: true })
    })
    const server = app.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    return {
      request: async (token) =>
        fromResponse(await fetch(`${base}/admin`, { headers: bearer(token) })),
      runs: () => runs,
      userToken: () => user.createAccessToken('bob'),
      close: () =>
        new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
    }
  },
  async hono() {
    const admin = new HonoAuthX(managerOptions(ADMIN, ADMIN_SECRET))
    const user = new HonoAuthX(managerOptions(USER, USER_SECRET))
    const manager = new AuthManager({ instances: [admin, user] })
    let runs = 0
    const app = new Hono()
    app.get('/admin', manager.accessTokenRequired(ADMIN), (c) => {
      runs++
      return c.json({ ok: true })
    })
    return {
      request: async (token) =>
        fromResponse(await app.request('/admin', { headers: bearer(token) })),
      runs: () => runs,
      userToken: () => user.createAccessToken('bob'),
      close: async () => {},
    }
  },
  async koa() {
    const admin = new KoaAuthX(managerOptions(ADMIN, ADMIN_SECRET))
    const user = new KoaAuthX(managerOptions(USER, USER_SECRET))
    const manager = new AuthManager({ instances: [admin, user] })
    let runs = 0
    const app = new Koa()
    const router = new Router()
    router.get('/admin', manager.accessTokenRequired(ADMIN), (ctx) => {
      runs++
      ctx.body = { ok: true }
    })
    app.use(router.routes())
    const listener = app.callback()
    const server = createServer((req, res) => {
      void listener(req, res)
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    return {
      request: async (token) =>
        fromResponse(await fetch(`${base}/admin`, { headers: bearer(token) })),
      runs: () => runs,
      userToken: () => user.createAccessToken('bob'),
      close: () =>
        new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
    }
  },
  async nestjs() {
    const admin = new NestAuthX(managerOptions(ADMIN, ADMIN_SECRET))
    const user = new NestAuthX(managerOptions(USER, USER_SECRET))
    const manager = new AuthManager({ instances: [admin, user] })
    let runs = 0
    @Controller()
    class AdminController {
      @Get('admin')
      @UseGuards(manager.accessTokenRequired(ADMIN))
      admin() {
        runs++
        return { ok: true }
      }
    }
    @Module({ controllers: [AdminController] })
    class AppModule {}
    const app = await NestFactory.create(AppModule, new ExpressAdapter(), {
      logger: false,
      forceCloseConnections: true,
    })
    await app.listen(0, '127.0.0.1')
    const { port } = (app.getHttpServer() as Server).address() as AddressInfo
    return {
      request: async (token) =>
        fromResponse(await fetch(`http://127.0.0.1:${port}/admin`, { headers: bearer(token) })),
      runs: () => runs,
      userToken: () => user.createAccessToken('bob'),
      close: () => app.close(),
    }
  },
  async fetch() {
    const admin = new CoreAuthX(managerOptions(ADMIN, ADMIN_SECRET))
    const user = new CoreAuthX(managerOptions(USER, USER_SECRET))
    const manager = new AuthManager({ instances: [admin, user] })
    let runs = 0
    const handler = fetchHandleErrors(admin, async (request) => {
      await manager.authenticate(ADMIN, request, { type: 'access' })
      runs++
      return Response.json({ ok: true })
    })
    return {
      request: async (token) =>
        fromResponse(
          await handler(new Request('http://localhost/admin', { headers: bearer(token) })),
        ),
      runs: () => runs,
      userToken: () => user.createAccessToken('bob'),
      close: async () => {},
    }
  },
}

for (const [name, build] of Object.entries(managerApps)) {
  void describe(`security: a login type mismatch outside Latin-1 through AuthManager [${name}]`, () => {
    let app: ManagerApp
    before(async () => {
      app = await build()
    })
    after(() => app.close())

    void test('a user token on the admin route: 401 LoginTypeMismatchError with valid headers, handler not run', async () => {
      const res = await app.request(app.userToken())
      assert.equal(res.status, 401, JSON.stringify(res.body))
      assert.deepEqual(res.body, {
        detail: `Token type mismatch: expected '${ADMIN}', got '${USER}'`,
        error_type: 'LoginTypeMismatchError',
        expected_type: ADMIN,
        actual_type: USER,
      })
      assert.equal(
        res.headers['www-authenticate'],
        `Bearer error="invalid_token", error_description="Token type mismatch: expected '???', got 'utilisateur??'"`,
      )
      assertHeadersValid(res, name)
      assert.equal(app.runs(), 0, 'the handler must not run')
    })
  })
}
