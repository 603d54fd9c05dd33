// Baseline of the scale row (MEASUREMENTS.md §3): one Node parent spawns N `node server.mjs` (plain, or in a bwrap
// sandbox with the BASE flags) in one loop, detached, env {PATH, PORT}; probes every port with net.connect every 5 ms
// until all accept; then SIGTERMs every process group and waits until every direct child exited and every port closed.
// Usage: node bench/lib/spawn50.js N plain|bwrap APPDIR   → prints one JSON line.
import {spawn} from 'node:child_process'
import net from 'node:net'

const [n = '50', mode = 'plain', appDir] = process.argv.slice(2)
const count = Number(n)
const sleep = ms => new Promise(r => setTimeout(r, ms))
const open = port =>
  new Promise(resolve => {
    const s = net.connect({host: '127.0.0.1', port})
    s.once('connect', () => {
      s.destroy()
      resolve(true)
    })
    s.once('error', () => resolve(false))
  })

const BASE = ['--unshare-pid', '--unshare-ipc', '--unshare-uts', '--die-with-parent', '--ro-bind', '/usr', '/usr', '--symlink', 'usr/bin', '/bin', '--symlink', 'usr/lib', '/lib', '--symlink', 'usr/lib64', '/lib64', '--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', '--ro-bind', appDir, '/app', '--chdir', '/app']
// Free ports from the kernel (bound together, then released), so other work on the machine cannot collide.
const holders = await Promise.all(Array.from({length: count}, () => new Promise(resolve => {
    const s = net.createServer()
    s.listen(0, '127.0.0.1', () => resolve(s))
  })))
const ports = holders.map(s => s.address().port)
await Promise.all(holders.map(s => new Promise(resolve => s.close(resolve))))
const t0 = performance.now()
const children = ports.map(port => {
  const env = {PATH: process.env.PATH, PORT: String(port)}
  const child = mode === 'bwrap' ? spawn('bwrap', [...BASE, process.execPath, 'server.mjs'], {detached: true, env, stdio: 'ignore'}) : spawn(process.execPath, ['server.mjs'], {cwd: appDir, detached: true, env, stdio: 'ignore'})
  child.exited = new Promise(resolve => child.once('exit', resolve))
  return child
})
const spawnLoopMs = performance.now() - t0
const ready = Array.from({length: count}, () => null)
while (ready.includes(null)) {
  await Promise.all(ports.map(async (port, i) => {
      if (ready[i] === null && (await open(port))) ready[i] = performance.now() - t0
    }))
  if (performance.now() - t0 > 30_000) break
  await sleep(5)
}

const sorted = ready.filter(r => r !== null).sort((a, b) => a - b)
const t1 = performance.now()
for (const c of children) {
  try {
    process.kill(-c.pid, 'SIGTERM')
  } catch {}
}

await Promise.all(children.map(c => c.exited))
const stopMs = performance.now() - t1
while ((await Promise.all(ports.map(p => open(p)))).some(Boolean) && performance.now() - t1 < 10_000) await sleep(5)
const portsClosedMs = performance.now() - t1
console.log(JSON.stringify({allReadyMs: sorted.length === count ? sorted.at(-1) : null, firstReadyMs: sorted[0] ?? null, medianReadyMs: sorted[Math.floor(sorted.length / 2)] ?? null, mode, portsClosedMs, ready: sorted.length, spawnLoopMs, stopMs}))
process.exit(0)
