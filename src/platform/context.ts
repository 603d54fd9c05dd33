// The seams between the local platform's parts. The daemon builds one PlatformContext and hands it to the
// server, the deploy pipeline, the supervisor and the router; tests build one with fakes where they need to.
import type {ConfigVars, Dyno, ProcessTypes} from '../api/types.js'
import type {AddonManager} from './addons/manager.js'
import type {DeployService} from './deploy/index.js'
import type {GitService} from './git/push.js'
import type {PlatformPaths} from './paths.js'
import type {ReleaseService} from './releases/index.js'
import type {Store} from './store/index.js'

/** Default of PlatformConfig.headTimeoutMs (FERRY_HEAD_TIMEOUT_MS). */
export const HEAD_TIMEOUT_MS = 15_000

export interface PlatformConfig {
  /** Build logs kept per app: older builds' output files are deleted (default 20). */
  buildLogsKept?: number
  /** Build output kept on disk and shown per build; past it a notice and the last lines (default 20 MB). */
  buildOutputMaxBytes?: number
  /** Build output replayed from memory to readers joining a running build (default 1 MB). */
  buildOutputMemoryBytes?: number
  /** Build time limit (default 15 min). */
  buildTimeoutMs: number
  /** Web dynos must accept on $PORT within this time (default 60 s, Heroku's R10). */
  bootTimeoutMs: number
  /** Root of all platform state: ferry.db, repos/, slugs/, releases/, cache/, logs/, run/. */
  dataDir: string
  /** Loopback address everything listens on. */
  host: '127.0.0.1'
  /** 'bwrap' when bubblewrap is usable, else 'none'. */
  isolation: 'bwrap' | 'none'
  /**
   * FERRY_ISOLATION as asked: 'none' runs builds, dynos and the router without bwrap; 'bwrap' keeps dynos off the
   * overlay (read-only /app) even where it works; unset: the best this host supports (any other value: a start error).
   */
  isolationForced?: 'bwrap' | 'none'
  /** Bytes of log history kept per app on disk (default 64 MB). */
  logRetentionBytes?: number
  /** Lines of log history kept per app (size-based rotation). */
  logRetentionLines: number
  /** Bytes of log history on disk for all apps together (default 512 MB). */
  logTotalBytes?: number
  /** Directory of initdb/postgres/pg_dump for add-ons (FERRY_POSTGRES_BIN); unset = the newest /usr/lib/postgresql/N/bin. */
  postgresBin?: string
  /** API port: the daemon binds it before building the context, so this is the bound port. */
  port: number
  /** A release command is stopped after this time and its release fails (default 1 h; FERRY_RELEASE_TIMEOUT_MS). */
  releaseTimeoutMs: number
  /** Router port: reserved by the daemon before the context is built, so concrete (tests may pass 0: read router.port). */
  routerPort: number
  /** Which router engine runs: the C data plane (with the Node router for the rest) or the Node router alone. */
  routerEngine: 'native' | 'node'
  /** The ferry-router executable (native engine). */
  routerBinary?: string
  /**
   * Slowloris bounds: a router request head, and a rendezvous client's greeting, must be complete within this time
   * of its first byte / of connecting (default 15 s; FERRY_HEAD_TIMEOUT_MS).
   */
  headTimeoutMs?: number
  /** Router client connections the daemon holds at once (default: from its descriptor limit; FERRY_ROUTER_MAX_CONNECTIONS). */
  routerMaxConnections?: number
  /** Crash restart backoff: the second crash in a row waits this long, then twice as long each time (default 1 s; FERRY_RESTART_BACKOFF_BASE_MS). */
  restartBackoffBaseMs?: number
  /** Cap of the crash restart backoff (default 5 min; FERRY_RESTART_BACKOFF_MAX_MS). */
  restartBackoffMaxMs?: number
  /** A slug larger than this fails the build (FERRY_SLUG_MAX_BYTES; unset = the builder's 1 GB). */
  slugMaxBytes?: number
  /** A slug larger than this gets a warning in the build output (FERRY_SLUG_WARN_BYTES; unset = the builder's 300 MB). */
  slugWarnBytes?: number
  /** Largest accepted source tarball; 4× that unpacked (default 512 MB; FERRY_SOURCE_MAX_BYTES). */
  sourceMaxBytes: number
  /** SIGTERM → SIGKILL grace period when stopping a dyno (default 30 s). */
  stopGraceMs: number
  /** The platform token: required by every API request. */
  token: string
  version: string
}

/** One line for an app's log (logplex format is applied by the log service). */
export interface LogLine {
  /** `web.1`, `run.1234`, `api`, `router`, `build`. */
  dyno: string
  message: string
  source: 'app' | 'heroku'
  /** Defaults to now. */
  time?: Date
}

export interface LogFilter {
  /** Exact dyno name (`web.1`) or a process type (`web` matches `web.*`). */
  dyno?: string
  source?: 'app' | 'heroku'
}

export interface StoredLogLine extends Required<LogLine> {
  /** Monotonic per-app id, used for SSE `id:` and Last-Event-ID resumption. */
  id: number
  /** The line in logplex format: `2026-11-25T14:03:11.123456+00:00 app[web.1]: message`. */
  text: string
}

