// What the router sees: each app's `up` web dynos (and, under preboot, the replaced ones still serving until their
// successor is up). The router asks on every request, so the answer is cached per app until something it depends on
// changes; listeners (the native router pushes its table) are told of every such change.
import type {WebTarget} from '../context.js'

/** The parts of a dyno record the router's view depends on. */
interface ServingDyno {
  name: string
  oneOff?: unknown
  port: number
  release: {version: number}
  state: string
  type: string
}

/** The parts of an app's runtime the router's view depends on (the cache lives with the app, so it dies with it). */
export interface WebView {
  dynos: ReadonlyMap<string, ServingDyno>
  retiring: ReadonlySet<ServingDyno>
  /** The last answer, valid while the epoch it was computed at is current. */
  webCache?: {epoch: number; targets: WebTarget[]}
}

const NO_TARGETS: WebTarget[] = Object.freeze([]) as unknown as WebTarget[]

function servesWeb(rec: ServingDyno): boolean {
  return rec.type === 'web' && rec.state === 'up' && !rec.oneOff
}

export class WebTargets {
  /** Bumped by changed() on every change the targets depend on (dyno states, ports, dynos and retiring sets). */
  private epoch = 0
  private readonly listeners = new Set<() => void>()

  /** Something the targets depend on changed: the caches are stale, and the listeners are told (synchronously). */
  changed(): void {
    this.epoch++
    for (const listener of this.listeners) {
      try {
        listener()
      } catch {}
    }
  }

  /** Calls `listener` whenever of() may answer differently; returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** The app's serving web dynos. The returned array and its targets are frozen: callers must not modify them. */
  of(app: undefined | WebView): WebTarget[] {
    if (!app) return NO_TARGETS
    const cache = app.webCache
    if (cache && cache.epoch === this.epoch) return cache.targets
    const targets = [...app.retiring, ...app.dynos.values()]
      .filter(rec => servesWeb(rec))
      .map(rec => Object.freeze({dyno: rec.name, port: rec.port, release: rec.release.version}))
    Object.freeze(targets)
    app.webCache = {epoch: this.epoch, targets}
    return targets
  }
}
