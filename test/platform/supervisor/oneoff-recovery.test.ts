import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'

import {DynoSupervisor} from '../../../src/platform/supervisor/index.js'
import {alive, get, harness, type Harness, pidsMatching, waitFor} from './helpers.js'

let h: Harness | undefined
const extra: DynoSupervisor[] = []

async function collect(stream: NodeJS.ReadableStream): Promise<string> {
  let text = ''
  for await (const chunk of stream) text += chunk.toString()
  return text
}

describe('supervisor: one-offs, recovery, no sandbox', () => {
describe('one-off dynos', () => {
  afterEach(async () => {
    await h?.cleanup()
    h = undefined
  })

  it('runs attached with stdin/stdout, resolves the exit status, is never restarted and leaves the list', async () => {
    h = harness()
    h.app.release = h.release({GREETING: 'oneoff'})
    const handle = await h.supervisor.startOneOff({appId: h.app.appId, attach: true, command: 'echo "$GREETING $DYNO"; read x; echo "got $x" >&2; exit 4'})
    expect(handle.dyno.name).toMatch(/^run\.\d{4}$/)
    expect(handle.dyno.type).toBe('run')
    expect(h.supervisor.dynos(h.app.appId).map(d => d.name)).toEqual([handle.dyno.name])
    const output = collect(handle.output)
    handle.stdin.write('abc\n')
    handle.stdin.end()
    expect(await handle.exit).toBe(4)
    const text = await output
    expect(text).toContain(`oneoff ${handle.dyno.name}`)
    expect(text).toContain('got abc')
    expect(h.supervisor.dynos(h.app.appId)).toEqual([])
    expect(h.logText(handle.dyno.name)).toContain('State changed from up to complete')
  })

  it('runs detached (output to the log), type release → release.NNNN, stop() ends it', async () => {
    h = harness({stopGraceMs: 300})
    h.app.release = h.release()
    const handle = await h.supervisor.startOneOff({appId: h.app.appId, attach: false, command: 'echo detached-line; sleep 1000', type: 'release'})
    expect(handle.dyno.name).toMatch(/^release\.\d{4}$/)
    await waitFor(() => h!.logText(handle.dyno.name).includes('app[' + handle.dyno.name + ']: detached-line'), 'log line')
    await handle.stop()
    expect(await handle.exit).toBe(143)
  })

  it('refuses to run without a release', async () => {
    h = harness()
    await expect(h.supervisor.startOneOff({appId: h.app.appId, attach: true, command: 'true'})).rejects.toThrow(/no release/)
  })
})

describe('daemon crash recovery', () => {
  afterEach(async () => {
    for (const s of extra.splice(0)) await s.shutdown()
    await h?.cleanup()
    h = undefined
  })

  it('records dyno pids; a new supervisor stops the leftovers of a crashed one and brings the formation back', async () => {
    h = harness()
    const marker = `ferry-leftover-${process.pid}`
    h.app.release = h.release()
    h.app.formation = [
      {command: `exec -a ${marker} node server.js`, quantity: 2, size: 'Basic', type: 'web'},
      {command: `exec -a ${marker} node worker.js`, quantity: 1, size: 'Basic', type: 'worker'},
    ]
    await h.supervisor.converge(h.app.appId)
    await waitFor(() => h!.supervisor.webTargets(h!.app.appId).length === 2 && pidsMatching(marker).length === 3, 'formation up')
    const oldPids = pidsMatching(marker)
    const recorded = () => JSON.parse(readFileSync(join(h!.dataDir, 'run', 'dynos.json'), 'utf8')).dynos as Array<{innerPid?: number}>
    await waitFor(() => recorded().filter(d => d.innerPid || h!.supervisor.isolation.mode === 'none').length === 3, 'run table written')
    // Simulate kill -9 of the daemon: the old supervisor stops reacting (no restarts), its processes stay.
    const crashed = h.supervisor;
(crashed as any).state.shuttingDown = true
    const fresh = new DynoSupervisor((crashed as any).deps, {backoffBaseMs: 200})
    extra.push(fresh)
    await fresh.convergeAll()
    for (const pid of oldPids) expect(alive(pid), `old pid ${pid}`).toBe(false)
    await waitFor(() => fresh.webTargets(h!.app.appId).length === 2, 'formation back')
    expect(pidsMatching(marker).length).toBe(3)
    expect((await get(fresh.webTargets(h.app.appId)[0].port)).body).toMatch(/^ok web\.\d$/)
    await fresh.shutdown()
    expect(pidsMatching(marker)).toEqual([])
  })
})

describe('without bwrap (isolation none)', () => {
  afterEach(async () => {
    await h?.cleanup()
    h = undefined
  })

  it('runs dynos as plain process groups and kills the whole group on stop', async () => {
    h = harness({isolation: 'none'})
    const marker = `ferry-plain-${process.pid}`
    h.app.release = h.release({GREETING: 'plain'})
    h.app.formation = [
      {command: `(exec -a ${marker}-child sleep 1000 &); exec node server.js`, quantity: 1, size: 'Basic', type: 'web'},
    ]
    await h.supervisor.converge(h.app.appId)
    await waitFor(() => h!.supervisor.webTargets(h!.app.appId).length === 1, 'web up')
    expect(h.supervisor.isolation.mode).toBe('none')
    const env = JSON.parse((await get(h.supervisor.webTargets(h.app.appId)[0].port, '/env')).body)
    expect(env).toMatchObject({DYNO: 'web.1', FROM_PROFILE_D: 'yes', GREETING: 'plain', HOME: h.supervisor.slugs.dirFor(h.app.release.id)})
    expect(pidsMatching(`${marker}-child`).length).toBe(1)
    h.app.formation = []
    await h.supervisor.converge(h.app.appId)
    await waitFor(() => pidsMatching(`${marker}-child`).length === 0, 'child gone', 3000)
  })

  it("takes the platform's isolation decision (none: no usable bubblewrap) instead of probing again", async () => {
    // The platform found no usable bubblewrap (or was told FERRY_ISOLATION=none): dynos run unsandboxed, whatever
    // this host could do, and the status the platform reports stays true.
    h = harness({config: {isolation: 'none'}})
    h.app.release = h.release()
    h.app.formation = [{command: 'node worker.js', quantity: 1, size: 'Basic', type: 'worker'}]
    await h.supervisor.converge(h.app.appId)
    expect(h.supervisor.isolation).toMatchObject({detail: 'none (install bubblewrap)', mode: 'none'})
    await waitFor(() => h!.logText('worker.1').includes('worker env'), 'worker output')
    expect(h.logText('worker.1')).toContain(`"HOME":"${h.supervisor.slugs.dirFor(h.app.release.id)}"`)
  })
})
})
