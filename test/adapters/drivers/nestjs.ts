/**
 * The NestJS conformance drivers: a real NestJS application built from route specs (one
 * controller whose methods are declared with NestJS's own decorator functions, guarded with
 * `@UseGuards(<the instance's guard>)`, the instance provided by `AuthXModule.forRoot`), on
 * `@nestjs/platform-express` or `@nestjs/platform-fastify`, served on 127.0.0.1 port 0 and called
 * with `fetch`. Decorators are applied as functions because the routes come from data.
 */
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import {
  Controller,
  HttpCode,
  Module,
  Req,
  RequestMapping,
  RequestMethod,
  Res,
  UseGuards,
} from '@nestjs/common'
import type { CanActivate, INestApplication } from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { ExpressAdapter } from '@nestjs/platform-express'
import { FastifyAdapter } from '@nestjs/platform-fastify'
import type { NestFastifyApplication } from '@nestjs/platform-fastify'
import { WsAdapter } from '@nestjs/platform-ws'
import { WebSocketGateway } from '@nestjs/websockets'
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger'
import type { OpenAPIObject } from '@nestjs/swagger'
import * as entry from '../../../src/adapters/nestjs/index.ts'
import { AuthX, AuthXModule } from '../../../src/adapters/nestjs/index.ts'
import type { AuthXOptions } from '../../../src/index.ts'
import { guardOf, handlerOf, runHandlerSpec, surfaceOf } from '../driver.ts'
import type {
  AdapterDriver,
  BuildExtra,
  OpenAPIDocument,
  OpenAPIRoute,
  RouteSpec,
  TestApp,
  TestRequest,
  TestResponse,
  WebSocketApp,
} from '../driver.ts'
import { fetchRequest, testResponse } from './fetch.ts'

/** The HTTP platform under NestJS. */
export type NestPlatform = 'express' | 'fastify'

/** A request or reply of either platform, as the handlers use them. */
type AnyRequest = Record<string, unknown> & { body?: unknown }
type AnyReply = object

/** The status of a passthrough reply, on either platform. */
function setStatus(reply: AnyReply, status: number): void {
  const fastify = reply as { code?: (status: number) => unknown }
  if (typeof fastify.code === 'function' && 'raw' in reply) fastify.code(status)
  else (reply as { status(status: number): unknown }).status(status)
}

/**
 * NestJS's `RequestMethod` for a spec's method. NestJS has no PURGE: that route is declared for
 * every method (the cases only send it PURGE).
 */
function requestMethod(method: RouteSpec['method']): RequestMethod {
  switch (method) {
    case 'GET':
      return RequestMethod.GET
    case 'POST':
      return RequestMethod.POST
    case 'PUT':
      return RequestMethod.PUT
    case 'PATCH':
      return RequestMethod.PATCH
    case 'DELETE':
      return RequestMethod.DELETE
    case 'OPTIONS':
      return RequestMethod.OPTIONS
    case 'PROPFIND':
      return RequestMethod.PROPFIND
    case 'PURGE':
    case 'ALL':
      return RequestMethod.ALL
  }
}

/** One route of a controller built from data. */
interface ControllerRoute {
  method: RouteSpec['method']
  path: string
  guards: CanActivate[]
  run: (request: AnyRequest, reply: AnyReply) => unknown
}

/**
 * A controller class with one method per route, declared with NestJS's decorator functions:
 * `@RequestMapping`, `@HttpCode(200)`, `@UseGuards`, `@Req()` and `@Res({ passthrough: true })`.
 */
function controllerOf(routes: readonly ControllerRoute[]): new () => object {
  class RoutesController {}
  const prototype = RoutesController.prototype as Record<string, unknown>
  routes.forEach((route, index) => {
    const key = `route${index}`
    const descriptor: PropertyDescriptor = {
      value: (request: AnyRequest, reply: AnyReply) => route.run(request, reply),
      writable: true,
      configurable: true,
    }
    Object.defineProperty(prototype, key, descriptor)
    RequestMapping({ path: route.path, method: requestMethod(route.method) })(
      prototype,
      key,
      descriptor,
    )
    // NestJS answers POST with 201 by default; the suite expects what the other drivers send.
    HttpCode(200)(prototype, key, descriptor)
    if (route.guards.length > 0) UseGuards(...route.guards)(prototype, key, descriptor)
    Req()(prototype, key, 0)
    Res({ passthrough: true })(prototype, key, 1)
  })
  Controller()(RoutesController)
  return RoutesController
}

/** A module of the controllers and providers, importing `AuthXModule` with the instance. */
function moduleOf(auth: AuthX, controllers: (new () => object)[], providers: unknown[] = []) {
  class AppModule {}
  Module({
    imports: [AuthXModule.forRoot(auth)],
    controllers,
    providers: providers as never[],
  })(AppModule)
  return AppModule
}

/** A NestJS application on the platform, without logs, whose connections close with it. */
async function createApp(
  platform: NestPlatform,
  module: new () => object,
): Promise<INestApplication> {
  const options = { logger: false as const, forceCloseConnections: true }
  if (platform === 'express') return NestFactory.create(module, new ExpressAdapter(), options)
  const adapter = new FastifyAdapter()
  // Fastify routes only the methods it knows, and NestJS's catch-all takes those: PURGE is added
  // before the routes are, as a Fastify application serving it would.
  adapter.getInstance().addHttpMethod('PURGE', { hasBody: true })
  return NestFactory.create<NestFastifyApplication>(module, adapter, options)
}

