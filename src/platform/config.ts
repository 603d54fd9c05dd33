// The platform's settings from its environment: every FERRY_* variable the daemon honours is read HERE, once, when
// it starts (daemon.ts); every other part takes its value from the PlatformConfig it is handed. A bad value is a
// start error naming the variable, never a silent default. Not here: the git hook (git/hook.ts), which runs in git's
// child process and is handed its URL and secret through its environment by design.
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import type {PlatformConfig} from './context.js'

import {HEAD_TIMEOUT_MS} from './context.js'
import {packageRoot, resolveDataDir} from './paths.js'
import {routerConnectionLimit, routerEngine} from './router/index.js'

/** A variable the platform cannot honour; the message names it and says what it must be. */
export class PlatformConfigError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'PlatformConfigError'
  }
}

/** What is known only once the daemon runs: the token (run/token), the probed isolation, the bound ports. */
export type StartFacts = Pick<PlatformConfig, 'isolation' | 'port' | 'routerPort' | 'token'>

export interface PlatformEnv {
  /** Everything else in PlatformConfig, from the environment (defaults filled in). */
  config: Omit<PlatformConfig, keyof StartFacts>
  /** FERRY_PORT: the API port asked for (0 = any free port); undefined = the last one when free, else a free one. */
  port?: number
  /** FERRY_ROUTER_PORT, like `port`. */
  routerPort?: number
}

const ISOLATION_MODES = ['none', 'bwrap'] as const
const MB = 1024 * 1024

function nonNegative(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 0) throw new PlatformConfigError(`${name} must be a non-negative integer, got "${raw}".`)
  return n
}

/** A size or time where 0 makes no sense (a 0-byte slug limit, a 0 ms release phase). */
function positive(env: NodeJS.ProcessEnv, name: string, fallback: number): number
function positive(env: NodeJS.ProcessEnv, name: string): number | undefined
function positive(env: NodeJS.ProcessEnv, name: string, fallback?: number): number | undefined {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n <= 0) throw new PlatformConfigError(`${name} must be a positive integer, got "${raw}".`)
  return n
}

function port(env: NodeJS.ProcessEnv, name: string): number | undefined {
  if (env[name] === undefined || env[name] === '') return undefined
  const value = nonNegative(env, name, 0)
  if (value > 65_535) throw new PlatformConfigError(`${name} must be a port number (0-65535), got "${env[name]}".`)
  return value
}

function isolationForced(env: NodeJS.ProcessEnv): PlatformConfig['isolationForced'] {
  const raw = env.FERRY_ISOLATION
  if (raw === undefined || raw === '') return undefined
  if (!(ISOLATION_MODES as readonly string[]).includes(raw)) {
    throw new PlatformConfigError(`FERRY_ISOLATION must be one of ${ISOLATION_MODES.join(', ')} (or unset for the best this host supports), got "${raw}".`)
  }

  return raw as PlatformConfig['isolationForced']
}

function packageVersion(): string {
  try {
    // The package root by walking up: the daemon bundle (dist/daemon/) is not at this module's depth.
    return (JSON.parse(readFileSync(join(packageRoot(import.meta.url) ?? '', 'package.json'), 'utf8')) as {version: string}).version
  } catch {
    return '0.0.0'
  }
}

/** Reads and checks every FERRY_* variable of the platform (the README's table lists them with their defaults). */
export function loadPlatformConfig(env: NodeJS.ProcessEnv = process.env): PlatformEnv {
  let router
  try {
    router = routerEngine(env)
  } catch (error) {
    throw new PlatformConfigError((error as Error).message)
  }

  return {
    config: {
      bootTimeoutMs: nonNegative(env, 'FERRY_BOOT_TIMEOUT_MS', 60_000),
      buildLogsKept: nonNegative(env, 'FERRY_BUILD_LOGS_KEPT', 20),
      buildOutputMaxBytes: nonNegative(env, 'FERRY_BUILD_OUTPUT_MAX_BYTES', 20 * MB),
      buildOutputMemoryBytes: nonNegative(env, 'FERRY_BUILD_OUTPUT_MEMORY_BYTES', MB),
      buildTimeoutMs: nonNegative(env, 'FERRY_BUILD_TIMEOUT_MS', 15 * 60_000),
      dataDir: resolveDataDir(env),
      headTimeoutMs: nonNegative(env, 'FERRY_HEAD_TIMEOUT_MS', HEAD_TIMEOUT_MS),
      host: '127.0.0.1',
      isolationForced: isolationForced(env),
      logRetentionBytes: nonNegative(env, 'FERRY_LOG_RETENTION_BYTES', 64 * MB),
      logRetentionLines: nonNegative(env, 'FERRY_LOG_RETENTION_LINES', 100_000),
      logTotalBytes: nonNegative(env, 'FERRY_LOG_TOTAL_BYTES', 512 * MB),
      postgresBin: env.FERRY_POSTGRES_BIN || undefined,
      releaseTimeoutMs: positive(env, 'FERRY_RELEASE_TIMEOUT_MS', 60 * 60_000),
      restartBackoffBaseMs: nonNegative(env, 'FERRY_RESTART_BACKOFF_BASE_MS', 1000),
      restartBackoffMaxMs: nonNegative(env, 'FERRY_RESTART_BACKOFF_MAX_MS', 5 * 60_000),
      routerBinary: router.binary,
      routerEngine: router.engine,
      routerMaxConnections: nonNegative(env, 'FERRY_ROUTER_MAX_CONNECTIONS', routerConnectionLimit()),
      slugMaxBytes: positive(env, 'FERRY_SLUG_MAX_BYTES'),
      slugWarnBytes: positive(env, 'FERRY_SLUG_WARN_BYTES'),
      sourceMaxBytes: positive(env, 'FERRY_SOURCE_MAX_BYTES', 512 * MB),
      stopGraceMs: nonNegative(env, 'FERRY_STOP_GRACE_MS', 30_000),
      version: packageVersion(),
    },
    port: port(env, 'FERRY_PORT'),
    routerPort: port(env, 'FERRY_ROUTER_PORT'),
  }
}
