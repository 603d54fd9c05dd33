// Router throughput/latency (MEASUREMENTS.md §1 method): wrk through the ferry router to 1 and 3 web dynos of a tiny
// node app, next to nginx (proxy_pass, keepalive upstream) to the same dynos and wrk direct to one dyno.
import fs from 'node:fs'
import path from 'node:path'

import {metric} from '../lib/report.js'
import {newestProfile, profileMarkdown, summarizeProfile} from '../lib/profile.js'
import {gitPush, gitWorkTree, Platform, platformMissing} from '../lib/platform.js'
import {startNginx, wrk} from '../lib/tools.js'
import {FIXTURES, freePort, httpGet, log, mkTmp, round, sleep, stats} from '../lib/util.js'

async function dynoPorts(platform, app, n, timeoutMs = 60_000) {
  const seen = new Map()
  const t0 = Date.now()
  while (seen.size < n && Date.now() - t0 < timeoutMs) {
    const r = await httpGet(platform.routerPort, '/whoami', {host: `${app}.localhost`})
    if (r.status === 200) {
      const [dyno, port] = r.body.split(' ')
      seen.set(dyno, Number(port))
    } else await sleep(50)
  }

  if (seen.size < n) throw new Error(`only ${seen.size}/${n} web dynos answered through the router`)
  return [...seen.values()]
}

/** Runs each case: warm-up, then `runs` interleaved c32 rounds, then one c1 run each. */
async function measure(cases, {c1Runs, c1S, c32S, runs, warmS}) {
  for (const c of cases) {
    await wrk({connections: 32, durationS: warmS, host: c.host, port: c.port})
    c.c32 = []
  }

  for (let i = 0; i < runs; i++) {
    for (const c of cases) {
      const r = await wrk({connections: 32, durationS: c32S, host: c.host, port: c.port})
      c.c32.push(r)
      log(`${c.name} c32 run ${i + 1}: ${Math.round(r.rps)} req/s p50 ${r.p50} ms p99 ${r.p99} ms${r.errors || r.non2xx ? ` (${r.errors} socket errors, ${r.non2xx} non-2xx)` : ''}`)
    }
  }

  for (const c of cases) c.c1runs = []
  for (let i = 0; i < c1Runs; i++) {
    for (const c of cases) {
      const r = await wrk({connections: 1, durationS: c1S, host: c.host, port: c.port})
      c.c1runs.push(r)
      log(`${c.name} c1 run ${i + 1}: ${Math.round(r.rps)} req/s p50 ${r.p50} ms p99 ${r.p99} ms`)
    }
  }

  for (const c of cases) {
    // The c1 run with the median p50 stands for the case.
    const sorted = [...c.c1runs].sort((a, b) => a.p50 - b.p50)
    c.c1 = sorted[Math.floor(sorted.length / 2)]
    c.c1p50 = stats(c.c1runs.map(r => r.p50))
  }

  for (const c of cases) {
    c.rps = stats(c.c32.map(r => r.rps))
    const mid = c.c32.find(r => r.rps === c.rps.median) ?? c.c32[Math.floor(c.c32.length / 2)]
    c.p50 = mid.p50
    c.p99 = mid.p99
    c.bad = [...c.c32, ...c.c1runs].reduce((a, r) => a + r.errors + r.non2xx, 0)
  }
}

