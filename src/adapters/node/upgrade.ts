/**
 * WebSocket upgrades on a raw Node server, for any Node framework: the upgrade request never
 * reaches the framework (Express, Koa), so it is authenticated on the server's `'upgrade'` event
 * and refused on the raw socket.
 */
import { STATUS_CODES } from 'node:http'
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { AuthX as CoreAuthX } from '../../authx.ts'
import { isAuthXError } from '../../errors.ts'
import type { CustomClaims, TokenPayload } from '../../token/payload.ts'
import { NodeRequestView } from './view.ts'

/**
 * The part of a `ws` `WebSocketServer` (created with `noServer: true`) that `webSocketUpgrade`
 * uses; typed structurally so the adapters do not depend on `ws`.
 */
export interface WebSocketServerLike<Client = unknown> {
  /** Completes the handshake on the raw socket. */
  handleUpgrade(
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    callback: (client: Client, request: IncomingMessage) => void,
  ): void
  /** `wss.emit('connection', ws, req)`, which `ws` leaves to the caller in `noServer` mode. */
  emit(event: 'connection', client: Client, request: IncomingMessage): boolean
}

/** A Node server `'upgrade'` listener. */
export type UpgradeListener = (request: IncomingMessage, socket: Duplex, head: Buffer) => void

/** Header values go out verbatim on the raw socket: never let one split the response. */
function headerValue(value: string): string {
  return value.replace(/[\r\n]+/g, ' ')
}

/**
 * Authenticates an upgrade request with the WebSocket rule (`authenticateWebSocket`: the query
 * parameter, then the header) and attaches the payload to the request.
 *
 * @param auth - the AuthX instance
 * @param req - the raw Node request of the `'upgrade'` event
 * @param attach - puts the payload on the request, for the binding's `auth.payload(req)`
 * @returns the verified payload
 * @throws AuthXError subclasses (401, or 503 when a store is down)
 */
export async function authenticateUpgrade<Extra extends CustomClaims = CustomClaims>(
  auth: CoreAuthX,
  req: IncomingMessage,
  attach: (req: IncomingMessage, payload: TokenPayload) => void,
): Promise<TokenPayload<Extra>> {
  const payload = await auth.authenticateWebSocket<Extra>(new NodeRequestView(req))
  attach(req, payload)
  return payload
}

/**
 * Refuses an upgrade on the raw socket: an HTTP/1.1 response with the error contract's status,
 * headers and JSON body, then the socket is closed. Any error that is not AuthX's becomes a bare
 * 500, without its details. It never throws, even on a socket the client already reset.
 *
 * @param auth - the AuthX instance (its error rendering)
 * @param socket - the socket of the `'upgrade'` event
 * @param error - what the authentication threw
 */
export function rejectUpgrade(auth: CoreAuthX, socket: Duplex, error: unknown): void {
  // A reset client must not crash the process with an unhandled 'error' event.
  socket.on('error', () => socket.destroy())
  if (socket.destroyed) return
  if (!socket.writable) {
    socket.destroy()
    return
  }
  const { status, headers, body } = isAuthXError(error)
    ? auth.renderError(error)
    : {
        status: 500,
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'cache-control': 'no-store',
        },
        body: { [auth.config.errorMessageKey]: 'Internal Server Error' },
      }
  const text = JSON.stringify(body)
  const head = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`]
  for (const [name, value] of Object.entries(headers)) head.push(`${name}: ${headerValue(value)}`)
  head.push(`content-length: ${Buffer.byteLength(text)}`, 'connection: close')
  // Destroyed once the response is flushed, as `ws` does when it aborts a handshake.
  socket.once('finish', () => socket.destroy())
  socket.end(`${head.join('\r\n')}\r\n\r\n${text}`)
}

/**
 * An `'upgrade'` listener for a `ws` server in `noServer` mode: it authenticates every upgrade,
 * completes the handshake and emits `'connection'`, or refuses it.
 *
 * @param wss - `new WebSocketServer({ noServer: true })`
 * @param authenticate - authenticates (and attaches), rejecting with the error to answer
 * @param reject - answers an error on the raw socket
 * @returns the listener for `server.on('upgrade', ...)`
 */
export function webSocketUpgrade<Client>(
  wss: WebSocketServerLike<Client>,
  authenticate: (req: IncomingMessage) => Promise<unknown>,
  reject: (socket: Duplex, error: unknown) => void,
): UpgradeListener {
  return (req, socket, head) => {
    // A reset while the token is checked must not crash the process; `ws` adds its own
    // listener once it takes the socket over.
    const onError = (): void => {
      socket.destroy()
    }
    socket.on('error', onError)
    authenticate(req)
      .then(() => {
        socket.off('error', onError)
        wss.handleUpgrade(req, socket, head, (client) => wss.emit('connection', client, req))
      })
      .catch((error: unknown) => {
        reject(socket, error)
      })
  }
}
