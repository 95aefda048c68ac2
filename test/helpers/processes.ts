/**
 * Ports and throw-away redis-server processes for tests that start servers of their own (failure
 * injection, several instances sharing one Redis).
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { connect, createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

/** A TCP port on 127.0.0.1 nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  server.close()
  await once(server, 'close')
  if (address === null || typeof address !== 'object') throw new Error('no port')
  return address.port
}

/**
 * Whether something accepts TCP connections on 127.0.0.1 at `port`.
 *
 * @param port - the port to try
 */
export async function accepts(port: number): Promise<boolean> {
  const socket = connect(port, '127.0.0.1')
  try {
    await once(socket, 'connect')
    return true
  } catch {
    return false
  } finally {
    socket.destroy()
  }
}

/**
 * Starts a redis-server that keeps nothing on disk and resolves once it accepts connections.
 *
 * @param port - the port to listen on
 * @throws Error when it does not start within 10 s
 */
export async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  )
  const deadline = Date.now() + 10_000
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`redis-server did not start on port ${port}`)
    }
    await sleep(20)
  }
  return child
}

/**
 * Kills a redis-server started by {@link startRedis} and waits for it to exit.
 *
 * @param child - the process, or undefined when none was started
 */
export async function stopRedis(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGKILL')
  await exited
}
