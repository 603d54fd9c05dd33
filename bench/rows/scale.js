// ps:scale web=50: 0 → all 50 answering through the router, and 50 → 0 with no process left,
// next to MEASUREMENTS.md §3's baseline (one Node parent spawning 50 node servers, plain and in bwrap).
import {randomUUID} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

import {metric} from '../lib/report.js'
import {gitPush, gitWorkTree, Platform, platformMissing} from '../lib/platform.js'
import {newestProfile, profileMarkdown, summarizeProfile} from '../lib/profile.js'
import {BENCH_DIR, commandExists, mkTmp, FIXTURES, httpGet, log, pidsWithEnv, portOpen, procState, run, sleep, stats} from '../lib/util.js'

function ppid(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
  } catch {
    return null
  }
}

/** Tagged dyno processes plus their ancestors below the daemon (bwrap, shells). */
function dynoProcesses(tag, daemonPid) {
  const all = new Set()
  for (const pid of pidsWithEnv('FERRY_BENCH_TAG', tag)) {
    for (let p = pid; p && p !== daemonPid && p !== 1; p = ppid(p)) all.add(p)
  }

  return [...all]
}

const live = pids => pids.filter(p => {
  const s = procState(p)
  return s !== null && s !== 'Z' && s !== 'X'
})

async function baseline(n, mode, appDir) {
  const r = await run(process.execPath, [path.join(BENCH_DIR, 'lib', 'spawn50.js'), String(n), mode, appDir], {timeout: 120_000})
  const line = r.stdout.trim().split('\n').at(-1)
  return JSON.parse(line)
}

/** Polls /whoami through the router with 2 loops until n distinct dynos answered; returns {ms, ports}. */
async function waitAllAnswering(platform, app, n, t0, timeoutMs = 60_000) {
  const seen = new Map()
  const milestones = {}
  let requests = 0
  let done = false
  const loop = async () => {
    while (!done && performance.now() - t0 < timeoutMs) {
      const r = await httpGet(platform.routerPort, '/whoami', {host: `${app}.localhost`})
      requests++
      if (r.status === 200) {
        const [dyno, port] = r.body.split(' ')
        if (!seen.has(dyno)) {
          seen.set(dyno, Number(port))
          if ([1, 10, 25, 40, 49].includes(seen.size)) milestones[seen.size] = Math.round(performance.now() - t0)
        }

        if (seen.size >= n) done = true
      } else {
        await sleep(2)
      }
    }
  }

  await Promise.all([loop(), loop()])
  if (seen.size < n) throw new Error(`only ${seen.size}/${n} dynos answered through the router within ${timeoutMs} ms`)
  return {milestones, ms: performance.now() - t0, ports: [...seen.values()], requests}
}

/**
 * Finds the app's node processes in /proc (config var FERRY_BENCH_TAG in their environment; PORT from there too) and
 * probes each one's port with GET /whoami until n distinct ports answered 200; returns {ms, ports}.
 */
async function waitPortsAnswering(tag, n, t0, timeoutMs = 60_000) {
  const needle = Buffer.from(`FERRY_BENCH_TAG=${tag}\0`)
  const untagged = new Set()
  const portOf = new Map()
  const answered = new Map()
  while (answered.size < n && performance.now() - t0 < timeoutMs) {
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry) || untagged.has(entry) || portOf.has(entry)) continue
      try {
        if (fs.readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'node') continue
        const env = fs.readFileSync(`/proc/${entry}/environ`)
        if (!env.includes(needle)) {
          // An empty environ is a process in the middle of exec (comm already set, stack not yet): look again later.
          if (env.length > 0) untagged.add(entry)
          continue
        }

        const m = /(?:^|\0)PORT=(\d+)\0/.exec(env.toString('latin1'))
        if (m) portOf.set(entry, Number(m[1]))
      } catch {}
    }

    await Promise.all([...new Set(portOf.values())]
        .filter(p => !answered.has(p))
        .map(async p => {
          const r = await httpGet(p, '/whoami', {timeoutMs: 2000})
          if (r.status === 200) answered.set(p, performance.now() - t0)
        }))
    if (answered.size < n) await sleep(10)
  }

  if (answered.size < n) {
    const pending = [...portOf.entries()].filter(([, port]) => !answered.has(port))
    const probes = await Promise.all(pending.map(async ([pid, port]) => `pid ${pid} (${procState(Number(pid))}) port ${port}: ${JSON.stringify(await httpGet(port, '/whoami', {timeoutMs: 2000}))}`))
    throw new Error(`only ${answered.size}/${n} dyno ports answered within ${timeoutMs} ms (${portOf.size} tagged node processes found; pending: ${probes.join('; ').slice(0, 600)})`)
  }

  return {ms: Math.max(...answered.values()), ports: [...answered.keys()]}
}

