// Test helpers for the supervisor: a temp data dir, a slug tarball with tiny node apps, a fake desired-state source.
import {execFileSync} from 'node:child_process'
import {randomUUID} from 'node:crypto'
import {mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {DesiredApp, LogLine} from '../../../src/platform/context.js'

import {DynoSupervisor, type SupervisorDeps, type SupervisorOptions} from '../../../src/platform/supervisor/index.js'

export const SERVER_JS = `
const http = require('http'), fs = require('fs'), cp = require('child_process')
http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x'), p = url.searchParams.get('p')
  const fail = e => { res.statusCode = 500; res.end(e.code || String(e)) }
  try {
    if (url.pathname === '/env') return res.end(JSON.stringify(process.env))
    if (url.pathname === '/read') return res.end(fs.readFileSync(p, 'utf8'))
    if (url.pathname === '/ls') return res.end(JSON.stringify(fs.readdirSync(p)))
    if (url.pathname === '/write') { fs.writeFileSync(p, 'x'); return res.end('ok') }
    if (url.pathname === '/sh') return res.end(cp.execSync(p, {encoding: 'utf8'}))
    res.end('ok ' + process.env.DYNO)
  } catch (e) { fail(e) }
}).listen(process.env.PORT, () => console.log('listening on ' + process.env.PORT))
`

export const WORKER_JS = `
console.log('worker env ' + JSON.stringify({DYNO: process.env.DYNO, GREETING: process.env.GREETING, HOME: process.env.HOME, PORT: process.env.PORT}))
setInterval(() => {}, 1000)
`

/** Builds a slug tarball holding `files` under ./app/ (the builder's layout). */
export function makeSlug(dir: string, files: Record<string, string> = {}): string {
  const src = mkdtempSync(join(dir, 'slugsrc-'))
  const app = join(src, 'app')
  mkdirSync(join(app, '.profile.d'), {recursive: true})
  const all: Record<string, string> = {'.profile.d/ferry-test.sh': 'export FROM_PROFILE_D=yes\n', 'server.js': SERVER_JS, 'worker.js': WORKER_JS, ...files}
  for (const [name, content] of Object.entries(all)) writeFileSync(join(app, name), content)
  const tgz = join(dir, `slug-${randomUUID()}.tgz`)
  execFileSync('tar', ['-czf', tgz, '-C', src, './app'])
  rmSync(src, {force: true, recursive: true})
  return tgz
}

export interface Harness {
  app: DesiredApp
  dataDir: string
  lines: Array<LogLine & {appId: string}>
  logText(dyno?: string): string
  release(env?: Record<string, string>, files?: Record<string, string>): NonNullable<DesiredApp['release']>
  root: string
  supervisor: DynoSupervisor
  cleanup(): Promise<void>
}

/** `config`: the platform's part of the supervisor's config (isolation decided by the platform, and the like). */
export function harness(options: SupervisorOptions & {bootTimeoutMs?: number; config?: Partial<SupervisorDeps['config']>; preboot?: boolean; stopGraceMs?: number} = {}): Harness {
  const root = mkdtempSync(join(tmpdir(), 'ferry-sup-'))
  const dataDir = join(root, 'data')
  mkdirSync(join(dataDir, 'run'), {recursive: true})
  mkdirSync(join(dataDir, 'slugs'), {recursive: true})
  writeFileSync(join(dataDir, 'run', 'token'), 'SECRET-TOKEN', {mode: 0o600})
  const lines: Harness['lines'] = []
  let version = 0
  const h: Harness = {
    app: {appId: randomUUID(), appName: 'demo', formation: [], release: null},
    async cleanup() {
      await h.supervisor.shutdown()
      rmSync(root, {force: true, recursive: true})
    },
    dataDir,
    lines,
    logText: dyno => lines.filter(l => !dyno || l.dyno === dyno).map(l => `${l.source}[${l.dyno}]: ${l.message}`).join('\n'),
    release(env = {}, files = {}) {
      const slugPath = makeSlug(join(dataDir, 'slugs'), files)
      return {env, id: randomUUID(), slugPath, version: ++version}
    },
    root,
    supervisor: undefined as unknown as DynoSupervisor,
  }
  const {bootTimeoutMs = 15_000, config, preboot = false, stopGraceMs = 500, ...rest} = options
  h.supervisor = new DynoSupervisor(
    {
      appIds: () => [h.app.appId],
      // Frozen: the supervisor takes its config (the platform's decisions) as it is.
      config: Object.freeze({bootTimeoutMs, dataDir, stopGraceMs, ...config}),
      desired: id => (id === h.app.appId ? structuredClone(h.app) : null),
      logs: {append: (appId, line) => lines.push({...line, appId})},
      preboot: () => preboot,
    },
    {backoffBaseMs: 200, backoffMaxMs: 1000, ...rest},
  )
  return h
}

export async function waitFor<T>(fn: () => Promise<T> | T, what: string, timeoutMs = 15_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    try {
      last = await fn()
      if (last) return last as NonNullable<T>
    } catch (error) {
      last = error
    }

    await new Promise(r => setTimeout(r, 25))
  }

  throw new Error(`Timed out waiting for ${what} (last: ${String(last)})`)
}

/** Pids of live processes whose argv[0] is `marker` (dyno commands use `exec -a <marker>`). */
export function pidsMatching(marker: string): number[] {
  const pids: number[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue
    try {
      const argv0 = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0')[0]
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z') continue
      if (argv0 === marker) pids.push(Number(name))
    } catch {}
  }

  return pids
}

export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}

export async function get(port: number, path = '/'): Promise<{body: string; status: number}> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`)
  return {body: await res.text(), status: res.status}
}
