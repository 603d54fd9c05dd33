// e2e (issue 15): add-ons through the real CLI and daemon on real PostgreSQL and Redis servers. The four-command path
// (create, addons:create heroku-postgresql, git push, open) with examples/node-postgres (release-phase migration,
// rows through DATABASE_URL), pg:psql, ferry run, platform restart, a killed database server, two apps kept
// apart, Redis through REDIS_URL in a dyno, examples/redis-worker (a web dyno enqueues, a worker dyno answers,
// through REDIS_URL), destroy. Needs `npm run build`, postgresql and redis-server.
import {execFileSync, spawnSync} from 'node:child_process'
import {cpSync, existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {missingAddonBinaries} from '../../src/platform/addons/binaries.js'
import {accepts} from '../../src/platform/ports.js'
import {ferryEnv, isAlive, makeFerryHome, readDaemonJson, removeFerryHome, ROOT, routerGet, runFerry} from '../helpers/index.js'
import {skipUnlessAvailable} from '../helpers/requires.js'

const skip =
  skipUnlessAvailable('dist/ (the built CLI)', existsSync(join(ROOT, 'dist', 'commands', 'addons', 'create.js')), 'run npm run build') ||
  skipUnlessAvailable('postgresql and redis-server', missingAddonBinaries() === undefined, 'apt-get install postgresql redis-server (.ci/run does)')

async function until<T>(fn: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let value = await fn()
  while (!ok(value) && Date.now() < deadline) {
    await new Promise(resolve => setTimeout(resolve, 250))
    value = await fn()
  }

  return value
}

describe.skipIf(skip)('e2e: add-ons', () => {
  let home: string
  let dir: string
  const ferry = (args: string[], options: {input?: string} = {}) => runFerry(args, {cwd: dir, home, timeoutMs: 120_000, ...options})
  const get = (path: string) => routerGet(readDaemonJson(home)!.routerPort, 'shop.localhost', path)
  const items = async () => {
    const r = await get('/')
    return r.status === 200 ? (JSON.parse(r.body).items as Array<{text: string}>).map(i => i.text) : [`status ${r.status}: ${r.body}`]
  }

  const configOf = async (app: string) => JSON.parse((await runFerry(['config', '--json', '-a', app], {home})).stdout) as Record<string, string>

  /** A copy of examples/<example> in its own git repository under the test's home. */
  const gitRepo = (example: string, name: string) => {
    const to = join(home, name)
    cpSync(join(ROOT, 'examples', example), to, {filter: src => !src.includes('node_modules'), recursive: true})
    const env = ferryEnv(home)
    execFileSync('git', ['init', '-q', '-b', 'main'], {cwd: to, env})
    execFileSync('git', ['add', '-A'], {cwd: to, env})
    execFileSync('git', ['commit', '-qm', example], {cwd: to, env})
    return to
  }

  beforeAll(() => {
    home = makeFerryHome('ferry-addons-e2e-')
    dir = gitRepo('node-postgres', 'shop')
  })

  afterAll(async () => {
    if (home) await removeFerryHome(home)
  })

  it('create → addons:create heroku-postgresql → git push → the app serves rows from its database', async () => {
    expect((await ferry(['create', 'shop'])).code).toBe(0)
    const created = await ferry(['addons:create', 'heroku-postgresql'])
    expect(created.code, created.stderr).toBe(0)
    expect(created.stdout).toMatch(/^Created postgresql-[a-z]+-\d+ as DATABASE_URL$/m)
    const config = await ferry(['config'])
    expect(config.stdout).toMatch(/^DATABASE_URL: +postgres:\/\/u[\da-f]+:[\da-f]+@127\.0\.0\.1:\d+\/d[\da-f]+$/m)
    expect((await ferry(['apps:info'])).stdout).toMatch(/^Addons: +heroku-postgresql:essential-0$/m)
    const select = await ferry(['pg:psql', '-c', 'select 40 + 2 as answer'])
    expect(select.code, select.stderr).toBe(0)
    expect(select.stdout).toMatch(/^ +42$/m)

    const push = spawnSync('git', ['push', 'ferry', 'main'], {cwd: dir, encoding: 'utf8', env: ferryEnv(home), timeout: 300_000})
    expect(push.status, push.stderr).toBe(0)
    expect(push.stderr).toMatch(/migrate: table items is ready/)
    const added = await until(() => get('/add?text=first'), r => r.status === 201)
    expect(added.status, added.body).toBe(201)
    expect((await get('/add?text=second')).status).toBe(201)
    expect(await items()).toEqual(['first', 'second'])
    const counted = await ferry(['pg:psql', '-c', 'select count(*) from items'])
    expect(counted.stdout).toMatch(/^ +2$/m)
  })

  it('ferry run sees DATABASE_URL and reaches the database from a one-off dyno', async () => {
    const run = await ferry(['run', '--no-tty', 'psql "$DATABASE_URL" -X -A -t -c "select text from items order by id"'])
    expect(run.code, run.stdout + run.stderr).toBe(0)
    expect(run.stdout.trim().split(/\r?\n/)).toEqual(['first', 'second'])
  })

  it('the app reconnects after its database server is killed: the platform restarts it', async () => {
    const pidFile = join(home, 'data', 'addons', 'postgres', 'data', 'postmaster.pid')
    const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0])
    process.kill(pid, 'SIGKILL')
    // Backends of the killed server may answer a query or two before they notice; wait for the new server.
    const postmaster = async () => {
      try {
        return Number(readFileSync(pidFile, 'utf8').split('\n')[0])
      } catch {
        return pid
      }
    }

    expect(await until(postmaster, now => now !== pid)).not.toBe(pid)
    const after = await until(items, list => list.length === 2 && list[0] === 'first')
    expect(after).toEqual(['first', 'second'])
  })

  it('keeps the rows across a platform restart', async () => {
    expect((await ferry(['platform:stop'])).code).toBe(0)
    expect((await ferry(['ps'])).code).toBe(0) // autostarts the platform, which starts the database first
    expect(await until(items, list => list.length === 2)).toEqual(['first', 'second'])
  })

  it('pg:backups:capture, pg:reset and pg:backups:restore bring the rows back', async () => {
    const captured = await ferry(['pg:backups:capture'])
    expect(captured.code, captured.stderr).toBe(0)
    expect(captured.stdout).toMatch(/^Backed up DATABASE to b001$/m)
    const listed = await ferry(['pg:backups'])
    expect(listed.stdout).toMatch(/b001 +\S+ +Completed/)
    expect((await ferry(['pg:reset'])).code).toBe(1) // needs --confirm
    expect((await ferry(['pg:reset', '--confirm', 'shop'])).code).toBe(0)
    expect((await items())[0]).toMatch(/^status 503: .*relation \W*items\W* does not exist/)
    expect((await ferry(['pg:backups:restore', '--confirm', 'nope'])).code).toBe(1)
    const restored = await ferry(['pg:backups:restore', 'b001', 'DATABASE', '--confirm', 'shop'])
    expect(restored.code, restored.stderr).toBe(0)
    expect(await items()).toEqual(['first', 'second'])
    expect((await ferry(['pg:backups:restore', 'b009', '--confirm', 'shop'])).stderr).toMatch(/Couldn't find backup b009/)
  })

  it("keeps apps apart: one app's database role cannot open another app's database", async () => {
    expect((await runFerry(['create', 'other', '--no-remote'], {home})).code).toBe(0)
    expect((await runFerry(['addons:create', 'heroku-postgresql', '-a', 'other'], {home})).code).toBe(0)
    const mine = new URL((await configOf('shop')).DATABASE_URL)
    const theirs = new URL((await configOf('other')).DATABASE_URL)
    expect(theirs.pathname).not.toBe(mine.pathname)
    mine.pathname = theirs.pathname
    const crossed = spawnSync('psql', [mine.toString(), '-c', 'select 1'], {encoding: 'utf8'})
    expect(crossed.status).not.toBe(0)
    expect(crossed.stderr).toMatch(/permission denied for database/)
  })

  it('Redis: addons:create heroku-redis sets REDIS_URL; a dyno passes a job through it', async () => {
    const created = await ferry(['addons:create', 'heroku-redis:mini'])
    expect(created.stdout).toMatch(/as REDIS_URL$/m)
    // The attach is a release, and the app has a release command: one-off dynos get REDIS_URL once it is current.
    const latest = async () => (JSON.parse((await ferry(['releases', '--json'])).stdout) as Array<{current: boolean; version: number}>).sort((a, b) => b.version - a.version)[0]
    expect((await until(latest, r => r.current)).current).toBe(true)
    const push = await ferry(['run', '--no-tty', 'redis-cli --no-auth-warning -u "$REDIS_URL" LPUSH jobs resize-42'])
    expect(push.stdout.trim(), push.stderr).toBe('1')
    const pop = await ferry(['redis:cli', 'RPOP', 'jobs'])
    expect(pop.code, pop.stderr).toBe(0)
    expect(pop.stdout.trim()).toBe('resize-42')
    const listed = await ferry(['addons', '--json'])
    expect((JSON.parse(listed.stdout) as any[]).map(a => a.addon_service.name).sort()).toEqual(['heroku-postgresql', 'heroku-redis'])
  })

  it('examples/redis-worker: the web dyno enqueues through REDIS_URL, the worker dyno answers through it', async () => {
    const jobsDir = gitRepo('redis-worker', 'jobs')
    const jobs = (args: string[]) => runFerry(args, {cwd: jobsDir, home, timeoutMs: 120_000})
    expect((await jobs(['create', 'jobs'])).code).toBe(0)
    const created = await jobs(['addons:create', 'heroku-redis'])
    expect(created.stdout, created.stderr).toMatch(/as REDIS_URL$/m)
    expect((await configOf('jobs')).REDIS_URL).toMatch(/^redis:\/\/default:[^@]+@127\.0\.0\.1:\d+$/)
    const push = spawnSync('git', ['push', 'ferry', 'main'], {cwd: jobsDir, encoding: 'utf8', env: ferryEnv(home), timeout: 300_000})
    expect(push.status, push.stderr).toBe(0)
    expect(push.stderr).toMatch(/Procfile declares types +-> web, worker/)
    const scaled = await jobs(['ps:scale', 'worker=1'])
    expect(scaled.code, scaled.stderr).toBe(0)
    const jobsGet = (path: string) => routerGet(readDaemonJson(home)!.routerPort, 'jobs.localhost', path)
    expect((await until(() => jobsGet('/result?n=90'), r => r.status === 404)).body).toMatch(/"pending"/)
    expect((await jobsGet('/enqueue?n=nine')).status).toBe(400)
    const queued = await jobsGet('/enqueue?n=90')
    expect(queued.status, queued.body).toBe(202)
    // Nothing but the worker dyno computes fibonacci(90); the web dyno only LPUSHes and GETs.
    const result = await until(() => jobsGet('/result?n=90'), r => r.status === 200)
    expect(result.status, result.body).toBe(200)
    expect(JSON.parse(result.body)).toEqual({by: 'worker.1', fibonacci: '2880067194370816120', n: 90})
    expect((await jobs(['redis:cli', 'LLEN', 'jobs'])).stdout.trim()).toBe('0')
  })

  it('a killed daemon takes its database servers with it; the next start brings them back with the data', async () => {
    const pidFile = join(home, 'data', 'addons', 'postgres', 'data', 'postmaster.pid')
    const postmaster = Number(readFileSync(pidFile, 'utf8').split('\n')[0])
    const redisPort = Number(new URL((await configOf('shop')).REDIS_URL).port)
    expect((await ferry(['redis:cli', 'SET', 'survivor', 'yes'])).stdout.trim()).toBe('OK')
    process.kill(readDaemonJson(home)!.pid, 'SIGKILL')
    const down = async () => !isAlive(postmaster) && !(await accepts(redisPort))
    expect(await until(down, gone => gone, 15_000)).toBe(true)
    expect((await ferry(['ps'])).code).toBe(0) // autostart
    expect(await until(items, list => list.length === 2)).toEqual(['first', 'second'])
    expect((await ferry(['redis:cli', 'GET', 'survivor'])).stdout.trim()).toBe('yes')
  })

  it('addons:destroy needs confirmation, then deletes the data and unsets the var in a new release', async () => {
    const refused = await ferry(['addons:destroy', 'DATABASE'])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/--confirm shop/)
    expect((await configOf('shop')).DATABASE_URL).toBeDefined()
    const unknown = await ferry(['addons:create', 'heroku-mysql'])
    expect(unknown.code).not.toBe(0)
    expect(unknown.stderr).toMatch(/Couldn't find either the add-on service or the add-on plan of "heroku-mysql"/)
    const url = (await configOf('shop')).DATABASE_URL
    const destroyed = await ferry(['addons:destroy', 'DATABASE', '--confirm', 'shop'])
    expect(destroyed.code, destroyed.stderr).toBe(0)
    expect((await configOf('shop')).DATABASE_URL).toBeUndefined()
    const releases = JSON.parse((await ferry(['releases', '--json'])).stdout) as Array<{description: string; version: number}>
    expect(releases.sort((a, b) => b.version - a.version)[0].description).toMatch(/^Detach DATABASE \(@ref:postgresql-/)
    expect(spawnSync('psql', [url, '-c', 'select 1']).status).not.toBe(0)
  })
})

