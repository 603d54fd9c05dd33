// e2e for issue 16 through the built CLI and a real daemon: maintenance mode (ferry maintenance[:on|:off]; the router
// answers 503 H80 while on, one-off dynos still run) and custom domains (ferry domains[:add|:remove|:clear]; the
// router routes the added Host to the app). The release is made through the API: this is about routing, not building.
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {eventually, makeFerryHome, readDaemonJson, releaseFiles, removeFerryHome, routerGet, runFerry} from '../helpers/index.js'

const APP = 'parity-web'
const OTHER = 'parity-other'
const SERVER = "require('http').createServer((req, res) => res.end('hello from ' + process.env.DYNO)).listen(process.env.PORT)\n"

describe('e2e: maintenance mode and custom domains', () => {
  let home: string
  let routerPort: number
  const ferry = (...args: string[]) => runFerry([...args, '--app', APP], {home})

  beforeAll(async () => {
    home = makeFerryHome('ferry-e2e-parity-')
    for (const name of [APP, OTHER]) {
      const created = await runFerry(['apps:create', name], {home})
      expect(created.code, created.stderr).toBe(0)
    }

    await releaseFiles(home, APP, {web: 'node server.js'}, {'server.js': SERVER})
    routerPort = readDaemonJson(home)!.routerPort
    await eventually('the web dyno', async () => (await routerGet(routerPort, `${APP}.localhost`)).status === 200, 60_000)
  }, 120_000)

  afterAll(async () => {
    if (home) await removeFerryHome(home)
  }, 60_000)

  it('maintenance:on makes the router answer 503 H80 (one-off dynos still run); maintenance:off brings the app back', async () => {
    expect((await ferry('maintenance')).stdout).toBe('off\n')
    const on = await ferry('maintenance:on')
    expect(on.code, on.stderr).toBe(0)
    expect(on.stderr).toContain(`Enabling maintenance mode for ⬢ ${APP}... done`)
    expect((await ferry('maintenance')).stdout).toBe('on\n')
    await eventually('the maintenance page', async () => (await routerGet(routerPort, `${APP}.localhost`)).status === 503)
    const page = await routerGet(routerPort, `${APP}.localhost`, '/anything')
    expect(page.body).toContain('Offline for Maintenance')
    const run = await ferry('run', 'echo one-off ran')
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toContain('one-off ran')
    const logs = await ferry('logs', '-n', '200')
    expect(logs.stdout).toMatch(/heroku\[router\]: at=info code=H80 desc="Maintenance mode" method=GET path="\/anything" host=parity-web\.localhost .*status=503/)
    const off = await ferry('maintenance:off')
    expect(off.stderr).toContain(`Disabling maintenance mode for ⬢ ${APP}... done`)
    await eventually('the app again', async () => (await routerGet(routerPort, `${APP}.localhost`)).status === 200)
  }, 60_000)

  it('domains:add routes the host to the app; domains lists it; a taken or invalid hostname is refused; remove and clear stop routing', async () => {
    expect((await routerGet(routerPort, 'www.parity.test')).status).toBe(404)
    const add = await ferry('domains:add', 'WWW.Parity.test')
    expect(add.code, add.stderr).toBe(0)
    expect(add.stderr).toContain(`Adding WWW.Parity.test to ⬢ ${APP}... done`)
    expect(add.stdout).toContain('DNS Target localhost')
    await eventually('the custom domain', async () => (await routerGet(routerPort, 'www.parity.test')).body === 'hello from web.1')
    expect((await ferry('domains:add', 'parity.test')).code).toBe(0)
    const list = await ferry('domains')
    expect(list.stdout).toContain(`=== ⬢ ${APP} Heroku Domain\n\n${APP}.localhost\n`)
    expect(list.stdout).toMatch(/Domain Name\s+DNS Record Type\s+DNS Target/)
    expect(list.stdout).toMatch(/www\.parity\.test\s+CNAME\s+localhost/)
    expect(list.stdout).toMatch(/ parity\.test\s+ALIAS or ANAME\s+localhost/)

    const taken = await runFerry(['domains:add', 'www.parity.test', '--app', OTHER], {home})
    expect(taken.code).not.toBe(0)
    expect(taken.stderr).toContain('www.parity.test is currently in use by another app')
    const invalid = await ferry('domains:add', 'bad_host!')
    expect(invalid.code).not.toBe(0)
    expect(invalid.stderr).toContain('Invalid hostname "bad_host!"')
    const reserved = await ferry('domains:add', 'x.localhost')
    expect(reserved.stderr).toContain('names under .localhost are the apps\' own')

    const removed = await ferry('domains:remove', 'www.parity.test')
    expect(removed.code, removed.stderr).toBe(0)
    await eventually('the removed domain to stop routing', async () => (await routerGet(routerPort, 'www.parity.test')).status === 404)
    expect((await routerGet(routerPort, 'parity.test')).status).toBe(200)
    expect((await ferry('domains:clear')).code).toBe(0)
    await eventually('cleared domains to stop routing', async () => (await routerGet(routerPort, 'parity.test')).status === 404)
    expect((await ferry('domains')).stdout).not.toContain('Custom Domains')
  }, 60_000)
})
