import {afterEach, describe, expect, it} from 'vitest'

import {alive, get, harness, type Harness, pidsMatching, waitFor} from './helpers.js'

let h: Harness | undefined

const upDynos = (x: Harness) => x.supervisor.dynos(x.app.appId).filter(d => d.state === 'up')

describe('supervisor: converge formation', () => {
  afterEach(async () => {
    await h?.cleanup()
    h = undefined
  })

  it('scales 2 web + 1 worker up; each web answers on its PORT with config vars, DYNO and HOME=/app; worker sees its config', async () => {
    h = harness()
    h.app.release = h.release({GREETING: 'hello'})
    h.app.formation = [
      {command: 'node server.js', quantity: 2, size: 'Basic', type: 'web'},
      {command: 'node worker.js', quantity: 1, size: 'Basic', type: 'worker'},
    ]
    await h.supervisor.converge(h.app.appId)
    await waitFor(() => upDynos(h!).length === 3, '3 dynos up')
    const dynos = h.supervisor.dynos(h.app.appId)
    expect(dynos.map(d => d.name)).toEqual(['web.1', 'web.2', 'worker.1'])
    expect(dynos[0]).toMatchObject({command: 'node server.js', release: {id: h.app.release.id, version: 1}, size: 'Basic', type: 'web'})
    const targets = h.supervisor.webTargets(h.app.appId)
    expect(targets.map(t => t.dyno).sort()).toEqual(['web.1', 'web.2'])
    expect(new Set(targets.map(t => t.port)).size).toBe(2)
    // Cached for the router while nothing changes (and frozen so no caller can alter the cached answer).
    expect(h.supervisor.webTargets(h.app.appId)).toBe(targets)
    expect(Object.isFrozen(targets)).toBe(true)
    for (const t of targets) {
      const env = JSON.parse((await get(t.port, '/env')).body)
      expect(env).toMatchObject({DYNO: t.dyno, FROM_PROFILE_D: 'yes', GREETING: 'hello', PORT: String(t.port)})
      expect(env.PATH).toContain('/node_modules/.bin')
      if (h.supervisor.isolation.mode !== 'none') expect(env.HOME).toBe('/app')
      expect(env.FERRY_HOME).toBeUndefined()
    }

    await waitFor(() => h!.logText('worker.1').includes('worker env'), 'worker output in logs')
    expect(h.logText('worker.1')).toContain('"GREETING":"hello"')
    expect(h.logText('web.1')).toContain('Starting process with command `node server.js`')
    expect(h.logText('web.1')).toContain('State changed from starting to up')
  })

  it('replaces dynos on a config change (new release) and stops surplus ones leaving no process', async () => {
    h = harness()
    h.app.release = h.release({GREETING: 'one'})
    h.app.formation = [
      {command: 'node server.js', quantity: 2, size: 'Basic', type: 'web'},
      {command: 'node worker.js', quantity: 1, size: 'Basic', type: 'worker'},
    ]
    await h.supervisor.converge(h.app.appId)
    await waitFor(() => upDynos(h!).length === 3, '3 dynos up')
    const oldPids = new Set(h.supervisor.dynos(h.app.appId).map(d => d.id))
    const oldTargets = h.supervisor.webTargets(h.app.appId)
    expect(oldTargets.map(t => t.release)).toEqual([1, 1])
    h.app.release = {...h.app.release, env: {GREETING: 'two'}, id: crypto.randomUUID(), version: 2}
    await h.supervisor.converge(h.app.appId)
    await waitFor(() => upDynos(h!).length === 3 && upDynos(h!).every(d => d.release.version === 2), 'replaced dynos up')
    expect(h.supervisor.dynos(h.app.appId).map(d => d.id).some(id => oldPids.has(id))).toBe(false)
    // The cached targets follow the replacement: new records, ports and release.
    expect(h.supervisor.webTargets(h.app.appId).map(t => t.release)).toEqual([2, 2])
    expect(h.supervisor.webTargets(h.app.appId).some(t => oldTargets.some(o => o.port === t.port))).toBe(false)
    for (const t of h.supervisor.webTargets(h.app.appId)) {
      expect(JSON.parse((await get(t.port, '/env')).body).GREETING).toBe('two')
    }

    const marker = `ferry-scale-${process.pid}`
    h.app.formation = [
      {command: `exec -a ${marker} node server.js`, quantity: 3, size: 'Basic', type: 'web'},
      {command: 'node worker.js', quantity: 0, size: 'Basic', type: 'worker'},
    ]
    await h.supervisor.converge(h.app.appId)
    await waitFor(() => upDynos(h!).length === 3, '3 web up')
    expect(h.supervisor.webTargets(h.app.appId).map(t => t.dyno).sort()).toEqual(['web.1', 'web.2', 'web.3'])
    const pids = pidsMatching(marker)
    expect(pids.length).toBe(3)
    h.app.formation = [{command: `exec -a ${marker} node server.js`, quantity: 1, size: 'Basic', type: 'web'}]
    await h.supervisor.converge(h.app.appId)
    expect(h.supervisor.dynos(h.app.appId).map(d => d.name)).toEqual(['web.1'])
    expect(pidsMatching(marker).length).toBe(1)
    expect(h.logText('web.3')).toContain('Stopping all processes with SIGTERM')
    expect(h.logText('web.3')).toMatch(/State changed from up to down/)
    h.app.formation = []
    await h.supervisor.converge(h.app.appId)
    expect(h.supervisor.dynos(h.app.appId)).toEqual([])
    expect(pids.filter(p => alive(p))).toEqual([])
  })

  it('kills a dyno that ignores SIGTERM after the grace period (R12)', async () => {
    h = harness({stopGraceMs: 300})
    h.app.release = h.release()
    const marker = `ferry-stubborn-${process.pid}`
    h.app.formation = [{command: `trap "" TERM; exec -a ${marker} sleep 1000`, quantity: 1, size: 'Basic', type: 'worker'}]
    await h.supervisor.converge(h.app.appId)
    await waitFor(() => pidsMatching(marker).length === 1, 'stubborn process running')
    h.app.formation = []
    await h.supervisor.converge(h.app.appId)
    expect(pidsMatching(marker)).toEqual([])
    expect(h.logText('worker.1')).toContain('Error R12 (Exit timeout)')
    expect(h.logText('worker.1')).toMatch(/Process exited with status 137/)
  })

  it('restarts a crashing dyno with backoff and shows it crashed meanwhile', async () => {
    h = harness({backoffBaseMs: 400, backoffMaxMs: 2000})
    h.app.release = h.release()
    h.app.formation = [{command: 'echo boom; exit 3', quantity: 1, size: 'Basic', type: 'worker'}]
    await h.supervisor.converge(h.app.appId)
    await waitFor(() => (h!.logText('worker.1').match(/Process exited with status 3/g) ?? []).length >= 3, 'three crashes', 20_000)
    expect(h.logText('worker.1')).toContain('State changed from up to crashed')
    expect(h.logText('worker.1')).toContain('State changed from crashed to starting')
    await waitFor(() => h!.supervisor.dynos(h!.app.appId)[0]?.state === 'crashed', 'crashed state during backoff')
    expect(h.logText('worker.1')).toContain('app[worker.1]: boom')
  })

  it('a nonexistent command crashes with a clear log line and the platform keeps working', async () => {
    h = harness()
    h.app.release = h.release()
    h.app.formation = [
      {command: 'no-such-command-xyz --flag', quantity: 1, size: 'Basic', type: 'worker'},
      {command: 'node server.js', quantity: 1, size: 'Basic', type: 'web'},
    ]
    await h.supervisor.converge(h.app.appId)
    await waitFor(() => h!.logText('worker.1').includes('Process exited with status 127'), 'exit 127')
    expect(h.logText('worker.1')).toMatch(/no-such-command-xyz: command not found/)
    await waitFor(() => h!.supervisor.webTargets(h!.app.appId).length === 1, 'web up')
    expect((await get(h.supervisor.webTargets(h.app.appId)[0].port)).body).toBe('ok web.1')
  })

  it('marks a web dyno that never binds $PORT crashed after the boot timeout (R10)', async () => {
    h = harness({backoffBaseMs: 60_000, bootTimeoutMs: 400})
    h.app.release = h.release()
    h.app.formation = [{command: 'sleep 1000', quantity: 1, size: 'Basic', type: 'web'}]
    await h.supervisor.converge(h.app.appId)
    await waitFor(() => h!.logText('web.1').includes('Error R10 (Boot timeout)'), 'R10')
    await waitFor(() => h!.logText('web.1').includes('Process exited with status 137'), 'killed')
    expect(h.logText('web.1')).toContain('State changed from starting to crashed')
  })

  it('restart(name) starts a fresh process; restart(type) and restart() restart the matching dynos', async () => {
    h = harness()
    h.app.release = h.release()
    h.app.formation = [
      {command: 'node server.js', quantity: 2, size: 'Basic', type: 'web'},
      {command: 'node worker.js', quantity: 1, size: 'Basic', type: 'worker'},
    ]
    await h.supervisor.converge(h.app.appId)
    await waitFor(() => upDynos(h!).length === 3, 'up')
    const before = Object.fromEntries(h.supervisor.dynos(h.app.appId).map(d => [d.name, d.id]))
    await h.supervisor.restart(h.app.appId, {name: 'web.2'})
    let after = Object.fromEntries(h.supervisor.dynos(h.app.appId).map(d => [d.name, d.id]))
    expect(after['web.1']).toBe(before['web.1'])
    expect(after['web.2']).not.toBe(before['web.2'])
    await h.supervisor.stop(h.app.appId, {type: 'worker'})
    after = Object.fromEntries(h.supervisor.dynos(h.app.appId).map(d => [d.name, d.id]))
    expect(after['worker.1']).not.toBe(before['worker.1'])
    expect(after['web.1']).toBe(before['web.1'])
    await h.supervisor.restart(h.app.appId)
    const last = h.supervisor.dynos(h.app.appId)
    expect(last.length).toBe(3)
    expect(last.every(d => d.id !== before[d.name] && d.id !== after[d.name])).toBe(true)
    await waitFor(() => upDynos(h!).length === 3, 'up again')
  })

  it('preboot: the old web dyno keeps serving until its replacement is up, then stops', async () => {
    h = harness({preboot: true})
    h.app.release = h.release({GREETING: 'old'})
    h.app.formation = [{command: 'node server.js', quantity: 1, size: 'Basic', type: 'web'}]
    await h.supervisor.converge(h.app.appId)
    await waitFor(() => h!.supervisor.webTargets(h!.app.appId).length === 1, 'v1 up')
    const [old] = h.supervisor.webTargets(h.app.appId)
    expect(old.release).toBe(1)
    h.app.release = {...h.app.release, env: {GREETING: 'new'}, id: crypto.randomUUID(), version: 2}
    h.app.formation = [{command: 'sleep 0.5; exec node server.js', quantity: 1, size: 'Basic', type: 'web'}]
    await h.supervisor.converge(h.app.appId)
    // The replacement is booting: the old dyno still serves.
    expect(h.supervisor.dynos(h.app.appId)[0]).toMatchObject({release: {version: 2}, state: 'starting'})
    expect(h.supervisor.webTargets(h.app.appId)).toEqual([old])
    expect(JSON.parse((await get(old.port, '/env')).body).GREETING).toBe('old')
    await waitFor(() => h!.supervisor.webTargets(h!.app.appId).every(t => t.release === 2) && h!.supervisor.webTargets(h!.app.appId).length === 1, 'cut over')
    const [fresh] = h.supervisor.webTargets(h.app.appId)
    expect(JSON.parse((await get(fresh.port, '/env')).body).GREETING).toBe('new')
    await waitFor(async () => (await get(old.port).catch(() => undefined)) === undefined, 'old dyno stopped')
    const log = h.logText('web.1')
    expect(log.indexOf('Stopping all processes with SIGTERM')).toBeGreaterThan(log.lastIndexOf('State changed from starting to up'))
  })
})
