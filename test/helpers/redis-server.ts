/**
 * Throw-away Redis servers for the tests: a standalone server, a six-node Redis Cluster (three
 * masters, three replicas) and a Sentinel setup (master, replica, one sentinel), each on free
 * loopback ports, in a temporary directory, keeping nothing on disk (`--save ''`,
 * `--appendonly no`). The suite never touches a Redis it did not start, so nobody's data is at
 * risk and no server needs to be running beforehand.
 *
 * Every process started here is killed when the test process exits, even on a failure that skips
 * the test's own cleanup. `scripts/run-tests.mjs` starts one standalone server for the whole run
 * and passes its URL in `AUTHX_TEST_REDIS_URL`; a file run alone starts its own.
 */
import { spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { accepts, freePort } from './processes.ts'

/** The environment variable through which the test runner shares its server's URL. */
export const TEST_REDIS_URL_VARIABLE = 'AUTHX_TEST_REDIS_URL'

/** How long a server may take to accept connections on a loaded machine: a liveness bound. */
const START_WITHIN_MS = 15_000

const running = new Set<ChildProcess>()
const directories = new Set<string>()

// Synchronous on purpose: 'exit' handlers cannot await, and a leftover server would hold its port
// (and its memory) after the run.
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL')
  for (const directory of directories) rmSync(directory, { recursive: true, force: true })
})

let checked = false

/**
 * Fails with a message naming the Debian package when `redis-server` or `redis-cli` is missing,
 * instead of a bare `ENOENT` from the first spawn.
 *
 * @throws Error naming the package to install
 */
export function requireRedisBinaries(): void {
  if (checked) return
  for (const [binary, pkg] of [
    ['redis-server', 'redis-server'],
    ['redis-cli', 'redis-tools'],
  ] as const) {
    const probe = spawnSync(binary, ['--version'], { stdio: 'ignore' })
    if (probe.error !== undefined || probe.status !== 0) {
      throw new Error(
        `The Redis tests start their own ${binary}, which is not installed: ` +
          `install the Debian package ${pkg} (apt-get install ${pkg}).`,
      )
    }
  }
  checked = true
}

/** A redis-server process started by these helpers. */
export interface RedisProcess {
  /** Its port on 127.0.0.1. */
  readonly port: number
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string
  /** The process, for signals (`SIGSTOP` freezes it, `SIGCONT` thaws it). */
  readonly child: ChildProcess
  /** Kills it (`SIGKILL`, no shutdown save) and waits for it to exit. */
  stop(): Promise<void>
}

/** A fresh temporary directory, removed when the process exits. */
function temporaryDirectory(): string {
  const directory = mkdtempSync(join(tmpdir(), 'authx-redis-'))
  directories.add(directory)
  return directory
}

/** Kills one process and waits for it to exit. */
async function kill(child: ChildProcess): Promise<void> {
  running.delete(child)
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  // Unreferenced since its start; waiting for its exit must keep this process alive meanwhile.
  child.ref()
  // A frozen process must be thawed to act on anything but SIGKILL; SIGKILL works regardless.
  child.kill('SIGKILL')
  await exited
}

/**
 * Starts one redis-server and resolves once it accepts connections.
 *
 * @param args - extra arguments (a config file first, when there is one, then `--name value`s)
 * @param port - the port, or a free one
 * @throws Error when it does not start within the bound, with what it printed
 */
export async function startRedisServer(
  args: readonly string[] = [],
  port?: number,
): Promise<RedisProcess> {
  requireRedisBinaries()
  const chosen = port ?? (await freePort())
  const directory = temporaryDirectory()
  const [first, ...rest] = args
  // redis-server wants its config file as the first argument.
  const fileFirst = first !== undefined && !first.startsWith('--') ? [first] : []
  const options = fileFirst.length > 0 ? rest : args
  // Output goes to a file, not a pipe: a pipe (or the child itself) would keep the test process
  // alive after its last test, and the exit handler below is what stops the server.
  const log = join(directory, 'redis.log')
  const fd = openSync(log, 'w')
  const child = spawn(
    'redis-server',
    [
      ...fileFirst,
      ...['--port', String(chosen), '--bind', '127.0.0.1', '--dir', directory],
      ...['--save', '', '--appendonly', 'no'],
      ...options,
    ],
    { stdio: ['ignore', fd, fd] },
  )
  closeSync(fd)
  child.unref()
  running.add(child)
  const output = (): string => readFileSync(log, 'utf8').slice(-4000)
  const deadline = Date.now() + START_WITHIN_MS
  while (!(await accepts(chosen))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await kill(child)
      throw new Error(`redis-server did not start on port ${chosen}:\n${output()}`)
    }
    await sleep(20)
  }
  return { port: chosen, url: `redis://127.0.0.1:${chosen}`, child, stop: () => kill(child) }
}

