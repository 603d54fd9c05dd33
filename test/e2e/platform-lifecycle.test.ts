// e2e: daemon autostart under concurrency, stale discovery files, foreground mode, remote backends (heroku/URL/login).
import {spawn} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {ferryEnv, isAlive, makeFerryHome, readDaemonJson, readToken, removeFerryHome, runFerry, BIN, ROOT} from '../helpers/index.js'

const homes: string[] = []
const newHome = () => {
  const home = makeFerryHome()
  homes.push(home)
  return home
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms))

/** State and parent of a process from /proc/<pid>/stat (state '' when it is gone). */
function procStat(pid: number): {ppid: number; state: string} {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return {ppid: Number(fields[1]), state: fields[0]}
  } catch {
    return {ppid: 0, state: ''}
  }
}

describe('local platform lifecycle', () => {
  afterAll(async () => {
    await Promise.all(homes.map(home => removeFerryHome(home)))
  })

  it('starts one daemon for concurrent first commands', async () => {
    const home = newHome()
    const results = await Promise.all([1, 2, 3].map(() => runFerry(['apps'], {home})))
    for (const r of results) expect(r.code, r.stderr).toBe(0)
    const started = results.flatMap(r => r.stderr.match(/Started local platform at /g) ?? [])
    expect(started).toHaveLength(1)
    const info = readDaemonJson(home)!
    expect(isAlive(info.pid)).toBe(true)
    // every invocation talked to that one daemon
    const status = JSON.parse((await runFerry(['platform:status', '--json'], {home})).stdout)
    expect(status.pid).toBe(info.pid)
  })

  it('replaces a stale daemon.json whose pid is dead', async () => {
    const home = newHome()
    fs.mkdirSync(path.join(home, 'data', 'run'), {recursive: true})
    const dead = spawn(process.execPath, ['-e', ''])
    await new Promise(resolve => dead.on('exit', resolve))
    fs.writeFileSync(path.join(home, 'data', 'run', 'daemon.json'), JSON.stringify({pid: dead.pid, port: 1, url: 'http://127.0.0.1:1'}))
    const status = JSON.parse((await runFerry(['platform:status', '--json'], {home})).stdout)
    expect(status.running).toBe(false)
    const result = await runFerry(['apps'], {home})
    expect(result.code, result.stderr).toBe(0)
    expect(result.stderr).toMatch(/^Started local platform at http:\/\/127\.0\.0\.1:\d+\n$/)
    expect(readDaemonJson(home)!.pid).not.toBe(dead.pid)
  })

  it('treats a killed daemon that its parent has not reaped (a zombie) as dead: commands and platform:stop work at once', async () => {
    const home = newHome()
    // sh starts the daemon in the background and becomes `sleep`, which never waits for children: once killed, the
    // daemon stays a zombie (like under a container's PID 1 that does not reap) and kill(pid, 0) still succeeds.
    const main = path.join(ROOT, 'dist', 'platform', 'main.js')
    const parent = spawn('/bin/sh', ['-c', '"$0" "$1" & exec sleep 600', process.execPath, main], {env: ferryEnv(home), stdio: 'ignore'})
    try {
      for (let i = 0; i < 300 && !readDaemonJson(home); i++) await sleep(100)
      const {pid} = readDaemonJson(home)!
      expect(procStat(pid).ppid).toBe(parent.pid)
      process.kill(pid, 'SIGKILL')
      for (let i = 0; i < 100 && procStat(pid).state !== 'Z'; i++) await sleep(20)
      expect(procStat(pid).state).toBe('Z')

      const stop = await runFerry(['platform:stop'], {home})
      expect(stop.code, stop.stderr).toBe(0)
      expect(stop.stdout).toBe('Local platform is not running\n')
      const status = JSON.parse((await runFerry(['platform:status', '--json'], {home})).stdout)
      expect(status.running).toBe(false)
      // The first command after the crash starts a new daemon (the zombie's lock is stale), without waiting it out.
      const apps = await runFerry(['apps'], {env: {FERRY_DAEMON_START_TIMEOUT: '20'}, home})
      expect(apps.code, apps.stderr).toBe(0)
      expect(apps.stderr).toMatch(/^Started local platform at /)
      const next = readDaemonJson(home)!.pid
      expect(next).not.toBe(pid)
      expect(procStat(pid).state).toBe('Z') // still unreaped: the new daemon did not need it gone
      const stopped = await runFerry(['platform:stop'], {home})
      expect(stopped.code, stopped.stderr).toBe(0)
      expect(['', 'Z']).toContain(procStat(next).state) // exited (its parent, init, may not have reaped it yet)
    } finally {
      parent.kill('SIGKILL')
    }
  }, 120_000)

  it('fails fast with one line pointing at the log when the daemon cannot start', async () => {
    const home = newHome()
    const result = await runFerry(['apps'], {env: {FERRY_PORT: 'not-a-port'}, home})
    expect(result.code).toBe(2)
    const log = path.join(home, 'data', 'run', 'daemon.log')
    expect(result.stderr).toBe(` ›   Error: could not start the local platform: it exited (1); see ${log}\n`)
    expect(fs.readFileSync(log, 'utf8')).toMatch(/FERRY_PORT/)
  })

  it('runs in the foreground until SIGINT and is used by other commands meanwhile', async () => {
    const home = newHome()
    const child = spawn(process.execPath, [BIN, 'platform:start', '--foreground'], {env: ferryEnv(home), stdio: ['ignore', 'pipe', 'pipe']})
    let out = ''
    child.stdout.setEncoding('utf8').on('data', d => {
      out += d
    })
    try {
      for (let i = 0; i < 300 && !/running at/.test(out); i++) await sleep(100)
      expect(out).toMatch(/^Local platform running at http:\/\/127\.0\.0\.1:\d+ \(pid \d+\); press Ctrl-C to stop\n/)
      expect(readDaemonJson(home)!.pid).toBe(child.pid)
      const apps = await runFerry(['apps'], {home})
      expect(apps.code, apps.stderr).toBe(0)
      expect(apps.stderr).not.toMatch(/Started/)
      const exited = new Promise(resolve => child.on('exit', resolve))
      child.kill('SIGINT')
      expect(await exited).toBe(0)
      expect(readDaemonJson(home)).toBeUndefined()
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL')
    }
  })

  it('drives another Platform API by URL, by login, and as the heroku backend', async () => {
    const server = newHome()
    expect((await runFerry(['apps:create', 'remote-app'], {home: server})).code).toBe(0)
    const {url} = readDaemonJson(server)!
    const token = readToken(server)
    const client = newHome() // a second FERRY_HOME acting as another machine's CLI

    const viaEnv = await runFerry(['apps', '--json'], {env: {FERRY_API_KEY: token, FERRY_API_URL: url}, home: client})
    expect(viaEnv.code, viaEnv.stderr).toBe(0)
    expect(JSON.parse(viaEnv.stdout).map((a: {name: string}) => a.name)).toEqual(['remote-app'])

    const heroku = await runFerry(['config', '-a', 'remote-app', '--json'], {env: {FERRY_BACKEND: 'heroku', FERRY_HEROKU_API_URL: url, HEROKU_API_KEY: token}, home: client})
    expect(heroku.code, heroku.stderr).toBe(0)
    expect(JSON.parse(heroku.stdout)).toEqual({})

    const badLogin = await runFerry(['login', '--backend', url], {home: client, input: 'not-the-token\n'})
    expect(badLogin.code).toBe(2)
    const login = await runFerry(['login', '--backend', url], {home: client, input: `${token}\n`})
    expect(login.code, login.stderr).toBe(0)
    expect(login.stdout).toMatch(/^Logged in to http:\/\/127\.0\.0\.1:\d+ as \S+@\S+\n$/)
    expect((await runFerry(['backends:use', url], {home: client})).stdout).toBe(`Using backend ${url}\n`)
    const backends = await runFerry(['backends'], {home: client})
    expect(backends.stdout).toMatch(new RegExp(`^ {2}\\* +${url.replaceAll('.', '\\.')} +`, 'm'))
    const whoami = await runFerry(['whoami'], {home: client})
    expect(whoami.code, whoami.stderr).toBe(0)
    expect((await runFerry(['auth:token'], {home: client})).stdout).toBe(`${token}\n`)
    expect(readDaemonJson(client)).toBeUndefined() // the client never started a local platform

    expect((await runFerry(['logout'], {home: client})).stdout).toBe(`Logged out of ${url}\n`)
    const after = await runFerry(['apps'], {home: client})
    expect(after.code).toBe(2)
    expect(after.stderr).toMatch(/no API token for/)
    expect((await runFerry(['backends:use', 'local'], {home: client})).code).toBe(0)
  })
})
