import {spawn} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'

import {PlatformStartError, type RunningPlatform, startPlatform} from '../../src/platform/daemon.js'
import {detectIsolation} from '../../src/platform/isolation.js'
import {platformPaths} from '../../src/platform/paths.js'

const repoRoot = resolve(import.meta.dirname, '..', '..')
const running: RunningPlatform[] = []
const dirs: string[] = []
const children: number[] = []

function tempHome(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-daemon-'))
  dirs.push(dir)
  return dir
}

async function start(home: string, env: Record<string, string> = {}): Promise<RunningPlatform> {
  const platform = await startPlatform({env: {FERRY_HOME: home, FERRY_ISOLATION: 'none', ...env}})
  running.push(platform)
  return platform
}

const mode = (file: string) => statSync(file).mode & 0o777

describe('platform daemon', () => {
  afterEach(async () => {
    for (const p of running.splice(0)) await p.close()
    for (const pid of children.splice(0)) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {}
    }

    for (const dir of dirs.splice(0)) rmSync(dir, {force: true, recursive: true})
  })

  it('starts in-process: daemon.json (0600) as DaemonInfo, token 0600, API on 127.0.0.1 with auth, /ferry/status', async () => {
    const home = tempHome()
    const p = await start(home, {FERRY_PORT: '0'})
    const paths = platformPaths(join(home, 'data'))
    const info = JSON.parse(readFileSync(paths.daemonInfo, 'utf8'))
    expect(Object.keys(info).sort()).toEqual(['dataDir', 'isolation', 'pid', 'pidStart', 'port', 'routerPort', 'startedAt', 'url', 'version'])
    expect(info).toEqual(p.info)
    expect(info).toMatchObject({dataDir: paths.dataDir, isolation: 'none', pid: process.pid, pidStart: readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')[19], url: `http://127.0.0.1:${info.port}`})
    expect(info.routerPort).toBeGreaterThan(0)
    expect(mode(paths.daemonInfo)).toBe(0o600)
    expect(mode(paths.token)).toBe(0o600)
    const token = readFileSync(paths.token, 'utf8').trim()
    expect(token).toMatch(/^[\da-f]{64}$/)
    expect((await fetch(`${info.url}/ferry/status`)).status).toBe(401)
    const status = await (await fetch(`${info.url}/ferry/status`, {headers: {Authorization: `Bearer ${token}`}})).json()
    const shown = {...info}
    delete shown.pidStart // daemon.json only: for clients that check the pid before they talk to it
    expect(status).toMatchObject({...shown, apps: 0, dynos: 0, routerUrl: `http://127.0.0.1:${info.routerPort}`})
    for (const sub of ['repos', 'slugs', 'releases', 'cache', 'logs', 'builds', 'sources']) expect(existsSync(join(paths.dataDir, sub))).toBe(true)
  })

  it('refuses a second platform on the same data dir with a clear message', async () => {
    const home = tempHome()
    await start(home, {FERRY_PORT: '0'})
    await expect(start(home, {FERRY_PORT: '0'})).rejects.toThrow(PlatformStartError)
    await expect(start(home, {FERRY_PORT: '0'})).rejects.toThrow(/Another ferry platform \(pid \d+\) is already running.*ferry platform:stop/)
  })

  it('replaces a stale lock (dead pid), keeps the token, and removes daemon.json and the lock on close', async () => {
    const home = tempHome()
    const paths = platformPaths(join(home, 'data'))
    mkdirSync(paths.run, {recursive: true})
    writeFileSync(paths.lock, '999999999\n')
    const first = await start(home, {FERRY_PORT: '0'})
    const token = readFileSync(paths.token, 'utf8')
    expect(readFileSync(paths.lock, 'utf8').trim().split(' ')[0]).toBe(String(process.pid))
    await first.close()
    expect(existsSync(paths.daemonInfo)).toBe(false)
    expect(existsSync(paths.lock)).toBe(false)
    await start(home, {FERRY_PORT: '0'})
    expect(readFileSync(paths.token, 'utf8')).toBe(token)
  })

  it('treats a lock whose pid was reused by another process (different start time) as stale', async () => {
    const home = tempHome()
    const paths = platformPaths(join(home, 'data'))
    mkdirSync(paths.run, {recursive: true})
    writeFileSync(paths.lock, `${process.pid} 1\n`)
    await start(home, {FERRY_PORT: '0'})
    expect(readFileSync(paths.lock, 'utf8').trim()).toMatch(new RegExp(`^${process.pid} \\d+$`))
  })

  it('reuses the remembered API and router ports when FERRY_PORT is unset and they are free', async () => {
    const home = tempHome()
    const first = await start(home)
    const {port, routerPort} = first.info
    await first.close()
    const second = await start(home)
    expect(second.info.port).toBe(port)
    expect(second.info.routerPort).toBe(routerPort)
  })

  it('picks (and remembers) a new port when the remembered one is taken; an explicit busy FERRY_PORT is a clear error', async () => {
    const home = tempHome()
    const first = await start(home)
    const {port} = first.info
    await first.close()
    const blocker = createServer()
    await new Promise<void>(resolve => blocker.listen(port, '127.0.0.1', resolve))
    try {
      const second = await start(home)
      expect(second.info.port).not.toBe(port)
      expect(readFileSync(platformPaths(join(home, 'data')).portFile, 'utf8').trim()).toBe(String(second.info.port))
      await second.close()
      await expect(start(home, {FERRY_PORT: String(port)})).rejects.toThrow(new RegExp(`Port ${port} on 127.0.0.1 is already in use`))
      expect(existsSync(platformPaths(join(home, 'data')).lock)).toBe(false)
    } finally {
      await new Promise(resolve => blocker.close(resolve))
    }
  })

  it('holds the config it was started with: the bound ports are in ctx.config from the start; a busy FERRY_ROUTER_PORT is a clear error', async () => {
    const home = tempHome()
    const platform = await start(home, {FERRY_PORT: '0', FERRY_ROUTER_PORT: '0'})
    expect(platform.ctx.config.port).toBe(platform.info.port)
    expect(platform.ctx.config.routerPort).toBe(platform.info.routerPort)
    expect(platform.info.routerPort).not.toBe(0)
    expect(platform.info.routerPort).not.toBe(platform.info.port)
    const busy = platform.info.routerPort
    await platform.close()
    const blocker = createServer()
    await new Promise<void>(resolve => blocker.listen(busy, '127.0.0.1', resolve))
    try {
      await expect(start(home, {FERRY_ROUTER_PORT: String(busy)})).rejects.toThrow(`Port ${busy} on 127.0.0.1 is already in use; set FERRY_ROUTER_PORT to another port (0 = any free port).`)
      expect(existsSync(platformPaths(join(home, 'data')).lock)).toBe(false)
    } finally {
      await new Promise(resolve => blocker.close(resolve))
    }
  })

  it('keeps data across restarts', async () => {
    const home = tempHome()
    const first = await start(home, {FERRY_PORT: '0'})
    first.ctx.store.createApp({name: 'persist'})
    await first.close()
    const second = await start(home, {FERRY_PORT: '0'})
    expect(second.ctx.store.getApp('persist').name).toBe('persist')
  })

  it('rejects a bad FERRY_PORT with a clear message', async () => {
    await expect(start(tempHome(), {FERRY_PORT: 'abc'})).rejects.toThrow(/FERRY_PORT must be a non-negative integer/)
  })

  it('rejects a bad FERRY_ROUTER_ENGINE or FERRY_ROUTER_BINARY with a clear message, starting nothing', async () => {
    const home = tempHome()
    const paths = platformPaths(join(home, 'data'))
    const bad = [
      [{FERRY_ROUTER_ENGINE: 'fast'}, /^FERRY_ROUTER_ENGINE must be "native" or "node", got "fast"\.$/],
      [{FERRY_ROUTER_BINARY: join(home, 'nope')}, /^FERRY_ROUTER_BINARY must name an executable ferry-router build, got ".*nope"\.$/],
    ] as const
    for (const [env, message] of bad) {
      const error = await start(home, env).then(() => undefined, (error: Error) => error)
      expect(error).toBeInstanceOf(PlatformStartError)
      expect(error?.message).toMatch(message)
      expect(existsSync(paths.daemonInfo)).toBe(false)
      expect(existsSync(paths.token)).toBe(false)
    }

    // Nothing was left holding the data dir: a good start works at once.
    const platform = await start(home, {FERRY_PORT: '0', FERRY_ROUTER_ENGINE: 'node', FERRY_ROUTER_PORT: '0'})
    expect(platform.ctx.config.routerEngine).toBe('node')
  })

  it('runs as a background process (main entry) and stops gracefully on SIGTERM with exit 0', async () => {
    const home = tempHome()
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/platform/main.ts')], {
      cwd: repoRoot,
      env: {...process.env, FERRY_HOME: home, FERRY_ISOLATION: 'none', FERRY_PORT: '0'},
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    children.push(child.pid!)
    let stderr = ''
    child.stderr.on('data', chunk => {
      stderr += chunk
    })
    const exited = new Promise<null | number>(resolve => child.once('exit', code => resolve(code)))
    const paths = platformPaths(join(home, 'data'))
    const deadline = Date.now() + 30_000
    while (!existsSync(paths.daemonInfo) && Date.now() < deadline) await new Promise(r => setTimeout(r, 100))
    const info = JSON.parse(readFileSync(paths.daemonInfo, 'utf8'))
    expect(info.pid).toBe(child.pid)
    const token = readFileSync(paths.token, 'utf8').trim()
    expect((await fetch(`${info.url}/ferry/status`, {headers: {Authorization: `Bearer ${token}`}})).status).toBe(200)
    child.kill('SIGTERM')
    expect(await exited, stderr).toBe(0)
    expect(existsSync(paths.daemonInfo)).toBe(false)
    expect(existsSync(paths.lock)).toBe(false)
  })

  it('starts without loading what only builds and attached one-offs need (node:tls, zlib for tar)', async () => {
    const home = tempHome()
    const script = [
      `const {startPlatform} = await import(${JSON.stringify(join(repoRoot, 'src/platform/daemon.ts'))})`,
      'const platform = await startPlatform({port: 0, routerPort: 0})',
      'console.log(JSON.stringify(process.moduleLoadList))',
      'await platform.close()',
    ].join('\n')
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: repoRoot,
      env: {...process.env, FERRY_HOME: home, FERRY_ISOLATION: 'none'},
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    children.push(child.pid!)
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', chunk => {
      stdout += chunk
    })
    child.stderr.on('data', chunk => {
      stderr += chunk
    })
    const code = await new Promise<null | number>(resolve => child.once('exit', resolve))
    expect(code, stderr).toBe(0)
    const loaded = JSON.parse(stdout.trim().split('\n').at(-1)!) as string[]
    expect(loaded).toContain('NativeModule http')
    expect(loaded.filter(m => /^NativeModule (tls|_tls_wrap|zlib)$/.test(m))).toEqual([])
  })

  it('detects isolation by really running bwrap (or reports none), and honours FERRY_ISOLATION=none', () => {
    expect(['bwrap', 'none']).toContain(detectIsolation())
    expect(detectIsolation('none')).toBe('none')
  })
})
