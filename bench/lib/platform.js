// A real local platform for the benchmarks: `node dist/platform/main.js` with a temp FERRY_HOME, plus a
// tiny Platform API client (fetch) and helpers to create apps, push example dirs with git and scale.
import {spawn} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

import {httpGet, killGroup, log, mkTmp, must, ROOT, run, sleep, spawnLogged, waitFor} from './util.js'

export const BIN = path.join(ROOT, 'bin', 'run.js')
export const DAEMON_MAIN = path.join(ROOT, 'dist', 'platform', 'main.js')

/** The environment the CLI and daemon run with (like test/helpers ferryEnv): temp FERRY_HOME/HOME, no colour. */
export function ferryEnv(home, extra = {}) {
  const env = {...process.env}
  for (const key of ['FERRY_API_URL', 'FERRY_API_KEY', 'FERRY_APP', 'FERRY_BACKEND', 'HEROKU_API_KEY', 'HEROKU_APP', 'XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'XDG_CACHE_HOME', 'FORCE_COLOR', 'GIT_DIR', 'GIT_WORK_TREE', 'NODE_ENV', 'NODE_OPTIONS']) delete env[key]
  fs.mkdirSync(path.join(home, 'home'), {recursive: true})
  if (!fs.existsSync(path.join(home, 'gitconfig'))) fs.writeFileSync(path.join(home, 'gitconfig'), '')
  return {
    ...env,
    FERRY_HOME: home,
    FERRY_PORT: '0',
    FERRY_ROUTER_PORT: '0',
    GIT_AUTHOR_EMAIL: 'bench@example.com',
    GIT_AUTHOR_NAME: 'Bench',
    GIT_COMMITTER_EMAIL: 'bench@example.com',
    GIT_COMMITTER_NAME: 'Bench',
    GIT_CONFIG_GLOBAL: path.join(home, 'gitconfig'),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    HOME: path.join(home, 'home'),
    NO_COLOR: '1',
    ...extra,
  }
}

/** Why the platform cannot run yet (missing build), or undefined. */
export function platformMissing() {
  if (!fs.existsSync(DAEMON_MAIN)) return 'dist/platform/main.js missing (run npm run build)'
  if (!fs.existsSync(BIN)) return 'bin/run.js missing'
  return undefined
}

export class Platform {
  static async start({env = {}, label = 'platform', nodeArgs = []} = {}) {
    const home = mkTmp(label)
    const p = new Platform(home)
    await p.boot({env, nodeArgs})
    return p
  }

  constructor(home) {
    this.home = home
    this.dataDir = path.join(home, 'data')
    this.logPath = path.join(home, 'daemon.log')
  }

  async boot({env = {}, nodeArgs = []} = {}) {
    const infoPath = path.join(this.dataDir, 'run', 'daemon.json')
    fs.rmSync(infoPath, {force: true})
    this.child = spawnLogged(process.execPath, [...nodeArgs, DAEMON_MAIN], {cwd: this.home, env: ferryEnv(this.home, env), log: this.logPath})
    const exited = new Promise(resolve => this.child.once('exit', code => resolve(code)))
    this.exited = exited
    let exitCode
    exited.then(code => {
      exitCode = code
    })
    this.info = await waitFor(
      () => {
        if (exitCode !== undefined) throw new Error(`daemon exited ${exitCode}: ${this.tail()}`)
        try {
          const info = JSON.parse(fs.readFileSync(infoPath, 'utf8'))
          return info.pid === this.child.pid ? info : undefined
        } catch {}
      },
      {intervalMs: 25, timeoutMs: 30_000, what: 'the daemon to write daemon.json'},
    )
    this.token = fs.readFileSync(path.join(this.dataDir, 'run', 'token'), 'utf8').trim()
    this.pid = this.child.pid
    this.url = this.info.url
    this.routerPort = this.info.routerPort
    return this
  }

  tail(n = 20) {
    try {
      return fs.readFileSync(this.logPath, 'utf8').trim().split('\n').slice(-n).join('\n')
    } catch {
      return ''
    }
  }

  env(extra = {}) {
    return ferryEnv(this.home, extra)
  }

  async api(method, urlPath, body, headers = {}) {
    const res = await fetch(`${this.url}${urlPath}`, {
      body: body === undefined ? undefined : JSON.stringify(body),
      headers: {
        Accept: 'application/vnd.heroku+json; version=3',
        Authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : {'Content-Type': 'application/json'}),
        ...headers,
      },
      method,
    })
    const text = await res.text()
    let json
    try {
      json = JSON.parse(text)
    } catch {}

    return {body: json, headers: res.headers, status: res.status, text}
  }

  async ok(method, urlPath, body, headers) {
    const r = await this.api(method, urlPath, body, headers)
    if (r.status >= 300) throw new Error(`${method} ${urlPath} → ${r.status} ${r.text.slice(0, 300)}`)
    return r.body
  }

  createApp(name) {
    return this.ok('POST', '/apps', {name})
  }

  setConfig(app, vars) {
    return this.ok('PATCH', `/apps/${app}/config-vars`, vars)
  }

  scale(app, type, quantity) {
    return this.ok('PATCH', `/apps/${app}/formation/${type}`, {quantity})
  }

  dynos(app) {
    return this.ok('GET', `/apps/${app}/dynos`)
  }

  gitUrl(app) {
    return `${this.url.replace('://', `://ferry:${this.token}@`)}/${app}.git`
  }

  /** Runs the real CLI (node bin/run.js …) against this platform. */
  cli(args, options = {}) {
    return run(process.execPath, [BIN, ...args], {cwd: this.home, env: this.env(), timeout: 120_000, ...options})
  }

  /** GET through the router with Host: APP.localhost. */
  viaRouter(app, urlPath = '/', headers = {}) {
    return httpGet(this.routerPort, urlPath, {headers, host: `${app}.localhost:${this.routerPort}`})
  }

  async stop() {
    if (!this.child) return
    const t0 = Date.now()
    await killGroup(this.pid, 15_000)
    await Promise.race([this.exited, sleep(2000)])
    log(`platform ${this.pid} stopped in ${Date.now() - t0} ms`)
    this.child = undefined
  }

  remove() {
    try {
      fs.rmSync(this.home, {force: true, recursive: true})
    } catch {}
  }
}

/** Copies an app dir (without node_modules/.git) into a fresh git work tree with one commit on main. */
export async function gitWorkTree(srcDir, env, label = 'src') {
  const dir = mkTmp(label)
  fs.cpSync(srcDir, dir, {filter: src => !/(^|\/)(node_modules|\.git)(\/|$)/.test(path.relative(srcDir, src)), recursive: true})
  await must('git', ['init', '-q', '-b', 'main'], {cwd: dir, env})
  await must('git', ['add', '-A'], {cwd: dir, env})
  await must('git', ['commit', '-q', '-m', 'bench: initial'], {cwd: dir, env})
  return dir
}

/** Commits a change (a marker file + optional extra files) in the work tree. */
export async function commitChange(dir, env, files) {
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content)
  await must('git', ['add', '-A'], {cwd: dir, env})
  await must('git', ['commit', '-q', '-m', `bench: change ${Date.now()}`], {cwd: dir, env})
}

