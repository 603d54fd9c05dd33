// Add-ons on real PostgreSQL and Redis servers, through the Platform API of an in-process platform: provisioning,
// config vars and releases, isolation between apps, crash restart, platform restart, destroy.
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type RunningPlatform, startPlatform} from '../../../src/platform/daemon.js'
import {missingAddonBinaries} from '../../../src/platform/addons/binaries.js'
import {skipUnlessAvailable} from '../../helpers/requires.js'

// Skipped on a machine without them; under CI=true a failing test names what is missing.
const skip = skipUnlessAvailable('postgresql and redis-server', missingAddonBinaries() === undefined, 'apt-get install postgresql redis-server (.ci/run does)')

/** Runs psql with a URL; returns status and output. */
export function psql(url: string, sql: string): {output: string; status: null | number} {
  const r = spawnSync('psql', [url, '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', sql], {encoding: 'utf8', timeout: 20_000})
  return {output: `${r.stdout}${r.stderr}`.trim(), status: r.status}
}

function redisCli(url: string, ...args: string[]): {output: string; status: null | number} {
  const r = spawnSync('redis-cli', ['-u', url, '--no-auth-warning', ...args], {encoding: 'utf8', timeout: 20_000})
  return {output: `${r.stdout}${r.stderr}`.trim(), status: r.status}
}