/** The application's `http://127.0.0.1:<port>` once it listens. */
async function listen(app: INestApplication): Promise<string> {
  await app.listen(0, '127.0.0.1')
  const { port } = (app.getHttpServer() as Server).address() as AddressInfo
  return `http://127.0.0.1:${port}`
}

/** Parses `application/*+json` bodies (and forms, which NestJS parses by default) as asked. */
function parseJSONSuffix(platform: NestPlatform, app: INestApplication): void {
  if (platform === 'express') {
    ;(app as unknown as { useBodyParser(type: string, options: object): void }).useBodyParser(
      'json',
      { type: ['application/json', 'application/*+json'] },
    )
    return
  }
  const fastify = app.getHttpAdapter().getInstance() as {
    addContentTypeParser(type: RegExp, options: object, parser: unknown): void
    getDefaultJsonParser(a: string, b: string): unknown
  }
  fastify.addContentTypeParser(
    /^application\/[^;]+\+json(;|$)/i,
    { parseAs: 'string' },
    fastify.getDefaultJsonParser('error', 'error'),
  )
}

/** A guard that is not AuthX's (the OpenAPI case's audit step). */
const audit: CanActivate = { canActivate: () => true }

/** Builds a NestJS driver on one platform. */
function nestDriver(platform: NestPlatform): AdapterDriver {
  const name = platform === 'express' ? 'nestjs-express' : 'nestjs-fastify'

  async function build(
    options: AuthXOptions,
    routes: RouteSpec[],
    extra: BuildExtra = {},
  ): Promise<TestApp> {
    const auth = new AuthX(options)
    extra.setup?.(auth)
    const runs = new Map<string, number>()
    const controller = controllerOf(
      routes.map((route) => {
        const spec = handlerOf(route)
        const guard = guardOf(auth, route.guard)
        return {
          method: route.method,
          path: route.path,
          guards: guard === undefined ? [] : [guard],
          run: (request, reply) => {
            runs.set(route.path, (runs.get(route.path) ?? 0) + 1)
            return runHandlerSpec<AnyRequest, AnyReply>(auth, spec, {
              request,
              reply,
              body: request.body,
              status: (code) => setStatus(reply, code),
            })
          },
        }
      }),
    )
    const app = await createApp(platform, moduleOf(auth, [controller]))
    if (extra.handleErrors === true) auth.handleErrors(app)
    if (extra.implicitRefresh === true) auth.implicitRefresh(app)
    if (extra.parseJSONSuffix === true) parseJSONSuffix(platform, app)
    const base = await listen(app)
    return {
      auth,
      request: async (req: TestRequest): Promise<TestResponse> =>
        testResponse(await fetch(fetchRequest(base, req))),
      handlerRuns: (path) => runs.get(path) ?? 0,
      close: () => app.close(),
    }
  }

  /** A gateway on `/ws` behind `auth.guardWebSockets(new WsAdapter(app))`, and `GET /plain`. */
  async function serveWebSocket(options: AuthXOptions): Promise<WebSocketApp> {
    const auth = new AuthX(options)
    let runs = 0
    class HelloGateway {
      handleConnection(client: { send(text: string): void }, request: object): void {
        runs++
        client.send(`hello ${auth.payload(request).sub}`)
      }
    }
    WebSocketGateway({ path: '/ws' })(HelloGateway)
    const plain = controllerOf([{ method: 'GET', path: '/plain', guards: [], run: () => 'ok' }])
    const app = await createApp(platform, moduleOf(auth, [plain], [HelloGateway]))
    app.useWebSocketAdapter(auth.guardWebSockets(new WsAdapter(app)))
    const base = await listen(app)
    return {
      auth,
      base: base.replace('http', 'ws'),
      handlerRuns: () => runs,
      close: () => app.close(),
    }
  }

  /** The document `@nestjs/swagger` makes, completed by `auth.applyOpenAPI(app, document)`. */
  async function openapiDocument(
    options: AuthXOptions,
    routes: OpenAPIRoute[],
  ): Promise<OpenAPIDocument> {
    const auth = new AuthX(options)
    const controller = controllerOf(
      routes.map((route) => {
        const guard = guardOf(auth, route.guard)
        return {
          method: route.method,
          path: route.path,
          guards: [
            ...(route.audit === true ? [audit] : []),
            ...(guard === undefined ? [] : [guard]),
          ],
          run: () => 'ok',
        }
      }),
    )
    const app = await createApp(platform, moduleOf(auth, [controller]))
    await app.init()
    const config = new DocumentBuilder().setTitle('t').setVersion('1').build()
    const document: OpenAPIObject = auth.applyOpenAPI(
      app,
      SwaggerModule.createDocument(app, config),
    )
    await app.close()
    return {
      securitySchemes: document.components?.securitySchemes,
      paths: document.paths as OpenAPIDocument['paths'],
    }
  }

  return {
    name,
    build,
    surface: () => Promise.resolve(surfaceOf(entry, new AuthX({ secretKey: 'x'.repeat(32) }))),
    implicitRefresh: true,
    // ws answers a refused handshake with the contract's status, headers and body.
    webSocket: { serve: serveWebSocket, refusalBody: true },
    openapi: {
      document: openapiDocument,
      binding: (options) => new AuthX(options),
      // Gateways are guarded at the handshake by the adapter, not by a route guard.
      webSocketGuard: false,
    },
  }
}

/** NestJS on `@nestjs/platform-express`. */
export const nestjsExpressDriver: AdapterDriver = nestDriver('express')

/** NestJS on `@nestjs/platform-fastify`. */
export const nestjsFastifyDriver: AdapterDriver = nestDriver('fastify')
