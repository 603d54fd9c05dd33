// Daemon lifecycle: lock, token, ports, the PlatformContext, listen, discovery file, graceful stop.
// `startPlatform()` runs in-process (tests, `ferry platform:start --foreground`); main.ts wraps it for the background daemon.
import type {AddressInfo} from 'node:net'

import {createServer, type Server} from 'node:http'

import {randomBytes} from 'node:crypto'
import {chmodSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {dirname} from 'node:path'

import type {DaemonInfo} from '../api/types.js'
import type {PlatformConfig, PlatformContext} from './context.js'
import {HEAD_TIMEOUT_MS} from './context.js'

import {LazyAddons} from './addons/lazy.js'
import {loadPlatformConfig, PlatformConfigError, type PlatformEnv} from './config.js'
import {recoverInterruptedBuilds} from './deploy/recover.js'
import {detectIsolation} from './isolation.js'
import {createFileLogService} from './logs/index.js'
import {platformDirs, platformPaths, type PlatformPaths} from './paths.js'
import {type PortReservation, probePort, reservePort} from './ports.js'
import {loadOnce} from './load-once.js'
import {isRunning, processStartTime} from './proc.js'
import {ReleaseService} from './releases/index.js'
import {startRouter as startHttpRouter} from './router/index.js'
import {certificateDir, ensureCertificate} from './run/tls.js'
import {buildServer} from './server/index.js'
import {acceptTls} from './server/tls.js'
import {Store} from './store/index.js'
import {createSupervisor} from './supervisor/index.js'
import {isoTimestamp} from './time.js'

export interface StartOptions {
  /** Data dir (default: from env FERRY_HOME / XDG). */
  dataDir?: string
  env?: NodeJS.ProcessEnv
  /** API port (0 = any free port); default FERRY_PORT, else the port remembered in run/port when free. */
  port?: number
  /** Router port; default FERRY_ROUTER_PORT, else run/router-port when free. */
  routerPort?: number
}

export interface RunningPlatform {
  close(): Promise<void>
  ctx: PlatformContext
  info: DaemonInfo
  server: Server
}

/** A startup failure with a one-line message for the operator (e.g. another daemon holds the lock). */
export class PlatformStartError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'PlatformStartError'
  }
}

/** Whether the lock's owner (`<pid> [<start time>]`) is still running (a zombie or a reused pid is not). */
function lockOwnerAlive(content: string): {alive: boolean; pid?: number} {
  const [pidText, started] = content.trim().split(/\s+/)
  const pid = Number.parseInt(pidText, 10)
  return isRunning(pid, started) ? {alive: true, pid} : {alive: false}
}

/** Takes run/daemon.lock (O_EXCL, pid + start time inside). A lock whose process is gone is stale and replaced; a live one → error. */
export function acquireLock(lockPath: string): () => void {
  const mine = `${process.pid} ${processStartTime(process.pid) ?? ''}`.trim()
  for (let attempt = 0; attempt < 5; attempt++) {
    // Written aside, then hard-linked into place: link() is atomic and fails if the lock exists, so no reader sees a half-written lock.
    const tmp = `${lockPath}.${process.pid}.tmp`
    writeFileSync(tmp, `${mine}\n`, {mode: 0o600})
    try {
      linkSync(tmp, lockPath)
      return () => {
        try {
          if (readFileSync(lockPath, 'utf8').trim() === mine) rmSync(lockPath, {force: true})
        } catch {}
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    } finally {
      rmSync(tmp, {force: true})
    }

    let content = ''
    try {
      content = readFileSync(lockPath, 'utf8')
    } catch {}

    const owner = lockOwnerAlive(content)
    if (owner.alive) {
      throw new PlatformStartError(`Another ferry platform (pid ${owner.pid}) is already running on ${dirname(dirname(lockPath))}; stop it with "ferry platform:stop" first.`)
    }

    // Stale (process gone, or its pid reused) or half-written lock: replace it. A lost race just loops once more.
    rmSync(lockPath, {force: true})
  }

  throw new PlatformStartError(`Could not take the platform lock ${lockPath}; remove it if no ferry daemon is running.`)
}

/** The platform token (run/token, 0600); generated (32 random bytes, hex) on first start. */
export function ensureToken(tokenPath: string): string {
  try {
    const token = readFileSync(tokenPath, 'utf8').trim()
    if (token) {
      chmodSync(tokenPath, 0o600)
      return token
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }

  const token = randomBytes(32).toString('hex')
  writeFileSync(tokenPath, `${token}\n`, {mode: 0o600})
  chmodSync(tokenPath, 0o600)
  return token
}

function readPortFile(file: string): number | undefined {
  try {
    const port = Number.parseInt(readFileSync(file, 'utf8').trim(), 10)
    return Number.isInteger(port) && port > 0 && port <= 65_535 ? port : undefined
  } catch {
    return undefined
  }
}

/** Explicit port as given (0 = free); otherwise the remembered one if still free, else a fresh free one. Remembered in `file`. */
async function choosePort(explicit: number | undefined, file: string): Promise<number> {
  if (explicit !== undefined) return explicit
  const remembered = readPortFile(file)
  if (remembered !== undefined) {
    try {
      return await probePort(remembered)
    } catch {}
  }

  return probePort(0)
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening)
      reject(error.code === 'EADDRINUSE' ? new PlatformStartError(`Port ${port} on ${host} is already in use; set FERRY_PORT to another port (0 = any free port).`) : error)
    }

    const onListening = () => {
      server.off('error', onError)
      resolve((server.address() as AddressInfo).port)
    }

    server.once('error', onError)
    server.once('listening', onListening)
    server.listen(port, host)
  })
}

