// Test helpers shared by the whole team: a temp FERRY_HOME, running the real CLI (bin/run.js) in it, and
// stopping the daemon it auto-started. e2e tests need `npm run build` first (bin/run.js uses dist/).
//
//   const home = makeFerryHome()
//   const {code, stdout, stderr} = await runFerry(['apps:create', 'demo'], {home})
//   afterAll(() => stopPlatform(home))
import {execFileSync, spawn} from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
export const BIN = path.join(ROOT, 'bin', 'run.js')

/** A fresh temp dir to use as FERRY_HOME (also holds a fake HOME and a git global config for the CLI). */
export function makeFerryHome(prefix = 'ferry-test-'): string {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  fs.mkdirSync(path.join(home, 'home'), {recursive: true})
  fs.writeFileSync(path.join(home, 'gitconfig'), '')
  return home
}

/** Variables from the developer's environment that would change which backend or app the CLI uses. */
const LEAKY = [
  'FERRY_API_URL FERRY_API_KEY FERRY_APP FERRY_BACKEND FERRY_HEROKU_API_URL HEROKU_API_KEY HEROKU_APP',
  'XDG_CONFIG_HOME XDG_DATA_HOME XDG_CACHE_HOME FORCE_COLOR GIT_DIR GIT_WORK_TREE',
  // vitest sets NODE_ENV=test, which makes oclif look for TypeScript sources and warn on stderr.
  'NODE_ENV VITEST VITEST_MODE VITEST_POOL_ID VITEST_WORKER_ID',
].join(' ').split(' ')

/** The environment the CLI runs with: FERRY_HOME, free ports, no colour, a temp HOME and git global config. */
export function ferryEnv(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {...process.env}
  for (const key of LEAKY) delete env[key]
  return {
    ...env,
    // a loaded CI machine starts many daemons at once: give autostart more than the default 15 s
    FERRY_DAEMON_START_TIMEOUT: '60',
    FERRY_HOME: home,
    FERRY_PORT: '0',
    FERRY_ROUTER_PORT: '0',
    GIT_AUTHOR_EMAIL: 'dev@example.com',
    GIT_AUTHOR_NAME: 'Dev',
    GIT_COMMITTER_EMAIL: 'dev@example.com',
    GIT_COMMITTER_NAME: 'Dev',
    GIT_CONFIG_GLOBAL: path.join(home, 'gitconfig'),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    HOME: path.join(home, 'home'),
    NO_COLOR: '1',
    ...extra,
  }
}

export interface RunOptions {
  cwd?: string
  /** Extra/overriding environment variables. */
  env?: NodeJS.ProcessEnv
  /** FERRY_HOME (else env.FERRY_HOME must be given). */
  home?: string
  /** Written to stdin, which is then closed (stdin is always a pipe, never a TTY). */
  input?: string
  /** Kill the CLI after this long (default 60 s). */
  timeoutMs?: number
}

export interface RunResult {code: null | number; stderr: string; stdout: string}

/** Runs a program with piped stdio (stdin: `input`, then EOF), collecting its output; never rejects on a non-zero exit. */
export function runCommand(file: string, args: string[], options: {cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {cwd: options.cwd, env: options.env, stdio: 'pipe'})
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', d => {
      stdout += d
    })
    child.stderr.setEncoding('utf8').on('data', d => {
      stderr += d
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000)
    child.on('error', reject)
    child.on('close', code => {
      clearTimeout(timer)
      resolve({code, stderr, stdout})
    })
    child.stdin.on('error', () => {})
    child.stdin.end(options.input ?? '')
  })
}

/** `git ...args` (e.g. push) with stdout and stderr interleaved as they come; never rejects on a non-zero exit. */
export function runGit(cwd: string, env: NodeJS.ProcessEnv, ...args: string[]): Promise<{code: number; output: string}> {
  return new Promise(resolve => {
    const child = spawn('git', args, {cwd, env})
    let output = ''
    const add = (d: Buffer) => {
      output += d.toString()
    }

    child.stdout.on('data', add)
    child.stderr.on('data', add)
    child.on('close', code => resolve({code: code ?? 1, output}))
  })
}

