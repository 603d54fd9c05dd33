// Platform daemon memory: idle (fresh daemon), and with 10 apps × 3 web dynos. RSS and PSS from /proc.
import {spawn} from 'node:child_process'
import {randomUUID} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

import {metric} from '../lib/report.js'
import {gitPush, gitWorkTree, Platform, platformMissing} from '../lib/platform.js'
import {FIXTURES, httpGet, log, mappingsOf, memoryOf, pidsWithEnv, ROOT, sleep, stats} from '../lib/util.js'

const toMB = kib => (kib === null ? null : (kib * 1024) / 1e6)

/** The pid of a child of `pid` whose command name is `name` (undefined when there is none). */
// A descendant (children first, then theirs: the router runs under bwrap's monitor when the platform sandboxes it).
function childNamed(pid, name, depth = 2) {
  try {
    const children = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)
    for (const child of children) {
      if (fs.readFileSync(`/proc/${child}/comm`, 'utf8').trim() === name) return Number(child)
    }

    if (depth > 1) {
      for (const child of children) {
        const found = childNamed(child, name, depth - 1)
        if (found) return found
      }
    }
  } catch {}

  return undefined
}

async function sample(pid, count, everyMs = 500) {
  const rss = []
  const pss = []
  for (let i = 0; i < count; i++) {
    const m = memoryOf(pid)
    rss.push(toMB(m.rssKiB))
    pss.push(toMB(m.pssKiB))
    await sleep(everyMs)
  }

  return {pss: stats(pss), rss: stats(rss)}
}

async function waitAnswering(platform, app, n, timeoutMs = 60_000) {
  const seen = new Set()
  const t0 = Date.now()
  while (seen.size < n && Date.now() - t0 < timeoutMs) {
    const r = await httpGet(platform.routerPort, '/whoami', {host: `${app}.localhost`})
    if (r.status === 200) seen.add(r.body.split(' ')[0])
    else await sleep(50)
  }

  if (seen.size < n) throw new Error(`${app}: only ${seen.size}/${n} web dynos answered`)
}