let shared: Promise<string> | undefined

/**
 * The URL of the standalone server the tests share: the runner's (`AUTHX_TEST_REDIS_URL`), or one
 * started for this process when a file runs alone. Tests keep apart by random key prefixes.
 */
export function testRedisUrl(): Promise<string> {
  const given = process.env[TEST_REDIS_URL_VARIABLE]
  if (given !== undefined && given !== '') return Promise.resolve(given)
  shared ??= startRedisServer().then((server) => server.url)
  return shared
}

/** The host and port of a node, as ioredis takes seeds and sentinels. */
export interface HostPort {
  readonly host: string
  readonly port: number
}

/** A running Redis Cluster of six nodes: three masters, each with one replica. */
export interface RedisClusterProcesses {
  /** Every node, masters and replicas. */
  readonly nodes: readonly RedisProcess[]
  /** Seed nodes for `new Cluster(seeds)`. */
  readonly seeds: readonly HostPort[]
  /** The node serving `key` as master right now. */
  masterOf(key: string): Promise<RedisProcess>
  /** Kills every node. */
  stop(): Promise<void>
}

/** Runs `redis-cli` and resolves with what it printed; rejects on a non-zero exit. */
async function redisCli(args: readonly string[]): Promise<string> {
  const child = spawn('redis-cli', args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const [code] = (await once(child, 'exit')) as [number | null]
  if (code !== 0) throw new Error(`redis-cli ${args.join(' ')} failed:\n${output}`)
  return output
}

/** Waits until `check` holds, polling; throws with `what` past the bound. */
async function waitFor(what: string, check: () => Promise<boolean>, withinMs = 30_000) {
  const deadline = Date.now() + withinMs
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(50)
  }
}

/** One-shot command on a node, on a connection of its own. */
async function ask(port: number, ...command: [string, ...(string | number)[]]): Promise<unknown> {
  const client = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0 })
  client.on('error', () => {})
  try {
    await client.connect()
    return await client.call(...command)
  } finally {
    client.disconnect()
  }
}

/**
 * Starts six `--cluster-enabled` servers on loopback (bus ports chosen free too), joins them with
 * `redis-cli --cluster create --cluster-replicas 1`, and resolves once every node reports
 * `cluster_state:ok`. A node timeout of three seconds makes a failover take a few seconds, and is long enough
 * that a starved machine does not set one off by mistake.
 *
 * @throws Error when the cluster does not form in time
 */
