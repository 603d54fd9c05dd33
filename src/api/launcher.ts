// Finds, starts and stops the local platform daemon. The only module of api/ that reaches into platform/.
import {spawn} from 'node:child_process'
import fs from 'node:fs'
import {fileURLToPath} from 'node:url'

import type {DaemonInfo, PlatformStatus} from './types.js'

import {isRunning, ownsListener} from '../platform/proc.js'
import {BackendError} from './errors.js'
import {daemonFiles, dataDir as resolveDataDir} from './paths.js'

type Env = NodeJS.ProcessEnv

export interface RunningDaemon {info: DaemonInfo; token: string; url: string}

export interface EnsureOptions {
  env?: Env
  /** Called with the URL when this invocation started the daemon (the CLI prints one line). */
  onStarted?: (url: string) => void
  /** Give up after this long (default 15 s). */
  timeoutMs?: number
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms))

/**
 * Whether the daemon of this discovery file is still that process: alive, not a zombie (killed under a parent that has
 * not reaped it yet), and not a reused pid.
 */
export function daemonRunning(info: DaemonInfo): boolean {
  return isRunning(info.pid, info.pidStart)
}

/** Whether the daemon of this discovery file is running and is the process listening on `port` (see ownsListener). */
export function daemonListening(info: DaemonInfo, port: number): boolean {
  return Number.isInteger(port) && port > 0 && ownsListener(info.pid, info.pidStart, port)
}

export function readDaemonInfo(data: string): DaemonInfo | undefined {
  try {
    return JSON.parse(fs.readFileSync(daemonFiles(data).info, 'utf8')) as DaemonInfo
  } catch {
    return undefined
  }
}

export function readToken(data: string): string | undefined {
  try {
    return fs.readFileSync(daemonFiles(data).token, 'utf8').trim() || undefined
  } catch {
    return undefined
  }
}

/**
 * GET /ferry/status of a daemon; undefined when it does not answer 200 within timeoutMs. (node:http: undici costs
 * 150+ ms to import, see client.ts; one short request on a fresh connection.)
 */
export async function fetchStatus(url: string, token: string, timeoutMs = 3000): Promise<PlatformStatus | undefined> {
  try {
    const base = new URL(url)
    const {request} = base.protocol === 'https:' ? await import('node:https') : await import('node:http')
    return await new Promise<PlatformStatus | undefined>(resolve => {
      const req = request(
        {
          agent: false,
          headers: {accept: 'application/vnd.heroku+json; version=3', authorization: `Bearer ${token}`, connection: 'close'},
          host: base.hostname.replace(/^\[(.*)]$/, '$1'),
          path: `${base.pathname.replace(/\/$/, '')}/ferry/status`,
          port: base.port || undefined,
          timeout: timeoutMs,
        },
        res => {
          const chunks: Buffer[] = []
          res.on('data', (chunk: Buffer) => chunks.push(chunk))
          res.on('error', () => resolve(undefined))
          res.on('end', () => {
            if (res.statusCode !== 200) return resolve(undefined)
            try {
              resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as PlatformStatus)
            } catch {
              resolve(undefined)
            }
          })
        },
      )
      req.on('timeout', () => req.destroy(new Error('timeout')))
      req.on('error', () => resolve(undefined))
      req.end()
    })
  } catch {
    return undefined
  }
}

/** The running daemon of a data dir, if its pid is alive and it answers /ferry/status. */
export async function findDaemon(data: string): Promise<(RunningDaemon & {status: PlatformStatus}) | undefined> {
  const info = readDaemonInfo(data)
  const token = readToken(data)
  if (!info || !token || !daemonRunning(info)) return undefined
  const status = await fetchStatus(info.url, token)
  return status ? {info, status, token, url: info.url} : undefined
}

/** Whether a live process holds the daemon's lock (`run/daemon.lock`, `<pid> [start time]`). */
function lockHeld(data: string): boolean {
  try {
    const [pid, start] = fs.readFileSync(daemonFiles(data).lock, 'utf8').trim().split(/\s+/)
    return isRunning(Number.parseInt(pid, 10), start)
  } catch {
    return false
  }
}

/** Path of the daemon's entry point (main.js beside this build, main.ts when running the sources under tsx). */
export function daemonEntry(): string {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js'
  return fileURLToPath(new URL(`../platform/main${ext}`, import.meta.url))
}

/** Returns the running daemon, starting one in the background (detached) when there is none. */
export async function ensureDaemon(options: EnsureOptions = {}): Promise<RunningDaemon> {
  const env = options.env ?? process.env
  const data = resolveDataDir(env)
  const running = await findDaemon(data)
  if (running) return running

  const files = daemonFiles(data)
  fs.mkdirSync(files.run, {recursive: true})
  const log = fs.openSync(files.log, 'a')
  const child = spawn(process.execPath, [...process.execArgv, daemonEntry()], {detached: true, env, stdio: ['ignore', log, log]})
  fs.closeSync(log)
  let exit: null | number | string = null
  child.on('exit', (code, signal) => {
    exit = code ?? signal
  })
  child.on('error', error => {
    exit = error.message
  })
  child.unref()

  // A concurrent CLI may have spawned one too: the daemon's lock lets one win; we wait for whichever writes daemon.json.
  const timeoutMs = options.timeoutMs ?? (Number(env.FERRY_DAEMON_START_TIMEOUT) * 1000 || 15_000)
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    await sleep(100)
    const found = await findDaemon(data)
    if (found) {
      if (found.info.pid === child.pid) options.onStarted?.(found.url)
      return found
    }

    // Ours exited and no other daemon holds the lock: it failed to start, no point in waiting.
    if (exit !== null && !lockHeld(data)) {
      await sleep(300)
      if (!(await findDaemon(data))) break
    }
  }

  const why = exit === null ? `it did not answer within ${Math.round(timeoutMs / 1000)} s` : `it exited (${exit})`
  throw new BackendError(`could not start the local platform: ${why}; see ${files.log}`)
}

/** Stops the daemon of the current data dir (SIGTERM, then waits up to `timeoutMs`). */
export async function stopDaemon(env: Env = process.env, timeoutMs = 40_000): Promise<{pid?: number; stopped: boolean}> {
  const info = readDaemonInfo(resolveDataDir(env))
  if (!info || !daemonRunning(info)) return {stopped: false}
  try {
    process.kill(info.pid, 'SIGTERM')
  } catch {
    return {stopped: false}
  }

  const deadline = Date.now() + timeoutMs
  while (daemonRunning(info)) {
    if (Date.now() > deadline) throw new BackendError(`the local platform (pid ${info.pid}) did not stop within ${Math.round(timeoutMs / 1000)} s`)
    await sleep(100)
  }

  return {pid: info.pid, stopped: true}
}

export interface ForegroundPlatform {close(): Promise<void>; info: DaemonInfo}

/** Runs the platform inside this process (`ferry platform:start --foreground`); loaded only then. */
export async function startForeground(options: {dataDir?: string; port?: number; routerPort?: number}): Promise<ForegroundPlatform> {
  // The launcher is the one allowed bridge api/ → platform/ (ARCHITECTURE.md); the lint zone's `except` cannot express it.
  // eslint-disable-next-line import/no-restricted-paths
  const {startPlatform} = await import('../platform/daemon.js')
  return startPlatform(options)
}