export default {
  id: 'memory',
  method: [
    'Daemon = node dist/platform/main.js with a temp FERRY_HOME.',
    'Idle: 3 s after it wrote daemon.json, 6 samples 0.5 s apart of VmRSS (/proc/PID/status) and Pss (/proc/PID/smaps_rollup);',
    'MB = 10^6 bytes.',
    'Loaded: 10 apps, each bench/fixtures/tiny-web pushed with git and scaled to web=3, all 30 dynos answering through the router,',
    'one request through each app\'s router path, 3 s settle,',
    'same sampling; the dynos\' own PSS (node processes found by a config var in /proc/PID/environ) is reported for information.',
    'Reference in the same run: an idle `node -e "setInterval(()=>{},1e3)"`.',
  ].join(' '),
  async run(ctx) {
    const missing = platformMissing()
    if (missing) throw new ctx.NotRunnable(missing)
    const samples = ctx.quick ? 3 : 6
    const ref = spawn(process.execPath, ['-e', 'setInterval(()=>{},1e3)'], {stdio: 'ignore'})
    ctx.defer(async () => ref.kill('SIGKILL'))
    const platform = await Platform.start({label: 'memory'})
    ctx.defer(async () => {
      await platform.stop()
      if (!ctx.keepTmp) platform.remove()
    })
    await sleep(3000)
    const idle = await sample(platform.pid, samples)
    const nodeRef = await sample(ref.pid, 2, 100)
    const idleBreakdownOf = (label, pid) => {
      const m = memoryOf(pid)
      return `| ${label} | ${toMB(m.rssKiB)?.toFixed(1)} | ${toMB(m.rssAnonKiB)?.toFixed(1)} | ${toMB(m.rssFileKiB)?.toFixed(1)} | ${toMB(m.pssKiB)?.toFixed(1)} |`
    }

    const idleBreakdown = idleBreakdownOf('daemon, idle', platform.pid)
    // The native router (dist/native/ferry-router) is a child process of the daemon: reported next to it.
    const routerPid = childNamed(platform.pid, 'ferry-router')
    const routerMem = routerPid ? memoryOf(routerPid) : undefined
    const routerBreakdown = routerPid ? idleBreakdownOf('router child (ferry-router), idle', routerPid) : undefined
    const refBreakdown = idleBreakdownOf('idle `node -e setInterval` (reference)', ref.pid)
    ref.kill('SIGKILL')
    log(`idle daemon: RSS ${idle.rss.median?.toFixed(1)} MB, PSS ${idle.pss.median?.toFixed(1)} MB`)

    const apps = ctx.quick ? 3 : 10
    const tag = randomUUID()
    const src = await gitWorkTree(path.join(FIXTURES, 'tiny-web'), platform.env(), 'memory-src')
    for (let i = 1; i <= apps; i++) {
      const app = `bench-mem-${i}`
      await platform.createApp(app)
      await platform.setConfig(app, {FERRY_BENCH_TAG: tag})
      const push = await gitPush(platform, app, src)
      if (push.code !== 0) throw new ctx.NotRunnable(`git push failed: ${push.output.split('\n').slice(-2).join(' / ')}`)
      await platform.scale(app, 'web', 3)
    }

    for (let i = 1; i <= apps; i++) await waitAnswering(platform, `bench-mem-${i}`, 3)
    await sleep(3000)
    const loaded = await sample(platform.pid, samples)
    const dynoPids = pidsWithEnv('FERRY_BENCH_TAG', tag)
    const dynoPss = dynoPids.map(p => toMB(memoryOf(p).pssKiB) ?? 0)
    const dynoSum = dynoPss.reduce((a, b) => a + b, 0)
    log(`loaded daemon (${apps} apps × 3 dynos): RSS ${loaded.rss.median?.toFixed(1)} MB, PSS ${loaded.pss.median?.toFixed(1)} MB; ${dynoPids.length} dyno processes, PSS sum ${dynoSum.toFixed(1)} MB`)
    const u = (s, label) => ({...s, label, unit: 'MB'})
    const breakdown = (label, pid) => {
      const m = memoryOf(pid)
      return `| ${label} | ${toMB(m.rssKiB)?.toFixed(1)} | ${toMB(m.rssAnonKiB)?.toFixed(1)} | ${toMB(m.rssFileKiB)?.toFixed(1)} | ${toMB(m.pssKiB)?.toFixed(1)} |`
    }

    const maps = [
      '',
      'Largest mappings of the loaded daemon (/proc/PID/smaps):',
      '',
      '| mapping | RSS MB | PSS MB |',
      '|---|---:|---:|',
      ...mappingsOf(platform.pid, 10).map(x => `| ${x.name.replace(ROOT, '.')} | ${toMB(x.rssKiB).toFixed(1)} | ${toMB(x.pssKiB).toFixed(1)} |`),
    ]
    const evidence = [
      'RSS breakdown (/proc/PID/status; RssFile is mostly the mapped node binary and shared libraries, which every node process shares — PSS divides shared pages among their users):',
      '',
      '| process | RSS MB | RssAnon MB | RssFile MB | PSS MB |',
      '|---|---:|---:|---:|---:|',
      idleBreakdown,
      ...(routerBreakdown ? [routerBreakdown] : []),
      refBreakdown,
      breakdown(`daemon, ${apps} apps × 3 dynos`, platform.pid),
      ...maps,
    ].join('\n')
    return {
      evidence,
      metrics: [
        metric({baseline: u(nodeRef.rss, 'idle node -e setInterval'), label: 'daemon RSS, idle', pass: idle.rss.median !== null && idle.rss.median < 60, ratio: idle.rss.median / nodeRef.rss.median, target: '< 60 MB', unit: 'MB', value: idle.rss}),
        metric({baseline: u(nodeRef.pss, 'idle node -e setInterval'), label: '  daemon PSS, idle', unit: 'MB', value: idle.pss}),
        ...(routerMem ? [metric({label: '  router child (ferry-router) RSS / PSS, idle', unit: 'MB', value: `${toMB(routerMem.rssKiB)?.toFixed(1)} MB / ${toMB(routerMem.pssKiB)?.toFixed(1)} MB`})] : []),
        metric({label: `daemon RSS, ${apps} apps × 3 dynos`, unit: 'MB', value: loaded.rss}),
        metric({label: `  daemon PSS, ${apps} apps × 3 dynos`, unit: 'MB', value: loaded.pss}),
        metric({label: `  dynos: PSS sum of ${dynoPids.length} node processes (per dyno)`, unit: 'MB', value: `${dynoSum.toFixed(1)} MB (${(dynoSum / Math.max(1, dynoPids.length)).toFixed(1)} MB each)`}),
      ],
      notes: [`Daemon isolation: ${platform.info.isolation}.`],
    }
  },
  target: 'daemon < 60 MB idle; figure with 10 apps × 3 dynos reported',
  title: 'Memory: platform daemon idle and with 10 apps × 3 dynos',
  tools: [],
}