export async function startRedisCluster(): Promise<RedisClusterProcesses> {
  const nodes: RedisProcess[] = []
  try {
    for (let i = 0; i < 6; i++) {
      const busPort = await freePort()
      nodes.push(
        await startRedisServer([
          ...['--cluster-enabled', 'yes', '--cluster-port', String(busPort)],
          ...['--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '3000'],
          // A replica must take over even when it lost the link a moment before the master died.
          ...['--cluster-replica-validity-factor', '0'],
        ]),
      )
    }
    await redisCli([
      '--cluster',
      'create',
      ...nodes.map((node) => `127.0.0.1:${node.port}`),
      '--cluster-replicas',
      '1',
      '--cluster-yes',
    ])
    for (const node of nodes) {
      await waitFor(`cluster_state:ok on ${node.port}`, async () => {
        const info = String(await ask(node.port, 'CLUSTER', 'INFO'))
        return info.includes('cluster_state:ok')
      })
    }
    // Every replica must be attached before a test may count on it (WAIT 1).
    for (const node of nodes) {
      await waitFor(`replication on ${node.port}`, async () => {
        const info = String(await ask(node.port, 'INFO', 'replication'))
        return info.includes('role:slave')
          ? info.includes('master_link_status:up')
          : info.includes('connected_slaves:1')
      })
    }
  } catch (error) {
    await Promise.all(nodes.map((node) => node.stop()))
    throw error
  }
  return {
    nodes,
    seeds: nodes.slice(0, 3).map((node) => ({ host: '127.0.0.1', port: node.port })),
    async masterOf(key) {
      const live = nodes.filter(
        (node) => node.child.exitCode === null && node.child.signalCode === null,
      )
      const [any] = live
      if (any === undefined) throw new Error('no node is running')
      const slot = Number(await ask(any.port, 'CLUSTER', 'KEYSLOT', key))
      for (const node of live) {
        const role = (await ask(node.port, 'ROLE')) as unknown[]
        if (role[0] !== 'master') continue
        const slots = (await ask(node.port, 'CLUSTER', 'SLOTS')) as [number, number, unknown[]][]
        for (const [from, to, owner] of slots) {
          if (slot >= from && slot <= to && Number(owner[1]) === node.port) return node
        }
      }
      throw new Error(`no live master serves ${key}`)
    },
    stop: async () => {
      await Promise.all(nodes.map((node) => node.stop()))
    },
  }
}

/**
 * A running Sentinel setup: one master, two replicas, one sentinel watching them. Two replicas, so
 * that one is left to acknowledge writes (`WAIT 1`) after the other has been promoted.
 */
export interface RedisSentinelProcesses {
  /** The master's name, as `REDIS_SENTINEL_MASTER`. */
  readonly name: string
  readonly master: RedisProcess
  readonly replicas: readonly RedisProcess[]
  readonly sentinel: RedisProcess
  /** The sentinels, for `new Redis({ sentinels, name })`. */
  readonly sentinels: readonly HostPort[]
  /** The port of the current master, as the sentinel sees it. */
  currentMasterPort(): Promise<number>
  /** Kills every process. */
  stop(): Promise<void>
}

/**
 * Starts a master, two replicas of it and a sentinel (`redis-server --sentinel`, which is what
 * Debian's `redis-sentinel` runs) with quorum 1 and a three-second down-after, so that a
 * failover after the master dies takes a few seconds (and a starved machine does not start one).
 *
 * @param name - the master's name
 */
export async function startRedisSentinel(name = 'authx'): Promise<RedisSentinelProcesses> {
  const started: RedisProcess[] = []
  try {
    const master = await startRedisServer()
    started.push(master)
    const replicas: RedisProcess[] = []
    for (let i = 0; i < 2; i++) {
      const replica = await startRedisServer(['--replicaof', '127.0.0.1', String(master.port)])
      started.push(replica)
      replicas.push(replica)
      await waitFor('the replica to sync', async () => {
        const info = String(await ask(replica.port, 'INFO', 'replication'))
        return info.includes('master_link_status:up')
      })
    }
    // Sentinel rewrites its config file, so it gets one of its own in a temporary directory.
    const config = join(temporaryDirectory(), 'sentinel.conf')
    writeFileSync(
      config,
      [
        `sentinel monitor ${name} 127.0.0.1 ${master.port} 1`,
        `sentinel down-after-milliseconds ${name} 3000`,
        `sentinel failover-timeout ${name} 10000`,
        `sentinel parallel-syncs ${name} 1`,
        '',
      ].join('\n'),
    )
    const sentinel = await startRedisServer([config, '--sentinel'])
    started.push(sentinel)
    await waitFor('the sentinel to find the replicas', async () => {
      const known = (await ask(sentinel.port, 'SENTINEL', 'REPLICAS', name)) as unknown[]
      return known.length === 2
    })
    return {
      name,
      master,
      replicas,
      sentinel,
      sentinels: [{ host: '127.0.0.1', port: sentinel.port }],
      async currentMasterPort() {
        const reply = (await ask(
          sentinel.port,
          'SENTINEL',
          'GET-MASTER-ADDR-BY-NAME',
          name,
        )) as string[]
        return Number(reply[1])
      },
      stop: async () => {
        await Promise.all(started.map((server) => server.stop()))
      },
    }
  } catch (error) {
    await Promise.all(started.map((server) => server.stop()))
    throw error
  }
}
