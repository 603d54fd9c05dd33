// Which processes `ferry local` starts and on which PORT, numbered like `heroku local` (shared/platform-api.md §3.20).
import {clip, invalid} from './errors.js'
import {ProcfileEntry} from './procfile.js'

export const DEFAULT_BASE_PORT = 5006
/** Each selected type owns a block of 100 ports, so more instances than that would collide with the next type. */
export const MAX_INSTANCES = 100

export interface Selection {
  type: string
  count: number
}

export interface ProcessSpec {
  /** `web.1`: becomes DYNO and FOREMAN_WORKER_NAME. */
  name: string
  type: string
  /** 1-based instance number. */
  instance: number
  command: string
  port: number
}

const ITEM_RE = /^([-\w]{1,128})(?:=(\d+))?$/

/**
 * Parses the type list from arguments (`web`, `web=2`, `web=1,worker=2`, several allowed) and `-m/--formation`
 * values into counts per type, in order of first mention; later mentions of a type override its count.
 */
export function parseSelection(items: string[]): Selection[] {
  const byType = new Map<string, number>()
  for (const item of items.flatMap(arg => arg.split(','))) {
    const text = item.trim()
    if (text === '') continue
    const m = ITEM_RE.exec(text)
    if (!m) throw invalid(`Invalid process selection "${clip(text)}"; use TYPE or TYPE=COUNT, e.g. "web=2,worker=1".`)
    const count = m[2] === undefined ? 1 : Number(m[2])
    if (count > MAX_INSTANCES) throw invalid(`Too many instances for "${m[1]}" (${count}); at most ${MAX_INSTANCES} per type.`)
    byType.set(m[1], count)
  }

  return [...byType].map(([type, count]) => ({count, type}))
}

/**
 * Resolves a selection against the Procfile: no selection = one of each type except `release`; unknown types
 * are errors naming the known ones; types with count 0 are dropped.
 */
export function resolveSelection(procfile: ProcfileEntry[], selection: Selection[]): Selection[] {
  if (selection.length === 0) {
    const all = procfile.filter(e => e.type !== 'release').map(e => ({count: 1, type: e.type}))
    if (all.length === 0) throw invalid('The Procfile defines no process types to run (ferry local skips release); name one explicitly, e.g. "ferry local release".')
    return all
  }

  const known = new Set(procfile.map(e => e.type))
  const unknown = selection.filter(s => !known.has(s.type)).map(s => s.type)
  if (unknown.length > 0) {
    const list = [...known].join(', ') || 'none'
    throw invalid(`Unknown process type${unknown.length > 1 ? 's' : ''} ${unknown.map(t => `"${t}"`).join(', ')}; the Procfile defines: ${list}.`)
  }

  return selection.filter(s => s.count > 0)
}

/** Parses a port from a flag or environment variable; `what` names the source in the error. */
export function parsePort(value: string, what: string): number {
  const port = Number(value)
  if (!/^\d+$/.test(value.trim()) || port < 1024 || port > 65_535) {
    throw invalid(`Invalid port "${clip(value)}" from ${what}; use a number from 1024 to 65535.`)
  }

  return port
}

/**
 * The base port: `-p/--port`, else PORT from the env files, else the caller's $PORT, else 5006.
 */
export function basePort(flag: number | undefined, envFiles: Record<string, string>, callerEnv: NodeJS.ProcessEnv): number {
  if (flag !== undefined) return parsePort(String(flag), '--port')
  if (envFiles.PORT !== undefined && envFiles.PORT !== '') return parsePort(envFiles.PORT, 'PORT in the env file')
  if (callerEnv.PORT !== undefined && callerEnv.PORT !== '') return parsePort(callerEnv.PORT, '$PORT')
  return DEFAULT_BASE_PORT
}

/** One spec per instance: instance i (0-based) of the k-th selected type gets PORT = base + i + 100*k. */
export function planProcesses(procfile: ProcfileEntry[], selection: Selection[], base: number): ProcessSpec[] {
  const commands = new Map(procfile.map(e => [e.type, e.command]))
  const specs: ProcessSpec[] = []
  for (const [k, {count, type}] of selection.entries()) {
    for (let i = 0; i < count; i++) {
      const port = base + i + (100 * k)
      if (port > 65_535) throw invalid(`Port ${port} for ${type}.${i + 1} is above 65535; choose a lower base port with --port.`)
      specs.push({command: commands.get(type)!, instance: i + 1, name: `${type}.${i + 1}`, port, type})
    }
  }

  return specs
}

/** The environment of one process: the caller's, overlaid by the env files, plus PORT, DYNO and FOREMAN_WORKER_NAME. */
export function processEnv(spec: ProcessSpec, callerEnv: NodeJS.ProcessEnv, envFiles: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(callerEnv)) if (value !== undefined) env[key] = value
  Object.assign(env, envFiles)
  env.PORT = String(spec.port)
  env.DYNO = spec.name
  env.FOREMAN_WORKER_NAME = spec.name
  return env
}
