// Small helpers shared by the benchmark rows: processes, statistics, waiting, HTTP.
import {execFile, spawn} from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

export const BENCH_DIR = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
export const ROOT = path.dirname(BENCH_DIR)
export const FIXTURES = path.join(BENCH_DIR, 'fixtures')
export const TMP = path.join(os.tmpdir(), 'ferry-bench')

export const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

/** Runs a program; resolves {code, stdout, stderr} (never rejects on a non-zero exit). */
export function run(file, args = [], options = {}) {
  return new Promise(resolve => {
    execFile(file, args, {maxBuffer: 256 * 1024 * 1024, ...options}, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
      resolve({code, error: error && typeof error.code !== 'number' ? error : undefined, stderr: String(stderr), stdout: String(stdout)})
    })
  })
}

/** Like run() but throws with the output when the exit code is not 0. */
export async function must(file, args = [], options = {}) {
  const r = await run(file, args, options)
  if (r.code !== 0) throw new Error(`${file} ${args.join(' ')} exited ${r.code}: ${(r.stderr || r.stdout).trim().slice(-2000)}`)
  return r
}

export function commandExists(name) {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':')) {
    try {
      fs.accessSync(path.join(dir, name), fs.constants.X_OK)
      return true
    } catch {}
  }

  return false
}

export function median(values) {
  const v = values.filter(x => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b)
  if (v.length === 0) return null
  const mid = Math.floor(v.length / 2)
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2
}

/** {median, min, max, runs} of a list of numbers. */
export function stats(values) {
  const v = values.filter(x => typeof x === 'number' && Number.isFinite(x))
  if (v.length === 0) return {max: null, median: null, min: null, runs: []}
  return {max: Math.max(...v), median: median(v), min: Math.min(...v), runs: v}
}

export function round(x, digits = 2) {
  if (x === null || x === undefined || !Number.isFinite(x)) return x
  const f = 10 ** digits
  return Math.round(x * f) / f
}

/** Polls fn() until it returns a truthy value; throws after timeoutMs. */
export async function waitFor(fn, {intervalMs = 20, timeoutMs = 30_000, what = 'condition'} = {}) {
  const t0 = Date.now()
  while (true) {
    const value = await fn()
    if (value) return value
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(intervalMs)
  }
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const {port} = s.address()
      s.close(() => resolve(port))
    })
  })
}

/** true when something accepts TCP connections on 127.0.0.1:port. */
export function portOpen(port) {
  return new Promise(resolve => {
    const s = net.connect({host: '127.0.0.1', port})
    s.once('connect', () => {
      s.destroy()
      resolve(true)
    })
    s.once('error', () => resolve(false))
  })
}

const agent = new http.Agent({keepAlive: true, maxSockets: 16})

/** GET http://127.0.0.1:port/path with a Host header; resolves {status, body} or {status: 0, error}. */
export function httpGet(port, urlPath = '/', {headers = {}, host, timeoutMs = 5000} = {}) {
  return new Promise(resolve => {
    const req = http.get({agent, headers: {...headers, ...(host ? {host} : {})}, host: '127.0.0.1', path: urlPath, port, timeout: timeoutMs}, res => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', d => {
        body += d
      })
      res.on('end', () => resolve({body, headers: res.headers, status: res.statusCode}))
      res.on('error', error => resolve({error: error.message, status: 0}))
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', error => resolve({error: error.message, status: 0}))
  })
}

export function mkTmp(prefix) {
  fs.mkdirSync(TMP, {recursive: true})
  return fs.mkdtempSync(path.join(TMP, `${prefix}-`))
}

/** Spawns a long-running child; returns the ChildProcess (output to a log file). */
export function spawnLogged(file, args, {cwd, env, log}) {
  const out = fs.openSync(log, 'a')
  const child = spawn(file, args, {cwd, detached: true, env, stdio: ['ignore', out, out]})
  fs.closeSync(out)
  return child
}

/** Kills a process group we started (by its pid), SIGTERM then SIGKILL after graceMs. */
export async function killGroup(pid, graceMs = 5000) {
  if (!pid) return
  const alive = () => {
    try {
      process.kill(pid, 0)
      return true
    } catch {
      return false
    }
  }

  try {
    process.kill(-pid, 'SIGTERM')
  } catch {
    try {
      process.kill(pid, 'SIGTERM')
    } catch {}
  }

  const t0 = Date.now()
  while (alive() && Date.now() - t0 < graceMs) await sleep(50)
  if (alive()) {
    try {
      process.kill(-pid, 'SIGKILL')
    } catch {}
  }
}

/** Memory of a process from /proc: {rssKiB, pssKiB} (PSS from smaps_rollup when readable). */
export function memoryOf(pid) {
  const out = {pssKiB: null, rssKiB: null}
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8')
    const m = /VmRSS:\s+(\d+) kB/.exec(status)
    if (m) out.rssKiB = Number(m[1])
    for (const [key, name] of [['rssAnonKiB', 'RssAnon'], ['rssFileKiB', 'RssFile'], ['rssShmemKiB', 'RssShmem']]) {
      const x = new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)
      if (x) out[key] = Number(x[1])
    }
  } catch {}

  try {
    const rollup = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8')
    const m = /^Pss:\s+(\d+) kB/m.exec(rollup)
    if (m) out.pssKiB = Number(m[1])
  } catch {}

  return out
}

/** Rss and Pss per mapping (file path, [heap], [anon] …) from /proc/PID/smaps, biggest first: [{name, rssKiB, pssKiB}]. */
export function mappingsOf(pid, top = 8) {
  const by = new Map()
  let current = '[anon]'
  try {
    for (const line of fs.readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
      const head = /^[\da-f]+-[\da-f]+ \S+ \S+ \S+ \d+\s*(.*)$/.exec(line)
      if (head) {
        current = head[1].trim() || '[anon]'
        if (!by.has(current)) by.set(current, {name: current, pssKiB: 0, rssKiB: 0})
        continue
      }

      const m = /^(Rss|Pss):\s+(\d+) kB/.exec(line)
      if (m) by.get(current)[m[1] === 'Rss' ? 'rssKiB' : 'pssKiB'] += Number(m[2])
    }
  } catch {}

  return [...by.values()].sort((a, b) => b.rssKiB - a.rssKiB).slice(0, top)
}

/** Host pids whose environment contains NAME=value (non-zombie), found by scanning /proc. */
export function pidsWithEnv(name, value) {
  const needle = Buffer.from(`${name}=${value}\0`)
  const pids = []
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const env = fs.readFileSync(`/proc/${entry}/environ`)
      if (env.includes(needle)) pids.push(Number(entry))
    } catch {}
  }

  return pids
}

/** Process state letter from /proc/PID/stat (R, S, Z …) or null when gone. */
export function procState(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
  } catch {
    return null
  }
}

export function log(...args) {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${args.join(' ')}\n`)
}
