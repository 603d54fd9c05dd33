// What the Node router (HttpRouter) is given: its listener, its limits, and the platform callbacks it routes by.
import type {WebTarget} from '../../context.js'

/** The app a request goes to (what resolveApp() gives). */
export interface RoutedApp {
  id: string
  maintenance?: boolean
  name: string
}

export interface RouterOptions {
  /** X-Forwarded-Port sent to dynos (default: the bound port; the native router's fallback sets the public port). */
  forwardedPort?: number
  /**
   * A request head must be complete within this time of its first byte (default 15 s), however slowly its bytes
   * keep coming (slowloris): else 408 and the connection closes.
   */
  headTimeoutMs?: number
  /** Default 127.0.0.1. */
  host?: string
  /** Keep-alive sockets to dynos are closed after this idle time (default 4 s, below Node's 5 s server default). */
  idleUpstreamMs?: number
  /** Idle client keep-alive connections are closed after this time (default 60 s). */
  idleClientMs?: number
  /** Writes one `heroku[router]` line to an app's log. */
  log: (appId: string, message: string) => void
  /**
   * Client connections held at once (default 1024): past it new ones are closed at once, so clients can never take
   * all of the process's file descriptors (each connection costs one, plus one to a dyno).
   */
  maxConnections?: number
  /**
   * true when the app's web dynos have crashed (the formation wants some, none is up or starting): requests get
   * 503 H10 "App crashed" instead of H14 (which stays for a formation with web=0).
   */
  crashed?: (appId: string) => boolean
  /** true while the app has web dynos starting: requests wait for them (up to timeoutMs) instead of H14. */
  pending?: (appId: string) => boolean
  /** 0 = any free port. */
  port: number
  /**
   * Route key (routeKey(): the app name of `NAME.localhost`, or a custom domain's whole host name) → app; undefined
   * when there is no such app. An app in maintenance mode gets every request answered with 503 H80.
   */
  resolveApp: (key: string) => RoutedApp | undefined
  /** The app's `up` web dynos. When some carry a release version, only those of the newest are used (preboot). */
  targets: (appId: string) => Array<WebTarget & {release?: number}>
  /** No response head within this time → 503 H12 (default 30 s; also the inactivity limit on a response). */
  timeoutMs?: number
}
