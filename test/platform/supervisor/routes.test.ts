// Dyno action routes against a real API server (A's harness) with the real supervisor swapped in.
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {createSupervisor, type DynoSupervisor} from '../../../src/platform/supervisor/index.js'
import {type Harness, startHarness} from '../server/harness.js'
import {makeSlug, waitFor} from './helpers.js'

describe('dyno action routes', () => {
  let h: Harness
  let supervisor: DynoSupervisor
  let appId: string
  const ids = () => Object.fromEntries(supervisor.dynos(appId).map(d => [d.name, d.id]))
  const allUp = () => supervisor.dynos(appId).length === 3 && supervisor.dynos(appId).every(d => d.state === 'up')

  beforeAll(async () => {
    h = await startHarness()
    supervisor = createSupervisor(h.ctx, {isolation: 'none'})
    h.ctx.supervisor = supervisor
    const res = await h.request('POST', '/apps', {body: {name: 'dynoapp'}})
    expect(res.status).toBe(201)
    appId = ((await res.json()) as {id: string}).id
    const slug = h.ctx.store.createSlug({
      appId,
      blobPath: makeSlug(h.ctx.config.dataDir),
      processTypes: {web: 'node server.js', worker: 'node worker.js'},
    })
    h.ctx.store.createRelease({appId, description: 'Deploy test', slugId: slug.id})
    const scale = await h.request('PATCH', '/apps/dynoapp/formation', {body: {updates: [{quantity: 2, type: 'web'}, {quantity: 1, type: 'worker'}]}})
    expect(scale.status).toBe(200)
    await waitFor(allUp, 'formation up')
  })
  afterAll(async () => {
    await supervisor?.shutdown()
    await h?.close()
  })

  it('GET /apps/:app/dynos lists the running dynos', async () => {
    const res = await h.request('GET', '/apps/dynoapp/dynos')
    const body = (await res.json()) as Array<{name: string; state: string}>
    expect(body.map(d => `${d.name}:${d.state}`).sort()).toEqual(['web.1:up', 'web.2:up', 'worker.1:up'])
  })

  it('DELETE /apps/:app/dynos/:dyno restarts one dyno (202 {}), unknown dyno → 404', async () => {
    const before = ids()
    const res = await h.request('DELETE', '/apps/dynoapp/dynos/web.1', {headers: {Accept: 'application/vnd.heroku+json; version=3.sdk'}})
    expect(res.status).toBe(202)
    expect(await res.json()).toEqual({})
    await waitFor(() => ids()['web.1'] !== before['web.1'] && allUp(), 'web.1 restarted')
    expect(ids()['web.2']).toBe(before['web.2'])
    const missing = await h.request('DELETE', '/apps/dynoapp/dynos/web.9')
    expect(missing.status).toBe(404)
    expect(await missing.json()).toMatchObject({id: 'not_found', message: "Couldn't find that dyno."})
  })

  it('DELETE /apps/:app/formations/:type restarts a type; unknown type → 404', async () => {
    const before = ids()
    const res = await h.request('DELETE', '/apps/dynoapp/formations/worker')
    expect(res.status).toBe(202)
    await waitFor(() => ids()['worker.1'] !== before['worker.1'] && allUp(), 'worker restarted')
    expect(ids()['web.1']).toBe(before['web.1'])
    const missing = await h.request('DELETE', '/apps/dynoapp/formations/nope')
    expect(missing.status).toBe(404)
    expect(await missing.json()).toMatchObject({message: "Couldn't find that process type (nope)."})
  })

  it('POST …/actions/stop (dyno and formation, no body) → 202 and the dynos are replaced', async () => {
    let before = ids()
    let res = await h.request('POST', '/apps/dynoapp/dynos/web.2/actions/stop')
    expect(res.status).toBe(202)
    await waitFor(() => ids()['web.2'] !== before['web.2'] && allUp(), 'web.2 replaced')
    before = ids()
    res = await h.request('POST', '/apps/dynoapp/formations/web/actions/stop')
    expect(res.status).toBe(202)
    await waitFor(() => ids()['web.1'] !== before['web.1'] && ids()['web.2'] !== before['web.2'] && allUp(), 'web replaced')
    expect((await h.request('POST', '/apps/dynoapp/formations/nope/actions/stop')).status).toBe(404)
    expect((await h.request('POST', '/apps/dynoapp/dynos/nope.1/actions/stop')).status).toBe(404)
  })

  it('DELETE /apps/:app/dynos restarts every dyno', async () => {
    const before = ids()
    const res = await h.request('DELETE', '/apps/dynoapp/dynos')
    expect(res.status).toBe(202)
    await waitFor(() => Object.entries(ids()).every(([n, id]) => id !== before[n]) && allUp(), 'all restarted')
    expect((await h.request('DELETE', '/apps/nope/dynos')).status).toBe(404)
  })
})
