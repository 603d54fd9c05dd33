// 0 → N web dynos up and N → 0 stopped, through the real supervisor (sandboxed when bwrap is usable).
// Run: npx tsx bench/dynos-scale.ts [N=50] [runs=3]     (FERRY_ISOLATION=none for plain process groups)
import {execFileSync} from 'node:child_process'
import {randomUUID} from 'node:crypto'
import {mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {connect} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {DesiredApp} from '../src/platform/context.js'

import {DynoSupervisor} from '../src/platform/supervisor/index.js'

const n = Number(process.argv[2] ?? 50)
const runs = Number(process.argv[3] ?? 3)
const root = mkdtempSync(join(tmpdir(), 'ferry-bench-'))
const dataDir = join(root, 'data')
mkdirSync(join(root, 'src', 'app'), {recursive: true})
writeFileSync(join(root, 'src', 'app', 'server.js'), "require('http').createServer((q, r) => r.end('ok')).listen(process.env.PORT)\n")
const slugPath = join(root, 'slug.tgz')
execFileSync('tar', ['-czf', slugPath, '-C', join(root, 'src'), './app'])

const app: DesiredApp = {
  appId: randomUUID(),
  appName: 'bench',
  formation: [],
  release: {env: {}, id: randomUUID(), slugPath, version: 1},
}
const supervisor = new DynoSupervisor({
  appIds: () => [app.appId],
  config: {bootTimeoutMs: 60_000, dataDir, isolationForced: process.env.FERRY_ISOLATION === 'none' ? 'none' : undefined, stopGraceMs: 30_000},
  desired: () => structuredClone(app),
  logs: {append() {}},
})

/** PSS (MiB) summed over every descendant process of this one (launchers, bwraps, the dynos' processes). */
function descendantsPssMiB(): {count: number; pss: number} {
  const parent = new Map<number, number>()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]))
    } catch {}
  }

  let count = 0
  let kib = 0
  for (const pid of parent.keys()) {
    let p = parent.get(pid)
    while (p && p !== process.pid && p > 1) p = parent.get(p)
    if (p !== process.pid) continue
    try {
      kib += Number(/Pss:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0)
      count++
    } catch {}
  }

  return {count, pss: kib / 1024}
}

const closed = (port: number) =>
  new Promise<boolean>(resolve => {
    const s = connect({host: '127.0.0.1', port})
    s.once('connect', () => {
      s.destroy()
      resolve(false)
    })
    s.once('error', () => resolve(true))
  })

await supervisor.start()
console.log(`isolation: ${supervisor.isolation.detail}; ${n} web dynos, ${runs} runs`)
await supervisor.slugs.ensure(app.release!.id, slugPath)
for (let run = 1; run <= runs; run++) {
  app.formation = [{command: 'node server.js', quantity: n, size: 'Basic', type: 'web'}]
  let t0 = performance.now()
  await supervisor.converge(app.appId)
  const spawned = performance.now() - t0
  while (supervisor.webTargets(app.appId).length < n) await new Promise(r => setTimeout(r, 2))
  const up = performance.now() - t0
  const ports = supervisor.webTargets(app.appId).map(t => t.port)
  await new Promise(r => setTimeout(r, 300))
  const mem = descendantsPssMiB()
  app.formation = []
  t0 = performance.now()
  await supervisor.converge(app.appId)
  const stopped = performance.now() - t0
  const allClosed = (await Promise.all(ports.map(p => closed(p)))).every(Boolean)
  const pss = `idle PSS ${(mem.pss / n).toFixed(1)} MiB per dyno (${mem.count} processes)`
  console.log(`run ${run}: spawn loop ${spawned.toFixed(0)} ms, all ${n} up ${up.toFixed(0)} ms; ${n}→0 all exited ${stopped.toFixed(0)} ms (ports closed: ${allClosed}); ${pss}`)
  await new Promise(r => setTimeout(r, 500))
}

await supervisor.shutdown()
rmSync(root, {force: true, recursive: true})
