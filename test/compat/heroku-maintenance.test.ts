// The official `heroku` CLI's maintenance and domains commands against the local platform (issue 16): `heroku
// maintenance:on` makes the router answer 503 (H80) and `maintenance:off` brings the app back; `heroku domains:add`
// makes the router route that Host to the app, `heroku domains` lists it, `domains:remove` stops it.
// Skipped when the CLI is not installed (see test/compat/heroku-cli.test.ts), failed under CI=true.
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {eventually, makeFerryHome, readDaemonJson, releaseFiles, removeFerryHome, routerGet, runFerry} from '../helpers/index.js'
import {skipUnlessAvailable} from '../helpers/requires.js'
import {herokuAvailable, herokuEnv, runHeroku} from './heroku.js'

const APP = 'hk-maint'
const SERVER = "require('http').createServer((req, res) => res.end('up')).listen(process.env.PORT)\n"

describe.skipIf(skipUnlessAvailable('the official heroku CLI', herokuAvailable, 'run scripts/install-heroku-cli.sh'))('official heroku CLI: maintenance, domains', () => {
  let home: string
  let env: NodeJS.ProcessEnv
  let routerPort: number

  const heroku = (...args: string[]) => runHeroku(env, [...args, '-a', APP])
  const status = async (host = `${APP}.localhost`) => (await routerGet(routerPort, host)).status

  beforeAll(async () => {
    home = makeFerryHome('ferry-compat-maint-')
    const created = await runFerry(['apps:create', APP], {home})
    expect(created.code, created.stderr).toBe(0)
    await releaseFiles(home, APP, {web: 'node server.js'}, {'server.js': SERVER})
    routerPort = readDaemonJson(home)!.routerPort
    await eventually('the web dyno', async () => (await status()) === 200, 60_000)
    env = herokuEnv(home)
  }, 120_000)

  afterAll(async () => {
    if (home) await removeFerryHome(home)
  }, 60_000)

  it('heroku maintenance:on makes the router answer 503 H80; maintenance:off brings the app back', async () => {
    const on = await heroku('maintenance:on')
    expect(on.code, on.stderr).toBe(0)
    expect(on.stderr).toMatch(new RegExp(`Enabling maintenance mode for (⬢ )?${APP}\\.\\.\\. done`))
    expect((await heroku('maintenance')).stdout.trim()).toBe('on')
    await eventually('the maintenance page', async () => (await status()) === 503)
    const logs = await heroku('logs', '-n', '50')
    expect(logs.stdout).toMatch(/heroku\[router\]: at=info code=H80 desc="Maintenance mode" /)
    const off = await heroku('maintenance:off')
    expect(off.code, off.stderr).toBe(0)
    await eventually('the app again', async () => (await status()) === 200)
  }, 60_000)

  it('heroku domains:add routes the host to the app; heroku domains lists it; domains:remove stops it', async () => {
    const add = await heroku('domains:add', 'www.hk-maint.test')
    expect(add.code, add.stderr).toBe(0)
    expect(add.stdout, add.stderr).toContain('DNS Target localhost')
    await eventually('the custom domain', async () => (await status('www.hk-maint.test')) === 200)
    const list = await heroku('domains')
    expect(list.code, list.stderr).toBe(0)
    expect(list.stdout).toContain(`${APP}.localhost`)
    expect(list.stdout).toMatch(/www\.hk-maint\.test\s+CNAME\s+localhost/)
    const remove = await heroku('domains:remove', 'www.hk-maint.test')
    expect(remove.code, remove.stderr).toBe(0)
    await eventually('the removed domain to stop routing', async () => (await status('www.hk-maint.test')) === 404)
  }, 60_000)
})