describe.skipIf(skip)('add-on servers', () => {
  const home = mkdtempSync(join(tmpdir(), 'ferry-addons-'))
  let platform: RunningPlatform

  const start = async () => {
    platform = await startPlatform({env: {...process.env, FERRY_HOME: home, FERRY_ISOLATION: 'none', FERRY_PORT: '0', FERRY_ROUTER_PORT: '0'}})
  }

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${platform.info.url}${path}`, {
      body: body === undefined ? undefined : JSON.stringify(body),
      headers: {Accept: 'application/vnd.heroku+json; version=3', Authorization: `Bearer ${platform.ctx.config.token}`, 'Content-Type': 'application/json'},
      method,
    })
    return {body: await res.json() as any, status: res.status}
  }

  const config = async (app: string) => (await api('GET', `/apps/${app}/config-vars`)).body as Record<string, string>

  beforeAll(async () => {
    await start()
    for (const name of ['alpha', 'beta']) expect((await api('POST', '/apps', {name})).status).toBe(201)
  })

  afterAll(async () => {
    await platform?.close()
    rmSync(home, {force: true, recursive: true})
  })

  it('rejects an unknown service or plan with 422 and creates nothing', async () => {
    const bad = await api('POST', '/apps/alpha/addons', {plan: 'heroku-mysql'})
    expect(bad.status).toBe(422)
    expect(bad.body.message).toMatch(/Couldn't find either the add-on service or the add-on plan of "heroku-mysql"/)
    expect((await api('POST', '/apps/alpha/addons', {plan: {name: 'heroku-mysql'}})).status).toBe(422)
    const badPlan = await api('POST', '/apps/alpha/addons', {plan: 'heroku-postgresql:gigantic-9'})
    expect(badPlan.status).toBe(422)
    expect(badPlan.body.message).toMatch(/essential-0/)
    expect((await api('GET', '/apps/alpha/addons')).body).toEqual([])
    expect(existsSync(join(home, 'data', 'addons', 'postgres'))).toBe(false)
    expect((await api('GET', '/apps/alpha/releases')).body).toHaveLength(2)
  })

  it('creates a database per add-on: DATABASE_URL, a release, then HEROKU_POSTGRESQL_<COLOR>_URL for a second one', async () => {
    const created = await api('POST', '/apps/alpha/addons', {plan: 'heroku-postgresql:essential-0'})
    expect([created.status, created.body.message]).toEqual([201, undefined])
    expect(created.body).toMatchObject({addon_service: {name: 'heroku-postgresql'}, app: {name: 'alpha'}, config_vars: ['DATABASE_URL']})
    expect(created.body).toMatchObject({plan: {name: 'heroku-postgresql:essential-0'}, state: 'provisioned'})
    expect(created.body.name).toMatch(/^postgresql-[a-z]+-\d{5}$/)
    const url = (await config('alpha')).DATABASE_URL
    expect(url).toMatch(/^postgres:\/\/u[\da-f]{14}:[\da-f]{48}@127\.0\.0\.1:\d+\/d[\da-f]{14}$/)
    const releases = (await api('GET', '/apps/alpha/releases')).body
    expect(releases.at(-1).description).toBe(`Attach DATABASE (@ref:${created.body.name})`)
    expect(releases.at(-1).addon_plan_names).toEqual(['heroku-postgresql:essential-0'])
    expect(releases[0].addon_plan_names).toEqual([])
    expect(psql(url, 'create table t (v text); insert into t values (\'kept\'); select v from t')).toEqual({output: 'kept', status: 0})

    const second = await api('POST', '/apps/alpha/addons', {plan: {name: 'heroku-postgresql'}})
    expect(second.status).toBe(201)
    expect(second.body.config_vars[0]).toMatch(/^HEROKU_POSTGRESQL_[A-Z]+_URL$/)
    const named = await api('POST', '/apps/beta/addons', {attachment: {name: 'main_db'}, name: 'beta-db', plan: 'heroku-postgresql'})
    expect(named.body).toMatchObject({config_vars: ['MAIN_DB_URL'], name: 'beta-db'})
    expect((await api('POST', '/apps/beta/addons', {name: 'beta-db', plan: 'heroku-postgresql'})).status).toBe(422)
  })

  it("keeps apps apart: app A's role cannot connect to app B's database", async () => {
    const a = new URL((await config('alpha')).DATABASE_URL)
    const b = new URL((await config('beta')).MAIN_DB_URL)
    const crossed = `postgres://${a.username}:${a.password}@${a.host}${b.pathname}`
    const denied = psql(crossed, 'select 1')
    expect(denied.status).not.toBe(0)
    expect(denied.output).toMatch(/permission denied for database/)
    expect(psql(`postgres://${a.username}:${a.password}@${a.host}/postgres`, 'select 1').output).toMatch(/permission denied/)
    expect(psql(`postgres://${a.username}:${a.password}@${a.host}/template1`, 'select 1').output).toMatch(/permission denied/)
  })

  it('restarts the PostgreSQL server when it is killed', async () => {
    const addon = (await api('GET', '/apps/alpha/addons')).body[0]
    const before = (await api('GET', `/ferry/addons/${addon.id}/info`)).body
    expect(before.running).toBe(true)
    process.kill(before.pid, 'SIGKILL')
    const url = (await config('alpha')).DATABASE_URL
    const deadline = Date.now() + 20_000
    let result = psql(url, 'select v from t')
    while (result.status !== 0 && Date.now() < deadline) {
      await new Promise(resolve => setTimeout(resolve, 200))
      result = psql(url, 'select v from t')
    }

    expect(result).toEqual({output: 'kept', status: 0})
    expect((await api('GET', `/ferry/addons/${addon.id}/info`)).body.pid).not.toBe(before.pid)
  })

  it('runs a redis-server per add-on with its password: REDIS_URL works, without the password it is refused', async () => {
    const created = await api('POST', '/apps/alpha/addons', {plan: 'heroku-redis:mini'})
    expect(created.status).toBe(201)
    expect(created.body.config_vars).toEqual(['REDIS_URL'])
    const url = (await config('alpha')).REDIS_URL
    expect(url).toMatch(/^redis:\/\/default:[\da-f]{48}@127\.0\.0\.1:\d+$/)
    expect(redisCli(url, 'SET', 'job', 'queued')).toEqual({output: 'OK', status: 0})
    expect(redisCli(`redis://127.0.0.1:${new URL(url).port}`, 'GET', 'job').output).toMatch(/NOAUTH/)
    const info = (await api('GET', `/ferry/addons/${created.body.id}/info`)).body
    process.kill(info.pid, 'SIGKILL')
    const deadline = Date.now() + 20_000
    let result = redisCli(url, 'GET', 'job')
    while (result.output !== 'queued' && Date.now() < deadline) {
      await new Promise(resolve => setTimeout(resolve, 200))
      result = redisCli(url, 'GET', 'job')
    }

    expect(result.output).toBe('queued')
  })

  it('keeps the data across a platform restart', async () => {
    const url = (await config('alpha')).DATABASE_URL
    const redisUrl = (await config('alpha')).REDIS_URL
    await platform.close()
    expect(psql(url, 'select 1').status).not.toBe(0)
    await start()
    expect(psql(url, 'select v from t')).toEqual({output: 'kept', status: 0})
    expect((await config('alpha')).DATABASE_URL).toBe(url)
    expect(redisCli(redisUrl, 'GET', 'job').output).toBe('queued')
  })

  it('attaches an add-on to another app and detaches it, each a release', async () => {
    const addon = (await api('GET', '/apps/beta/addons')).body[0]
    const attached = await api('POST', '/addon-attachments', {addon: addon.id, app: 'alpha', name: 'SHARED'})
    expect(attached.status).toBe(201)
    expect((await config('alpha')).SHARED_URL).toBe((await config('beta')).MAIN_DB_URL)
    expect((await api('GET', '/apps/alpha/addon-attachments')).body.map((t: any) => t.name)).toContain('SHARED')
    expect((await api('DELETE', `/addon-attachments/${attached.body.id}`)).status).toBe(200)
    expect((await config('alpha')).SHARED_URL).toBeUndefined()
  })

  it("destroying an app destroys its add-ons' data and detaches them from other apps", async () => {
    expect((await api('POST', '/apps', {name: 'gamma'})).status).toBe(201)
    const pg = (await api('POST', '/apps/gamma/addons', {plan: 'heroku-postgresql'})).body
    const redis = (await api('POST', '/apps/gamma/addons', {plan: 'heroku-redis'})).body
    expect((await api('POST', '/addon-attachments', {addon: pg.id, app: 'alpha', name: 'GAMMA'})).status).toBe(201)
    const url = (await config('gamma')).DATABASE_URL
    expect(psql(url, 'select 1').status).toBe(0)
    expect((await api('DELETE', '/apps/gamma')).status).toBe(200)
    expect((await config('alpha')).GAMMA_URL).toBeUndefined()
    const gone = async () => psql(url, 'select 1').status !== 0 && !existsSync(join(home, 'data', 'addons', 'redis', redis.id))
    const deadline = Date.now() + 10_000
    while (!(await gone()) && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 100))
    expect(psql(url, 'select 1').output).toMatch(/does not exist|authentication failed/)
    expect(existsSync(join(home, 'data', 'addons', 'redis', redis.id))).toBe(false)
    expect((await api('GET', `/addons/${pg.id}`)).status).toBe(404)
  })

  it('destroys an add-on: variable unset, database dropped, a release', async () => {
    const addon = (await api('GET', '/apps/beta/addons')).body[0]
    const url = (await config('beta')).MAIN_DB_URL
    const gone = await api('DELETE', `/apps/beta/addons/${addon.name}`)
    expect(gone.body.state).toBe('deprovisioned')
    expect((await config('beta')).MAIN_DB_URL).toBeUndefined()
    expect((await api('GET', '/apps/beta/releases')).body.at(-1).description).toBe(`Detach MAIN_DB (@ref:${addon.name})`)
    expect(psql(url, 'select 1').status).not.toBe(0)
    expect((await api('GET', `/addons/${addon.id}`)).status).toBe(404)
  })
})
