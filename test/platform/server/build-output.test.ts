// GET /ferry/build-output/<build>/<secret> is unauthenticated: it must cost one primary-key read, not a scan of
// every app, and nothing at all for a wrong secret (issue 13, low item).
import {mkdirSync, writeFileSync} from 'node:fs'
import {afterAll, beforeAll, describe, expect, it, vi} from 'vitest'

import {createApp, type Harness, startHarness} from './harness.js'

let h: Harness
beforeAll(async () => {
  h = await startHarness()
})
afterAll(async () => {
  vi.restoreAllMocks()
  await h.close()
})

describe('build output capability URL', () => {
  it('answers from the build id alone and never lists apps; a wrong secret reads nothing', async () => {
    for (let i = 0; i < 20; i++) await createApp(h, `filler-${i}`)
    const app = await createApp(h, 'outapp')
    const build = h.ctx.store.createBuild({appId: app.id, sourceBlob: {url: 'file:///x'}})
    mkdirSync(h.ctx.paths.builds, {recursive: true})
    writeFileSync(build.outputPath, '-----> hello from the build\n')
    const listApps = vi.spyOn(h.ctx.store, 'listApps')
    const findBuild = vi.spyOn(h.ctx.store, 'findBuild')
    const byId = vi.spyOn(h.ctx.store, 'findBuildById')

    const url = (await h.ctx.deploy()).outputStreamUrl(build.id)
    const ok = await fetch(url)
    expect(ok.status).toBe(200)
    expect(await ok.text()).toBe('-----> hello from the build\n')
    expect(byId).toHaveBeenCalledTimes(1)

    const wrong = await fetch(url.replace(/\/[\da-f]{40}$/, `/${'0'.repeat(40)}`))
    expect(wrong.status).toBe(404)
    const unknown = await fetch(`${h.url}/ferry/build-output/00000000-0000-0000-0000-000000000000/${'0'.repeat(40)}`)
    expect(unknown.status).toBe(404)
    expect(byId).toHaveBeenCalledTimes(1)
    expect(listApps).not.toHaveBeenCalled()
    expect(findBuild).not.toHaveBeenCalled()
  })
})