/** Polls the dynos API every 25 ms until n web dynos are up; returns ms. */
async function waitApiUp(platform, app, n, t0, timeoutMs = 60_000) {
  while (performance.now() - t0 < timeoutMs) {
    const r = await platform.api('GET', `/apps/${app}/dynos`)
    if (Array.isArray(r.body) && r.body.filter(d => d.type === 'web' && d.state === 'up').length >= n) return performance.now() - t0
    await sleep(25)
  }

  return null
}

export default {
  id: 'scale',
  method: [
    'One daemon; app `bench-scale` = bench/fixtures/tiny-web deployed with git push, config var FERRY_BENCH_TAG=<uuid> (to find its processes in /proc).',
    'Each run:',
    'PATCH /apps/APP/formation/web {quantity:',
    'N}, then every 10 ms find the app\'s node processes in /proc (by the tag;',
    'PORT from their environment) and GET /whoami on each port until all N answered 200 (the baseline only waits for TCP accept,',
    'so this is the stricter check); also reported: when GET /apps/APP/dynos said N up,',
    'and when 2 probe loops through the router had seen N distinct dynos (detection there is limited by per-request latency while 50 nodes boot).',
    'Then PATCH quantity 0 and poll every 5 ms until every dyno port is closed and no process of the app (tagged node + its bwrap/bash ancestors) is left',
    'alive (zombies waiting for a reaper are counted separately).',
    'Baselines in the same run, alternating with ferry: bench/lib/spawn50.js = MEASUREMENTS.md §3 (plain `spawn` of N `node server.mjs`,',
    'and the same in bwrap with the BASE flags).',
  ].join(' '),
  async run(ctx) {
    const missing = platformMissing()
    if (missing) throw new ctx.NotRunnable(missing)
    const n = 50
    const runs = ctx.quick ? 1 : 3
    const platform = await Platform.start({label: 'scale'})
    ctx.defer(async () => {
      await platform.stop()
      if (!ctx.keepTmp) platform.remove()
    })
    const app = 'bench-scale'
    const tag = randomUUID()
    await platform.createApp(app)
    await platform.setConfig(app, {FERRY_BENCH_TAG: tag})
    const dir = await gitWorkTree(path.join(FIXTURES, 'tiny-web'), platform.env(), 'scale-src')
    const push = await gitPush(platform, app, dir)
    if (push.code !== 0) throw new ctx.NotRunnable(`git push failed: ${push.output.split('\n').slice(-2).join(' / ')}`)
    await platform.scale(app, 'web', 1)
    await waitAllAnswering(platform, app, 1, performance.now(), 30_000)
    await platform.scale(app, 'web', 0)
    await sleep(1000)

    const up = []
    const routerUp = []
    const apiUp = []
    const portsClosed = []
    const gone = []
    const zombies = []
    const base = {bwrap: [], plain: []}
    const modes = commandExists('bwrap') ? ['plain', 'bwrap'] : ['plain']
    const notes = []
    for (let i = 1; i <= runs; i++) {
      for (const mode of modes) {
        const b = await baseline(n, mode, path.join(FIXTURES, 'tiny-web'))
        base[mode].push(b)
        log(`baseline ${mode} run ${i}: all ${n} ready ${Math.round(b.allReadyMs)} ms, stop ${Math.round(b.stopMs)} ms, ports closed ${Math.round(b.portsClosedMs)} ms`)
        await sleep(1000)
      }

      let t0 = performance.now()
      const apiPromise = waitApiUp(platform, app, n, t0)
      await platform.scale(app, 'web', n)
      const direct = await waitPortsAnswering(tag, n, t0)
      const answered = await waitAllAnswering(platform, app, n, t0)
      up.push(direct.ms)
      routerUp.push(answered.ms)
      apiUp.push(await apiPromise)
      const procs = dynoProcesses(tag, platform.pid)
      await sleep(500)
      t0 = performance.now()
      await platform.scale(app, 'web', 0)
      let closedAt = null
      let goneAt = null
      while (performance.now() - t0 < 30_000 && (closedAt === null || goneAt === null)) {
        if (closedAt === null && !(await Promise.all(answered.ports.map(p => portOpen(p)))).some(Boolean)) closedAt = performance.now() - t0
        if (goneAt === null && live(procs).length === 0 && live(dynoProcesses(tag, platform.pid)).length === 0) goneAt = performance.now() - t0
        await sleep(5)
      }

      portsClosed.push(closedAt)
      gone.push(goneAt)
      zombies.push(procs.filter(p => procState(p) === 'Z').length)
      log(`ferry run ${i}: all ${n} answering on their ports ${Math.round(direct.ms)} ms, through the router ${Math.round(answered.ms)} ms (API up ${Math.round(apiUp.at(-1))} ms); ${n}→0 ports closed ${Math.round(closedAt)} ms, no process left ${Math.round(goneAt)} ms (${procs.length} processes tracked, ${zombies.at(-1)} zombies right after)`)
      notes.push(
        `run ${i}: router saw the 1st/10th/25th/40th/49th/50th distinct dyno after ${Object.values(answered.milestones).join('/')}/${Math.round(answered.ms)} ms (${answered.requests} requests); GET /dynos said ${n} up after ${Math.round(apiUp.at(-1))} ms.`,
        `run ${i}: ${procs.length} host processes belonged to the ${n} dynos (node + sandbox/shell ancestors); ${zombies.at(-1)} were zombies right after the stop.`,
      )
      await sleep(1500)
    }

    const sUp = stats(up)
    const sGone = stats(gone)
    const bp = {allReady: stats(base.plain.map(b => b.allReadyMs)), stop: stats(base.plain.map(b => b.portsClosedMs))}
    const metrics = [
      metric({baseline: {...bp.allReady, label: 'plain spawn of 50 node', unit: 'ms'}, label: `0 → ${n} web dynos answering on their ports`, pass: sUp.median !== null && sUp.median < 1500, ratio: sUp.median / bp.allReady.median, target: '< 1.5 s', unit: 'ms', value: sUp}),
      metric({label: `  0 → ${n} up per GET /dynos`, unit: 'ms', value: stats(apiUp)}),
      metric({label: `  0 → ${n} distinct dynos seen answering through the router (2 probe loops)`, unit: 'ms', value: stats(routerUp)}),
      metric({baseline: {...bp.stop, label: 'plain: ports closed after SIGTERM', unit: 'ms'}, label: `${n} → 0: no process left`, pass: sGone.median !== null && sGone.median < 250, ratio: sGone.median / bp.stop.median, target: '< 250 ms', unit: 'ms', value: sGone}),
      metric({label: `  ${n} → 0: all ports closed`, unit: 'ms', value: stats(portsClosed)}),
    ]
    if (base.bwrap.length > 0) {
      metrics.push(
        metric({label: '  baseline: bwrap spawn of 50 node, all ready', unit: 'ms', value: stats(base.bwrap.map(b => b.allReadyMs))}),
        metric({label: '  baseline: bwrap, ports closed after SIGTERM', unit: 'ms', value: stats(base.bwrap.map(b => b.portsClosedMs))}),
      )
    }

    notes.unshift(`Daemon isolation: ${platform.info.isolation}.`)
    let evidence
    if (metrics.some(m => m.pass === false)) {
      // Where the daemon's CPU goes during 0 → N → 0: the same FERRY_HOME, daemon restarted under --cpu-prof.
      const dir = mkTmp('scale-prof')
      await platform.stop()
      await platform.boot({nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir]})
      await sleep(1000)
      const t0 = performance.now()
      await platform.scale(app, 'web', n)
      const r = await waitPortsAnswering(tag, n, t0).catch(error => ({error}))
      await platform.scale(app, 'web', 0)
      await sleep(1000)
      await platform.stop()
      const file = newestProfile(dir)
      if (file) {
        evidence = [
          `Why: the baselines show the floor on this machine at this moment (${n} node start-ups are CPU-bound on 2 cores).`,
          `The daemon under node --cpu-prof (incl. its own start-up) for one more 0 → ${n} → 0 (${r.error ? `failed: ${r.error.message}` : `${Math.round(r.ms)} ms to all answering while profiled`}):`,
          '',
          profileMarkdown(`daemon during 0 → ${n} → 0`, summarizeProfile(file, 12)),
        ].join('\n')
      }

      fs.rmSync(dir, {force: true, recursive: true})
    }

    return {evidence, metrics, notes}
  },
  target: '0 → 50 answering < 1.5 s; 50 → 0 no process left < 250 ms',
  title: 'Scale: ps:scale web=50 and back to 0',
  tools: [],
}
