// e2e (issue 8): the real CLI against a real daemon: a slug + release, ps:scale, ps, config:set restarts, ps:scale to 0,
// ps:restart / ps:stop, kill -9 of the daemon → `ferry ps` autostarts it and the formation comes back.
// Needs `npm run build`.
import {copyFileSync, existsSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {BIN, isAlive, makeFerryHome, platformApi, readDaemonJson, removeFerryHome, routerGet, runFerry} from '../helpers/index.js'
import {skipUnlessAvailable} from '../helpers/requires.js'
import {makeSlug, pidsMatching, waitFor} from '../platform/supervisor/helpers.js'

const APP = 'dyno-e2e'
const marker = `ferry-e2e-${process.pid}`

async function viaRouter(routerPort: number, path: string): Promise<string> {
  const {body, status} = await routerGet(routerPort, `${APP}.localhost`, path)
  if (status !== 200) throw new Error(`${status} ${body}`)
  return body
}

describe.skipIf(skipUnlessAvailable('dist/ (the built CLI)', existsSync(join(BIN, '..', '..', 'dist', 'commands', 'ps', 'restart.js')), 'run npm run build'))('e2e: dynos', () => {
  let home: string
  let scratch: string
  const ferry = (...args: string[]) => runFerry([...args, '-a', APP], {home})
  const psJson = async () => {
    const r = await ferry('ps', '--json')
    return r.code === 0 ? (JSON.parse(r.stdout) as Array<{name: string; state: string}>) : []
  }

  const states = async () => (await psJson()).map(d => `${d.name}:${d.state}`).sort().join(' ')

  const api = (method: string, path: string, body?: unknown) => platformApi(home, method, path, body)

  beforeAll(async () => {
    home = makeFerryHome()
    scratch = mkdtempSync(join(tmpdir(), 'ferry-e2e-slug-'))
    const created = await runFerry(['apps:create', APP], {home})
    expect(created.code, created.stderr).toBe(0)
    // A slug and a release through the API (the deploy pipeline has its own e2e); the tarball goes where the store expects it.
    const slug = await api('POST', `/apps/${APP}/slugs`, {
      process_types: {web: `exec -a ${marker}-web node server.js`, worker: `exec -a ${marker}-worker node worker.js`},
    })
    copyFileSync(makeSlug(scratch), join(home, 'data', 'slugs', `${slug.id}.tgz`))
    await api('POST', `/apps/${APP}/releases`, {slug: slug.id})
  }, 60_000)

  afterAll(async () => {
    await removeFerryHome(home)
    rmSync(scratch, {force: true, recursive: true})
    expect(pidsMatching(`${marker}-web`).length + pidsMatching(`${marker}-worker`).length).toBe(0)
  })

  it('ps:scale web=2 worker=1 → ps shows 3 dynos up; web answers on its PORT, the worker sees its config var', async () => {
    expect((await ferry('config:set', 'GREETING=hello')).code).toBe(0)
    const scaled = await ferry('ps:scale', 'web=2', 'worker=1')
    expect(scaled.code, scaled.stderr).toBe(0)
    await waitFor(async () => (await states()) === 'web.1:up web.2:up worker.1:up', '3 dynos up', 20_000)
    const ps = await ferry('ps')
    expect(ps.stdout).toMatch(/=== web \(Basic\): exec -a \S+ node server.js \(2\)/)
    expect(ps.stdout).toMatch(/web\.1: up \d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d [+-]\d{4} \(~ \d+s ago\)/)
    const routerPort = readDaemonJson(home)!.routerPort
    const seen = new Set<string>()
    for (let i = 0; i < 8; i++) seen.add(await viaRouter(routerPort, '/'))
    expect([...seen].sort()).toEqual(['ok web.1', 'ok web.2'])
    expect(JSON.parse(await viaRouter(routerPort, '/env')).GREETING).toBe('hello')
    await waitFor(async () => (await ferry('logs', '-n', '300')).stdout.includes('"GREETING":"hello"'), 'worker env in logs', 20_000)
  })

  it('config:set restarts the dynos with the new value; ps:scale worker=0 leaves no worker process', async () => {
    expect((await ferry('config:set', 'GREETING=bye')).code).toBe(0)
    const routerPort = readDaemonJson(home)!.routerPort
    await waitFor(async () => JSON.parse(await viaRouter(routerPort, '/env')).GREETING === 'bye', 'new config served', 20_000)
    await waitFor(async () => (await states()) === 'web.1:up web.2:up worker.1:up', 'all up again', 20_000)
    expect(pidsMatching(`${marker}-worker`).length).toBe(1)
    expect((await ferry('ps:scale', 'worker=0')).code).toBe(0)
    await waitFor(async () => pidsMatching(`${marker}-worker`).length === 0, 'no worker process', 10_000)
    expect(await states()).toBe('web.1:up web.2:up')
  })

  it('ps:restart and ps:stop print Heroku\'s lines and act through the dynos API', async () => {
    const restart = await ferry('ps:restart', '-d', 'web.1')
    expect(restart.code, restart.stderr).toBe(0)
    expect(restart.stderr).toContain(`Restarting dyno web.1 on ${APP}... done`)
    const all = await ferry('restart')
    expect(all.stderr).toContain(`Restarting all dynos on ${APP}... done`)
    const stop = await ferry('ps:stop', '-p', 'web')
    expect(stop.stderr).toContain(`Stopping all web dynos on ${APP}... done`)
    const none = await ferry('ps:stop')
    expect(none.code).toBe(1) // an input error since the CLI parity work (5c5bda9)
    expect(none.stderr).toContain('Please specify a process type or dyno name to stop.')
    const missing = await ferry('ps:stop', '-d', 'web.7')
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain("Couldn't find that dyno.")
    await waitFor(async () => (await states()) === 'web.1:up web.2:up', 'web up after restarts', 20_000)
  })

  it('kill -9 of the daemon, then `ferry ps` autostarts it and the formation comes back', async () => {
    const before = pidsMatching(`${marker}-web`)
    expect(before.length).toBe(2)
    const {pid} = readDaemonJson(home)!
    process.kill(pid, 'SIGKILL')
    await waitFor(() => !isAlive(pid), 'daemon dead')
    const started = Date.now()
    // The first command after the crash works (it starts the new daemon), it does not fail while the old one is found.
    const first = await ferry('ps')
    expect(first.code, first.stderr).toBe(0)
    expect(first.stderr).toMatch(/Started local platform at /)
    await waitFor(async () => (await states()) === 'web.1:up web.2:up', 'formation back', 30_000)
    console.log(`formation back ${Date.now() - started} ms after kill -9 (incl. CLI autostart)`)
    for (const p of before) expect(isAlive(p), `leftover pid ${p}`).toBe(false)
    expect(pidsMatching(`${marker}-web`).length).toBe(2)
  })
})