export default {
  id: 'router',
  method: [
    'MEASUREMENTS.md §1, unpinned: app = bench/fixtures/tiny-web (`http.createServer((q,r)=>r.end("ok"))`) deployed with git push and scaled to 1,',
    'then 3 web dynos (sandboxed as the platform does).',
    'Cases: wrk direct to one dyno port; nginx 1.22 (1 worker;',
    '`proxy_pass` to an upstream of the same dyno ports, keepalive 64, keepalive_requests 100000, access_log off, Host routing); the ferry router (Host:',
    'APP.localhost, per-request routing and `heroku[router]` log lines on).',
    'Then the daemon is restarted with FERRY_ROUTER_ENGINE=node and that engine is measured the same way (3 dynos, after the others: info only).',
    'Each case: 3 s warm-up, then 3 interleaved rounds of `wrk -t1 -c32 -d10s --latency` (median req/s; p50/p99 of the median run),',
    'then 3 interleaved rounds of `wrk -t1 -c1 -d5s` (the run with the median p50 stands for the case; MEASUREMENTS.md ran c1 once). wrk, proxies and dynos share the 2 cores: a router figure here is CPU cost per request next to its load generator,',
    'not a capacity.',
  ].join(' '),
  async run(ctx) {
    const missing = platformMissing()
    if (missing) throw new ctx.NotRunnable(missing)
    const opts = ctx.quick ? {c1Runs: 1, c1S: 2, c32S: 3, runs: 1, warmS: 1} : {c1Runs: 3, c1S: 5, c32S: 10, runs: 3, warmS: 3}
    const platform = await Platform.start({label: 'router'})
    ctx.defer(async () => {
      await platform.stop()
      if (!ctx.keepTmp) platform.remove()
    })
    const app = 'bench-router'
    await platform.createApp(app)
    const src = await gitWorkTree(path.join(FIXTURES, 'tiny-web'), platform.env(), 'router-src')
    const push = await gitPush(platform, app, src)
    if (push.code !== 0) throw new ctx.NotRunnable(`git push failed: ${push.output.split('\n').slice(-2).join(' / ')}`)
    await platform.scale(app, 'web', 1)
    const [port1] = await dynoPorts(platform, app, 1)
    const host = `${app}.localhost:${platform.routerPort}`
    const ngDir = mkTmp('nginx')
    ctx.defer(async () => fs.rmSync(ngDir, {force: true, recursive: true}))

    // 1 dyno
    const ng1Port = await freePort()
    const ng1 = await startNginx({dir: ngDir, listenPort: ng1Port, ports: [port1], serverName: 'app.local', workers: 1})
    ctx.defer(() => ng1.stop())
    const one = [
      {host: undefined, name: 'direct → 1 dyno', port: port1},
      {host: 'app.local', name: 'nginx 1 worker → 1 dyno', port: ng1Port},
      {host, name: 'ferry router → 1 dyno', port: platform.routerPort},
    ]
    await measure(one, opts)
    await ng1.stop()

    // 3 dynos
    await platform.scale(app, 'web', 3)
    await sleep(500)
    const ports3 = await dynoPorts(platform, app, 3)
    const ng3Port = await freePort()
    const ng3 = await startNginx({dir: ngDir, listenPort: ng3Port, ports: ports3, serverName: 'app.local', workers: 1})
    ctx.defer(() => ng3.stop())
    const ngAutoPort = await freePort()
    const ngAuto = await startNginx({dir: path.join(ngDir, 'auto'), listenPort: ngAutoPort, ports: ports3, serverName: 'app.local', workers: 'auto'})
    ctx.defer(() => ngAuto.stop())
    const three = [
      {host: 'app.local', name: 'nginx 1 worker → 3 dynos', port: ng3Port},
      {host: 'app.local', name: 'nginx auto (2 workers) → 3 dynos', port: ngAutoPort},
      {host, name: 'ferry router → 3 dynos', port: platform.routerPort},
    ]
    await measure(three, opts)
    await ng3.stop()
    await ngAuto.stop()

    // The Node engine (FERRY_ROUTER_ENGINE=node), for the record of each engine's cost: the daemon restarted on the
    // same FERRY_HOME (its dynos come back), 3 dynos. Measured after the others, not interleaved with nginx (whose
    // upstreams were the old dynos' ports).
    await platform.stop()
    await platform.boot({env: {FERRY_ROUTER_ENGINE: 'node'}})
    await dynoPorts(platform, app, 3)
    const nodeEngine = [{host: `${app}.localhost:${platform.routerPort}`, name: 'ferry router, node engine → 3 dynos (after)', port: platform.routerPort}]
    await measure(nodeEngine, opts)

    // Router log lines really written (per request)?
    const session = await platform.api('POST', `/apps/${app}/log-sessions`, {dyno: 'router', lines: 3, source: 'heroku'})
    let sample = ''
    if (session.status === 201) {
      const res = await fetch(session.body.logplex_url)
      sample = (await res.text())
        .split('\n')
        .filter(l => l.startsWith('data: '))
        .map(l => l.slice(6))
        .at(-1) ?? ''
    }

    const [direct, nginx1, ferry1] = one
    const [nginx3, nginxAuto, ferry3] = three
    const [nodeEngine3] = nodeEngine
    const val = c => ({...c.rps})
    const base = (c, label) => ({...c.rps, label, unit: 'req/s'})
    const metrics = [
      metric({baseline: base(nginx1, 'nginx 1w'), label: 'c32 req/s, 1 dyno', pass: ferry1.rps.median / nginx1.rps.median >= 0.9, ratio: ferry1.rps.median / nginx1.rps.median, ratioLabel: 'nginx', target: '≥ 0.9× nginx', unit: 'req/s', value: val(ferry1)}),
      metric({baseline: base(nginx3, 'nginx 1w'), label: 'c32 req/s, 3 dynos', pass: ferry3.rps.median / nginx3.rps.median >= 0.9, ratio: ferry3.rps.median / nginx3.rps.median, ratioLabel: 'nginx', target: '≥ 0.9× nginx', unit: 'req/s', value: val(ferry3)}),
      metric({baseline: base(nginxAuto, 'nginx auto'), label: '  c32 req/s, 3 dynos vs nginx auto', ratio: ferry3.rps.median / nginxAuto.rps.median, ratioLabel: 'nginx auto', unit: 'req/s', value: val(ferry3)}),
      metric({
        baseline: base(nginx3, 'nginx 1w'),
        label: '  c32 req/s, 3 dynos, node engine (FERRY_ROUTER_ENGINE=node; measured after)',
        ratio: nodeEngine3.rps.median / nginx3.rps.median,
        ratioLabel: 'nginx',
        unit: 'req/s',
        value: val(nodeEngine3),
      }),
      metric({label: '  c1 p50, 3 dynos, node engine', unit: 'ms', value: nodeEngine3.c1p50}),
    ]
    // Added latency per c1 round (the rounds are interleaved, so each difference compares neighbours in time).
    const addedOver = c => stats(c.c1runs.map((r, i) => round(r.p50 - direct.c1runs[i].p50, 3)))
    const added = addedOver(ferry1)
    metrics.push(
      metric({
        baseline: {...direct.c1p50, label: 'direct c1 p50', unit: 'ms'},
        label: 'c1 added p50 over direct (1 dyno)',
        pass: added.median !== null && added.median < 0.1,
        target: '< 0.1 ms',
        unit: 'ms',
        value: added,
      }),
      metric({label: '  c1 added p50 over direct, 3 dynos', unit: 'ms', value: addedOver(ferry3)}),
      metric({label: '  nginx c1 added p50 over direct (1 dyno)', unit: 'ms', value: addedOver(nginx1)}),
    )
    const table = ['| case | c32 req/s (min–max) | ×nginx 1w | c32 p50 ms | c32 p99 ms | c1 req/s | c1 p50 ms | c1 p99 ms | errors | c32 runs req/s | c1 runs p50 ms |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|']
    for (const [c, ng] of [[direct, nginx1], [nginx1, nginx1], [ferry1, nginx1], [nginx3, nginx3], [nginxAuto, nginx3], [ferry3, nginx3], [nodeEngine3, nginx3]]) {
      table.push(`| ${c.name} | ${Math.round(c.rps.median)} (${Math.round(c.rps.min)}–${Math.round(c.rps.max)}) | ${round(c.rps.median / ng.rps.median, 2)} | ${c.p50} | ${c.p99} | ${Math.round(c.c1.rps)} | ${c.c1.p50} | ${c.c1.p99} | ${c.bad} | ${c.c32.map(r => Math.round(r.rps)).join(', ')} | ${c.c1runs.map(r => r.p50).join(', ')} |`)
    }

    const notes = [`Daemon isolation: ${platform.info.isolation}.`, sample ? `Router log line written per request (latest sample): \`${sample.slice(0, 220)}\`` : 'Could not read a router log line back through a log session.']
    let evidence = `All cases (unpinned, same run):\n\n${table.join('\n')}`

    if (metrics.some(m => m.pass === false)) {
      // Profile the daemon under the same c32 load (3 dynos): restart it with --cpu-prof on the same FERRY_HOME.
      const profDir = mkTmp('router-prof')
      await platform.stop()
      await platform.boot({nodeArgs: ['--cpu-prof', '--cpu-prof-dir', profDir]})
      await dynoPorts(platform, app, 3)
      const hostP = `${app}.localhost:${platform.routerPort}`
      await wrk({connections: 32, durationS: 2, host: hostP, port: platform.routerPort})
      const r = await wrk({connections: 32, durationS: ctx.quick ? 3 : 8, host: hostP, port: platform.routerPort})
      await platform.stop()
      const file = newestProfile(profDir)
      if (file) evidence += `\n\nWhy: CPU profile of the daemon (node --cpu-prof, includes its start-up) while wrk -c32 ran through the router to 3 dynos (${Math.round(r.rps)} req/s while profiled):\n\n${profileMarkdown('daemon under router load', summarizeProfile(file, 15))}`
      fs.rmSync(profDir, {force: true, recursive: true})
    }

    return {evidence, metrics, notes}
  },
  target: '≥ 0.9× nginx req/s (c32) with per-request routing and logging; added p50 at c1 < 0.1 ms over direct',
  title: 'Router: throughput and latency vs nginx',
  tools: ['wrk', 'nginx'],
}