function writePrivateFile(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`
  writeFileSync(tmp, text, {mode: 0o600})
  renameSync(tmp, file)
}

/** The router's port: explicit as given (0 = any free port), else the remembered one when free, else a free one; held until the router binds it. */
async function reserveRouterPort(explicit: number | undefined, file: string): Promise<PortReservation> {
  if (explicit !== undefined) {
    return reservePort(explicit).catch((error: NodeJS.ErrnoException) => {
      throw error.code === 'EADDRINUSE' ? new PlatformStartError(`Port ${explicit} on 127.0.0.1 is already in use; set FERRY_ROUTER_PORT to another port (0 = any free port).`) : error
    })
  }

  const remembered = readPortFile(file)
  if (remembered !== undefined) {
    try {
      return await reservePort(remembered)
    } catch {}
  }

  return reservePort(0)
}

/**
 * The PlatformContext, built here once and complete: each part gets the parts it needs, none a half-built context.
 * Their shutdowns join `cleanups` (run in reverse). `stop()` aborts ctx.stopping.
 */
function buildContext(config: PlatformConfig, paths: PlatformPaths, cleanups: Array<() => Promise<void> | void>): {addons: LazyAddons; ctx: PlatformContext; stop: () => void} {
  const store = new Store({dataDir: config.dataDir, dbPath: paths.db})
  cleanups.push(() => store.close())
  const logs = createFileLogService(config)
  cleanups.push(() => logs.close())
  const desired = (appId: string) => store.desired(appId)
  // Dyno sandboxes within the platform's decision (config.isolation) and the operator's (config.isolationForced).
  const supervisor = createSupervisor({config, desired, logs, store})
  cleanups.push(() => supervisor.shutdown())
  const releases = new ReleaseService({config, logs, paths, store, supervisor})
  const addons = new LazyAddons({config, paths, releases, store})
  // Stopped after the dynos (cleanups run in reverse), so apps never see their database go first.
  cleanups.splice(-1, 0, () => addons.loaded?.shutdown())
  const stopping = new AbortController()
  const ctx: PlatformContext = {
    addons,
    config,
    deploy: loadOnce(async () => new (await import('./deploy/index.js')).DeployService(ctx)),
    desired,
    git: loadOnce(async () => new (await import('./git/push.js')).GitService(ctx)),
    logs,
    paths,
    releases,
    stopping: stopping.signal,
    store,
    supervisor,
  }
  return {addons, ctx, stop: () => stopping.abort()}
}

/** Starts the platform in this process: returns once the API listens and run/daemon.json is written. */
export async function startPlatform(options: StartOptions = {}): Promise<RunningPlatform> {
  let settings: PlatformEnv
  try {
    settings = loadPlatformConfig(options.env ?? process.env)
  } catch (error) {
    throw error instanceof PlatformConfigError ? new PlatformStartError(error.message) : error
  }

  const dataDir = options.dataDir ?? settings.config.dataDir
  const paths: PlatformPaths = platformPaths(dataDir)
  for (const dir of platformDirs(paths)) mkdirSync(dir, {recursive: true})
  chmodSync(paths.run, 0o700)

  const explicitPort = options.port ?? settings.port
  const explicitRouterPort = options.routerPort ?? settings.routerPort
  const releaseLock = acquireLock(paths.lock)
  const cleanups: Array<() => Promise<void> | void> = [releaseLock]
  const runCleanups = async () => {
    for (const fn of cleanups.reverse()) {
      try {
        await fn()
      } catch (error) {
        console.error('[ferry] shutdown step failed:', error)
      }
    }

    cleanups.length = 0
  }

  try {
    const token = ensureToken(paths.token)
    const isolation = detectIsolation(settings.config.isolationForced)
    // The ports come first, so the config is complete before anything is built from it. The router's port stays
    // reserved (bound) until the router binds it, so the API server cannot take it.
    const routerPort = await reserveRouterPort(explicitRouterPort, paths.routerPortFile)
    cleanups.push(() => routerPort.release())
    // HTTPS too, on the same port (the official CLI's git remotes are https://127.0.0.1:PORT/APP.git).
    const server = createServer()
    const tlsMaterial = ensureCertificate(certificateDir(dataDir))
    acceptTls(server, {firstByteTimeoutMs: settings.config.headTimeoutMs ?? HEAD_TIMEOUT_MS, material: tlsMaterial})
    const port = await listen(server, await choosePort(explicitPort, paths.portFile), settings.config.host)
    const closeServer = () =>
      new Promise<void>(resolve => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    // From here to buildServer() nothing awaits: the request handler is in place before a request can be read.
    let built: ReturnType<typeof buildContext>
    try {
      built = buildContext({...settings.config, dataDir, isolation, port, routerPort: routerPort.port, token}, paths, cleanups)
    } catch (error) {
      await closeServer()
      throw error
    }

    // Closed before the dynos stop (cleanups run in reverse), as every other part still works while it drains.
    cleanups.push(closeServer)
    const {addons, ctx, stop} = built
    const interrupted = recoverInterruptedBuilds(ctx)
    if (interrupted > 0) console.error(`[ferry] marked ${interrupted} interrupted build(s) as failed`)
    const startedAt = isoTimestamp()
    buildServer(ctx, {server, startedAt})
    writePrivateFile(paths.portFile, `${port}\n`)

    await routerPort.release()
    const router = await startHttpRouter(ctx)
    cleanups.push(() => router.close())
    writePrivateFile(paths.routerPortFile, `${routerPort.port}\n`)

    // Add-on servers before the dynos and before clients find the platform: a started platform serves its databases
    // (URLs updated if a port had to move). Each server waits at most 30 s; a failure is logged, not fatal. Without
    // add-ons the manager is not even loaded.
    if (addons.any()) {
      await addons
        .manager()
        .then(manager => manager.startExisting())
        .catch(error => console.error('[ferry] starting add-on servers failed:', error))
    }

    ctx.supervisor.convergeAll().catch(error => console.error('[ferry] initial converge failed:', error))

    const {config} = ctx
    const info: DaemonInfo = {
      dataDir,
      isolation: config.isolation,
      pid: process.pid,
      pidStart: processStartTime(process.pid),
      port: config.port,
      routerPort: config.routerPort,
      startedAt,
      url: `http://${config.host}:${config.port}`,
      version: config.version,
    }
    // Clients that find us may ask for the certificate at once (ferry heroku:env): it exists before they can.
    await tlsMaterial
    writePrivateFile(paths.daemonInfo, `${JSON.stringify(info, null, 2)}\n`)
    cleanups.push(
      // Before the API server closes its connections: open log tails are told the platform stopped (they end, saying so).
      async () => {
        stop()
        await new Promise(resolve => setImmediate(resolve))
      },
      // Runs first on close (cleanups run in reverse): clients stop finding us before we stop answering.
      () => {
        try {
          if ((JSON.parse(readFileSync(paths.daemonInfo, 'utf8')) as DaemonInfo).pid === process.pid) rmSync(paths.daemonInfo, {force: true})
        } catch {}
      },
    )

    let closing: Promise<void> | undefined
    return {
      close() {
        closing ??= runCleanups()
        return closing
      },
      ctx,
      info,
      server,
    }
  } catch (error) {
    await runCleanups()
    throw error
  }
}