/** Runs `node bin/run.js ...args`; never rejects on a non-zero exit. */
export function runFerry(args: string[], options: RunOptions = {}): Promise<RunResult> {
  const home = options.home ?? options.env?.FERRY_HOME
  if (!home) throw new Error('runFerry: pass {home} (see makeFerryHome())')
  return runCommand(process.execPath, [BIN, ...args], {cwd: options.cwd ?? home, env: ferryEnv(home, options.env), input: options.input, timeoutMs: options.timeoutMs})
}

/** The daemon's discovery file of a FERRY_HOME, if any. */
/** GET `path` through the router with `Host: host` (a fresh connection); rejects only when the request itself fails. */
export function routerGet(routerPort: number, host: string, pathname = '/'): Promise<{body: string; status: number}> {
  return new Promise((resolve, reject) => {
    const req = http.get({agent: false, headers: {host}, host: '127.0.0.1', path: pathname, port: routerPort}, res => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', d => {
        body += d
      })
      res.on('end', () => resolve({body, status: res.statusCode ?? 0}))
    })
    req.on('error', reject)
  })
}

export function readDaemonJson(home: string): undefined | {pid: number; port: number; routerPort: number; url: string} {
  try {
    return JSON.parse(fs.readFileSync(path.join(home, 'data', 'run', 'daemon.json'), 'utf8'))
  } catch {
    return undefined
  }
}

/** The platform token of a FERRY_HOME's daemon. */
export function readToken(home: string): string {
  return fs.readFileSync(path.join(home, 'data', 'run', 'token'), 'utf8').trim()
}

/** Whether a process runs: an exited one that its parent (init, for a daemon) has not reaped yet, a zombie, does not. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }

  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}

/** A Platform API request to the running daemon of a FERRY_HOME (its daemon.json and token); rejects on a status >= 300. */
export async function platformApi(home: string, method: string, urlPath: string, body?: unknown): Promise<any> {
  const info = readDaemonJson(home)
  if (!info) throw new Error(`platformApi: no daemon.json in ${home}`)
  const res = await fetch(info.url + urlPath, {
    body: body === undefined ? undefined : JSON.stringify(body),
    headers: {Accept: 'application/vnd.heroku+json; version=3', Authorization: `Bearer ${readToken(home)}`, 'Content-Type': 'application/json'},
    method,
  })
  if (res.status >= 300) throw new Error(`${method} ${urlPath} → ${res.status} ${await res.text()}`)
  return res.json()
}

/**
 * Releases `files` (name → content, under the slug's app/) with `processTypes` on `app` through the API (slug
 * metadata, the tarball where the platform keeps slugs, then the release): for tests about what runs, not the builder.
 */
export async function releaseFiles(home: string, app: string, processTypes: Record<string, string>, files: Record<string, string>): Promise<void> {
  const slug = await platformApi(home, 'POST', `/apps/${app}/slugs`, {process_types: processTypes})
  const stage = fs.mkdtempSync(path.join(home, 'stage-'))
  fs.mkdirSync(path.join(stage, 'app'))
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(stage, 'app', name), content)
  fs.mkdirSync(path.join(home, 'data', 'slugs'), {recursive: true})
  execFileSync('tar', ['-czf', path.join(home, 'data', 'slugs', `${slug.id}.tgz`), '-C', stage, 'app'])
  await platformApi(home, 'POST', `/apps/${app}/releases`, {description: 'Deploy from a test', slug: slug.id})
}

/** Polls fn (a rejection counts as false) every 200 ms until it returns true; throws after timeoutMs. */
export async function eventually(what: string, fn: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await fn().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(r => setTimeout(r, 200))
  }
}

/** `ferry platform:stop`, then SIGKILL the daemon's pid if it is still alive. Safe to call when nothing runs. */
export async function stopPlatform(home: string): Promise<void> {
  const info = readDaemonJson(home)
  await runFerry(['platform:stop'], {home}).catch(() => {})
  if (info && isAlive(info.pid)) {
    try {
      process.kill(info.pid, 'SIGKILL')
    } catch {}
  }
}

/** stopPlatform + remove the directory. */
export async function removeFerryHome(home: string): Promise<void> {
  await stopPlatform(home)
  fs.rmSync(home, {force: true, recursive: true})
}
