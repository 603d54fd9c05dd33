// The route keys the native child asked about (`W <name>`), and the entry lines that answer them: `A <name> <appId>
// <port>/<dyno>,…` for an app (`-` when it has no routable target), `N <name>` for none, `F <name>` to forget one. The
// table remembers the line last sent per name, so a re-check sends only what changed.
import type {RouterOptions} from '../proxy.js'

import {routableTargets} from '../proxy.js'

/** Asked-about names tracked for updates; past this, names with no app stop being tracked (see ask()). */
const MAX_NAMES = 10_000
/** A route key the line protocol can carry (the child only asks about keys routeKey() would give). */
const SAFE_NAME = /^[\u0021-\u007E]{1,255}$/

export class NameTable {
  /** Names the child asked about → the line last sent for each. */
  private readonly names = new Map<string, string>()
  /** Names whose last line sent was `N` → when it was sent first (forgotten unknownNameTtlMs later). */
  private readonly unknownSince = new Map<string, number>()

  constructor(
    private readonly options: Pick<RouterOptions, 'resolveApp' | 'targets'>,
    /** A name with no app is re-checked for this long after it was asked about, then forgotten on both sides. */
    private readonly unknownNameTtlMs: number,
  ) {}

  /** Names tracked now. */
  get size(): number {
    return this.names.size
  }

  /** A name the child has no entry for: the lines that answer it (and keep it tracked), '' for a name it cannot carry. */
  ask(name: string): string {
    if (!SAFE_NAME.test(name)) return ''
    let line: string
    try {
      line = this.entry(name)
    } catch {
      line = `N ${name}\n`
    }

    let forget = ''
    if (!this.names.has(name) && this.names.size >= MAX_NAMES) {
      // Names with no app (typos, scans) stop being tracked, here and in the child (which asks again on their next
      // request). Names of real apps stay tracked (their targets change).
      for (const k of this.unknownSince.keys()) forget += this.forget(k)
    }

    if (this.names.size < MAX_NAMES) {
      this.names.set(name, line)
      if (line.charCodeAt(0) === 78) this.unknownSince.set(name, Date.now())
      else this.unknownSince.delete(name)
    }

    return forget + line
  }

  /** The changed entry lines (and remembers them as sent), and `F` lines for unknown names past their time. */
  changes(): string {
    let out = ''
    const expired = Date.now() - this.unknownNameTtlMs
    for (const [name, since] of this.unknownSince) if (since < expired) out += this.forget(name)
    for (const [name, sent] of this.names) {
      let line: string
      try {
        line = this.entry(name)
      } catch {
        continue
      }

      if (line !== sent) {
        this.names.set(name, line)
        if (line.charCodeAt(0) !== 78) this.unknownSince.delete(name)
        else if (!this.unknownSince.has(name)) this.unknownSince.set(name, Date.now())
        out += line
      }
    }

    return out
  }

  /** Forgets every name (a new child asks for every app afresh). */
  clear(): void {
    this.names.clear()
    this.unknownSince.clear()
  }

  /** `A <name> <appId> <port>/<dyno>,…` (`-` when none) or `N <name>`, with its newline. */
  private entry(name: string): string {
    const app = this.options.resolveApp(name)
    if (!app) return `N ${name}\n`
    // Maintenance mode: no targets, so the child hands the app's requests to the fallback, which answers 503 H80.
    const targets = app.maintenance ? [] : routableTargets(this.options.targets(app.id))
    let list = ''
    for (const t of targets) list += list === '' ? `${t.port}/${t.dyno}` : `,${t.port}/${t.dyno}`
    return `A ${name} ${app.id} ${list === '' ? '-' : list}\n`
  }

  /** Stops tracking `name`; returns the `F` line that tells the child. */
  private forget(name: string): string {
    this.names.delete(name)
    this.unknownSince.delete(name)
    return `F ${name}\n`
  }
}