/** git push to the platform (main), with the token in the URL unless `remote` is given; resolves {code, ms, output, timeline: [{ms, line}]} (each output line timed). */
export function gitPush(platform, app, dir, {force = false, remote} = {}) {
  const t0 = performance.now()
  // `remote`: push the way users do, `git push <remote> main` through the remote and credential helper ferry set up.
  const args = remote ? ['push', '--progress', remote, 'main'] : ['push', '--progress', platform.gitUrl(app), 'HEAD:refs/heads/main']
  if (force) args.splice(1, 0, '-f')
  return new Promise(resolve => {
    const child = spawn('git', args, {cwd: dir, env: platform.env(), stdio: ['ignore', 'pipe', 'pipe']})
    const timeline = []
    let output = ''
    const onData = buf => {
      const text = buf.toString()
      output += text
      const ms = Math.round(performance.now() - t0)
      for (const line of text.split(/[\r\n]+/)) if (line.trim()) timeline.push({line: line.trimEnd(), ms})
    }

    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000)
    child.on('close', code => {
      clearTimeout(timer)
      resolve({code: code ?? 1, ms: performance.now() - t0, output: output.trim(), timeline})
    })
  })
}

/** A markdown code block of a push timeline (progress meters dropped). */
export function timelineBlock(timeline) {
  const lines = timeline.filter(t => !/^(remote: )?(Enumerating|Counting|Compressing|Writing|Delta|Total|To http)/.test(t.line) && !/\d+% \(/.test(t.line))
  return ['```', ...lines.map(t => `+${String(t.ms).padStart(5)} ms  ${t.line.replace(/:\/\/ferry:[^@]+@/, '://ferry:***@')}`), '```'].join('\n')
}

/** Waits until the router answers for app with a body that satisfies pred; resolves the elapsed ms from t0. */
export async function waitRouterAnswer(platform, app, pred, {path: urlPath = '/', t0 = performance.now(), timeoutMs = 60_000} = {}) {
  let last
  while (performance.now() - t0 < timeoutMs) {
    last = await platform.viaRouter(app, urlPath)
    if (last.status === 200 && pred(last.body)) return {body: last.body, ms: performance.now() - t0}
    await sleep(5)
  }

  throw new Error(`router never answered as expected for ${app} within ${timeoutMs} ms (last: ${last?.status} ${String(last?.body ?? last?.error).slice(0, 200)})`)
}