export interface LogService {
  append(appId: string, line: LogLine): void
  /** Stops following and flushes buffered lines to disk. */
  close(): Promise<void>
  /** Live lines after `afterId`; returns an unsubscribe function. */
  follow(appId: string, filter: LogFilter, onLine: (line: StoredLogLine) => void): () => void
  /** Forgets an app's logs (app destroyed). */
  purge(appId: string): void
  /** The last `lines` matching lines (oldest first), optionally only those with id > afterId. */
  read(appId: string, filter: LogFilter, lines: number, afterId?: number): StoredLogLine[]
}

/** What the supervisor must run for one app: computed from the store after every change. */
export interface DesiredApp {
  appId: string
  appName: string
  formation: Array<{command: string; quantity: number; size: string; type: string}>
  /** null before the first release with a slug: nothing runs. */
  release: null | {
    env: ConfigVars
    id: string
    /** Path of the slug tarball (`slugs/<id>.tgz`); the supervisor unpacks it once per release. */
    slugPath: string
    version: number
  }
}

export interface OneOffOptions {
  appId: string
  /** true: output is attached to the caller (rendezvous); false: output goes to the log. */
  attach: boolean
  command: string
  env?: Record<string, string>
  /** `run` for `ferry run`; `release` for the release phase. */
  type?: string
}

/** A running one-off dyno: its API object and its I/O (stdout+stderr combined). */
export interface OneOffHandle {
  dyno: Dyno
  /** Resolves with the exit status (128+signal when killed). */
  exit: Promise<number>
  /** Combined stdout/stderr of the process. */
  output: NodeJS.ReadableStream
  /** Resizes the pseudo-terminal when there is one (ignored otherwise). */
  resize?: (columns: number, rows: number) => void
  /** stdin of the process; end() it to send EOF. */
  stdin: NodeJS.WritableStream
  /** Stops it (SIGTERM, then SIGKILL after the grace period). */
  stop: () => Promise<void>
}

export interface WebTarget {
  dyno: string
  port: number
  /** Release version the dyno runs. When set, the router sends traffic only to the newest release's up dynos (preboot). */
  release?: number
}

export interface Supervisor {
  /** Converges one app's processes to its desired state (start missing, stop surplus, replace old release). */
  converge(appId: string): Promise<void>
  /** Converges every app (daemon start, after recovery). */
  convergeAll(): Promise<void>
  /** The app's dynos as API objects (formation dynos and one-offs). */
  dynos(appId: string): Dyno[]
  /** Restarts all dynos of an app, or those of one process type, or one dyno by name. */
  restart(appId: string, target?: {name?: string; type?: string}): Promise<void>
  /**
   * Unpacks a release's slug ahead of its dynos (the deploy calls it before the release becomes current, so a slug
   * that cannot be unpacked, e.g. on a full disk, fails the push instead of leaving a current release that cannot
   * run). Throws with the reason.
   */
  prepare?(release: {id: string; slugPath: string; version: number}): Promise<void>
  /** Starts a one-off dyno (`run.NNNN`, or `release.NNNN` for the release phase) from the app's current or given release. */
  startOneOff(options: OneOffOptions & {release?: DesiredApp['release']}): Promise<OneOffHandle>
  /** Stops every dyno gracefully (daemon shutdown). */
  shutdown(): Promise<void>
  /** Stops one dyno (a formation dyno is then replaced) or all dynos of a type. */
  stop(appId: string, target: {name?: string; type?: string}): Promise<void>
  /** Calls `listener` whenever webTargets() may answer differently (the native router pushes changes); returns the unsubscribe. */
  onWebChange?(listener: () => void): () => void
  /** `up` web dynos of an app, for the router. */
  webTargets(appId: string): WebTarget[]
}

export interface BuildResult {
  buildpackDescription: string
  checksum: string
  /** Buildpack default process types (used for types missing from the Procfile). */
  defaultProcessTypes: ProcessTypes
  processTypes: ProcessTypes
  size: number
  slugPath: string
}

/** The add-on manager, loaded on first use (addons/lazy.ts). */
export interface Addons {
  /** Whether any add-on exists (without loading the manager). */
  any(): boolean
  /** The manager once something loaded it. */
  readonly loaded: AddonManager | undefined
  /** The manager, loading it on first use. */
  manager(): Promise<AddonManager>
  /** The add-on plans attached to an app at a time (a release's `addon_plan_names`); none without add-ons. */
  releasePlans(appId: string): Promise<(at: string) => string[]>
}

/**
 * Everything the platform's parts share; built once, complete, by the daemon (src/platform/daemon.ts) and never
 * changed afterwards; faked in tests.
 */
export interface PlatformContext {
  /** Add-on servers and their attachments: the manager loads with the first add-on (addons/lazy.ts). */
  addons: Addons
  /** Read once at start (config.ts) and never written afterwards. */
  readonly config: Readonly<PlatformConfig>
  /**
   * The deploy service, loaded with the first build, source upload or push (an idle daemon carries neither the
   * pipeline nor the builder); the same one every time (load-once.ts).
   */
  deploy(): Promise<DeployService>
  /** What the supervisor must run for an app (from the store); null for an unknown/deleted app. */
  desired(appId: string): DesiredApp | null
  /** Smart-HTTP git and pushes (with their one-time sessions), loaded with the first git request; the same one every time. */
  git(): Promise<GitService>
  logs: LogService
  paths: PlatformPaths
  /** The release service: every new release (deploy, config change, rollback, add-on change) settles through it. */
  releases: ReleaseService
  /** Aborted when the platform starts to stop (log tails end with a message instead of being cut); absent in tests. */
  stopping?: AbortSignal
  store: Store
  supervisor: Supervisor
}
