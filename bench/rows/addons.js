// Add-ons (issue 15): `ferry addons:create heroku-postgresql` until the database answers, for the platform's first
// add-on (initdb + server start) and for later ones (a CREATE DATABASE); the same for heroku-redis; and the memory of
// an idle platform with one Postgres and one Redis add-on (daemon + servers).
import {spawnSync} from 'node:child_process'
import fs from 'node:fs'

import {metric} from '../lib/report.js'
import {Platform, platformMissing} from '../lib/platform.js'
import {log, memoryOf, sleep, stats} from '../lib/util.js'

const toMB = kib => (kib === null ? null : (kib * 1024) / 1e6)

function childrenOf(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)
  } catch {
    return []
  }
}

/** PSS of a process and its children (postgres: postmaster + backends/checkpointer/…), MB. */
function pssTree(pid) {
  return [pid, ...childrenOf(pid)].reduce((sum, p) => sum + (toMB(memoryOf(p).pssKiB) ?? 0), 0)
}

function installed() {
  if (!fs.readdirSync('/usr/lib/postgresql', {withFileTypes: true}).some(d => fs.existsSync(`/usr/lib/postgresql/${d.name}/bin/postgres`))) return 'postgresql is not installed'
  if (spawnSync('redis-server', ['--version']).status !== 0) return 'redis-server is not installed'
  return undefined
}

/** ms from `ferry addons:create SPEC` until a query through the new URL answers. */
async function createUsable(platform, app, spec, check) {
  const t0 = performance.now()
  const r = await platform.cli(['addons:create', spec, '-a', app, '--json'])
  if (r.code !== 0) throw new Error(`addons:create ${spec} exited ${r.code}: ${r.stderr.trim().split('\n').at(-1)}`)
  const addon = JSON.parse(r.stdout)
  const config = await platform.ok('GET', `/apps/${app}/config-vars`)
  const url = config[addon.config_vars[0]]
  while (!check(url)) {
    if (performance.now() - t0 > 60_000) throw new Error(`${spec}: not usable after 60 s`)
    await sleep(10)
  }

  return {addon, ms: performance.now() - t0}
}

const psqlOk = url => spawnSync('psql', [url, '-X', '-t', '-c', 'select 1']).status === 0
const redisOk = url => spawnSync('redis-cli', ['-u', url, '--no-auth-warning', 'PING'], {encoding: 'utf8'}).stdout?.trim() === 'PONG'

export default {
  id: 'addons',
  method: [
    'One daemon (node dist/platform/main.js, temp FERRY_HOME). Each figure: wall time of `node bin/run.js addons:create SPEC -a APP --json`',
    'plus polling (10 ms) until `psql URL -c "select 1"` / `redis-cli -u URL PING` answers, URL read from the app\'s config vars.',
    'First: the platform\'s first heroku-postgresql add-on (initdb + server start). Later: one new app each, same platform.',
    'Memory: after the runs, a fresh daemon with one app holding one heroku-postgresql and one heroku-redis add-on, 3 s settle,',
    '6 samples 0.5 s apart of the daemon\'s PSS and of the servers\' PSS (postgres: postmaster + its children; /proc/PID/smaps_rollup).',
  ].join(' '),
  async run(ctx) {
    const missing = platformMissing() ?? installed()
    if (missing) throw new ctx.NotRunnable(missing)
    const runs = ctx.quick ? 3 : 5
    const platform = await Platform.start({label: 'addons'})
    ctx.defer(async () => {
      await platform.stop()
      if (!ctx.keepTmp) platform.remove()
    })
    await platform.createApp('bench-pg-0')
    const first = await createUsable(platform, 'bench-pg-0', 'heroku-postgresql', psqlOk)
    log(`first heroku-postgresql usable after ${first.ms.toFixed(0)} ms`)
    const later = []
    const redis = []
    for (let i = 1; i <= runs; i++) {
      await platform.createApp(`bench-pg-${i}`)
      later.push((await createUsable(platform, `bench-pg-${i}`, 'heroku-postgresql', psqlOk)).ms)
      redis.push((await createUsable(platform, `bench-pg-${i}`, 'heroku-redis', redisOk)).ms)
    }

    await platform.stop()
    const idle = await Platform.start({label: 'addons-idle'})
    ctx.defer(async () => {
      await idle.stop()
      if (!ctx.keepTmp) idle.remove()
    })
    await idle.createApp('bench-idle')
    const pg = await createUsable(idle, 'bench-idle', 'heroku-postgresql', psqlOk)
    const rd = await createUsable(idle, 'bench-idle', 'heroku-redis', redisOk)
    const pgPid = (await idle.ok('GET', `/ferry/addons/${pg.addon.id}/info`)).pid
    const redisPid = (await idle.ok('GET', `/ferry/addons/${rd.addon.id}/info`)).pid
    await sleep(3000)
    const daemon = []
    const postgres = []
    const redisMem = []
    for (let i = 0; i < 6; i++) {
      daemon.push(toMB(memoryOf(idle.pid).pssKiB))
      postgres.push(pssTree(pgPid))
      redisMem.push(toMB(memoryOf(redisPid).pssKiB))
      await sleep(500)
    }

    const total = daemon.map((d, i) => d + postgres[i] + redisMem[i])
    const u = (values, label) => ({...stats(values), label, unit: 'ms'})
    const laterStats = stats(later)
    return {
      metrics: [
        metric({label: 'addons:create heroku-postgresql → usable, first add-on (initdb + start)', unit: 'ms', value: stats([first.ms])}),
        metric({
          baseline: u([first.ms], 'first add-on'),
          label: 'addons:create heroku-postgresql → usable, later add-ons',
          pass: laterStats.median !== null && laterStats.median < 3000,
          ratio: laterStats.median / first.ms,
          target: '< 3 s',
          unit: 'ms',
          value: laterStats,
        }),
        metric({label: 'addons:create heroku-redis → usable (a redis-server each)', unit: 'ms', value: stats(redis)}),
        metric({label: 'idle memory, 1 Postgres + 1 Redis add-on: daemon + servers PSS', unit: 'MB', value: stats(total)}),
        metric({label: '  daemon PSS', unit: 'MB', value: stats(daemon)}),
        metric({label: '  postgres PSS (postmaster + children)', unit: 'MB', value: stats(postgres)}),
        metric({label: '  redis-server PSS', unit: 'MB', value: stats(redisMem)}),
      ],
      notes: [`Servers run in a bwrap user namespace when the daemon is root (isolation ${platform.info.isolation}). Each create figure includes the CLI's own start (~0.2 s, see cli-api).`],
    }
  },
  target: 'addons:create heroku-postgresql → usable < 3 s after the first; idle memory with one Postgres + one Redis reported',
  title: 'Add-ons: addons:create → usable, idle memory with Postgres + Redis',
  tools: [],
}
