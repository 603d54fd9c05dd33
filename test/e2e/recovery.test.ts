// e2e (issue 13 item 11): after kill -9 of the daemon, the next daemon stops EVERY dyno process the old one started,
// also those its run table never recorded (spawned just before the crash, or launchers that outlived it), and the
// formation converges. Needs `npm run build` and bwrap.
import {execFileSync} from 'node:child_process'
import {copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {processStartTime} from '../../src/platform/proc.js'
import {spawnDyno} from '../../src/platform/supervisor/dyno.js'
import {dynoEnv, launchPlan} from '../../src/platform/supervisor/sandbox.js'
import {BIN, makeFerryHome, platformApi, readDaemonJson, removeFerryHome, runFerry} from '../helpers/index.js'
import {skipUnlessAvailable} from '../helpers/requires.js'
import {makeSlug, pidsMatching, waitFor} from '../platform/supervisor/helpers.js'

const APP = 'recovery-e2e'
const marker = `ferry-recovery-${process.pid}`
const hasBwrap = (() => {
  try {
    execFileSync('bwrap', ['--version'], {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
})()

/** Every process whose command line marks it as a dyno process of this data dir or as the app (pid → start time). */
function dynoProcesses(dataDir: string): Map<number, string> {
  const found = new Map<number, string>()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8')
      const start = processStartTime(Number(name))
      if (start && (cmdline.includes(`${dataDir}/`) || cmdline.split('\0')[0].startsWith(marker))) found.set(Number(name), start)
    } catch {}
  }

  return found
}

const stillRunning = (seen: Map<number, string>) => [...seen].filter(([pid, start]) => processStartTime(pid) === start).map(([pid]) => pid)
const describePids = (pids: number[]) => pids.map(pid => {
  try {
    return `${pid}: ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').slice(0, 300)}`
  } catch {
    return `${pid}: (gone)`
  }
}).join('; ')

/** Waits until none of these processes runs any more; the error names those left (and the daemon's log). */
async function expectGone(seen: Map<number, string>, log: () => string): Promise<void> {
  await waitFor(() => stillRunning(seen).length === 0, 'dyno processes gone', 10_000).catch(() => {
    throw new Error(`dyno processes left: ${describePids(stillRunning(seen))}\ndaemon.log: ${log()}`)
  })
}

describe.skipIf(skipUnlessAvailable('dist/ (the built CLI)', existsSync(join(BIN, '..', '..', 'dist', 'platform', 'main.js')), 'run npm run build') ||
    skipUnlessAvailable('bwrap', hasBwrap, 'apt-get install bubblewrap'))('e2e: recovery after kill -9 of the daemon', () => {
  let home: string
  let dataDir: string
  let scratch: string
  const strays: number[] = []
  const ferry = (...args: string[]) => runFerry([...args, '-a', APP], {home})
  const states = async () => {
    const r = await ferry('ps', '--json')
    return r.code === 0 ? (JSON.parse(r.stdout) as Array<{name: string; state: string}>) : []
  }

  const api = (method: string, path: string, body?: unknown) => platformApi(home, method, path, body)

  beforeAll(async () => {
    home = makeFerryHome()
    dataDir = join(home, 'data')
    scratch = mkdtempSync(join(tmpdir(), 'ferry-recovery-slug-'))
    const created = await runFerry(['apps:create', APP], {home})
    expect(created.code, created.stderr).toBe(0)
    const slug = await api('POST', `/apps/${APP}/slugs`, {process_types: {web: `exec -a ${marker}-web node server.js`}})
    copyFileSync(makeSlug(scratch), join(dataDir, 'slugs', `${slug.id}.tgz`))
    await api('POST', `/apps/${APP}/releases`, {slug: slug.id})
  }, 60_000)

  afterAll(async () => {
    for (const pid of strays) {
      try {
        process.kill(-pid, 'SIGKILL')
      } catch {}
    }

    await removeFerryHome(home)
    // Whatever a failed run left of this data dir's dynos (before the fix: sandboxes under init, for good).
    for (const pid of dynoProcesses(dataDir).keys()) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {}
    }

    rmSync(scratch, {force: true, recursive: true})
  })

  it('stops dyno sandboxes the run table does not know (as a launcher that outlived the daemon leaves them)', async () => {
    expect((await runFerry(['platform:stop'], {home})).code).toBe(0)
    // Two dynos of this data dir exactly as the supervisor launches them (a bwrap sandbox and a plain process group),
    // recorded nowhere, whose parent is not the daemon: what a crash leaves behind.
    const release = join(dataDir, 'releases', 'stray-release')
    mkdirSync(release, {recursive: true})
    for (const mode of ['bwrap', 'none'] as const) {
      const env = dynoEnv({config: {}, dyno: 'web.9', home: mode === 'none' ? release : '/app', port: 1})
      const plan = launchPlan(mode, {command: `exec -a ${marker}-stray-${mode} sleep 600`, dyno: 'web.9', releaseDir: release, scratchMount: join(dataDir, 'run', 'sandbox')}, env)
      strays.push(spawnDyno(plan).pid)
    }

    await waitFor(() => pidsMatching(`${marker}-stray-bwrap`).length === 1 && pidsMatching(`${marker}-stray-none`).length === 1, 'stray dynos running')
    const seen = dynoProcesses(dataDir)
    expect(seen.size).toBeGreaterThanOrEqual(3) // outer bwrap, the sandbox's pid 1, the app; the plain one
    const started = await runFerry(['ps', '-a', APP], {home})
    expect(started.code, started.stderr).toBe(0)
    const log = () => readFileSync(join(dataDir, 'run', 'daemon.log'), 'utf8')
    await expectGone(seen, log)
    expect(log()).toMatch(/killing \d+ leftover dyno process\(es\) of a previous platform run/)
  })

  it('kill -9 mid `ps:scale web=20`: nothing of the old dynos is left after the restart, and the formation converges', async () => {
    const {pid} = readDaemonJson(home)!
    const scaling = ferry('ps:scale', 'web=20')
    // Kill the daemon while the dynos are being launched: a few are up, the others are somewhere between spawn and up.
    await waitFor(() => pidsMatching(`${marker}-web`).length >= 2, 'scale-up under way', 30_000)
    process.kill(pid, 'SIGKILL')
    await scaling
    // Whatever of the old daemon's dynos exists now or appears in the next moments (launchers that carry on).
    const seen = new Map<number, string>()
    for (let i = 0; i < 10; i++) {
      for (const [p, start] of dynoProcesses(dataDir)) seen.set(p, start)
      await new Promise(r => setTimeout(r, 50))
    }

    const t0 = Date.now()
    await waitFor(async () => {
      const dynos = await states()
      return dynos.length === 20 && dynos.every(d => d.state === 'up')
    }, 'web=20 up after the restart', 120_000)
    console.log(`formation of 20 back ${Date.now() - t0} ms after the crash (incl. CLI autostart)`)
    expect(readDaemonJson(home)!.pid).not.toBe(pid)
    await expectGone(seen, () => readFileSync(join(dataDir, 'run', 'daemon.log'), 'utf8'))
    expect(pidsMatching(`${marker}-web`)).toHaveLength(20)
    expect((await ferry('ps:scale', 'web=0')).code).toBe(0)
    await waitFor(() => pidsMatching(`${marker}-web`).length === 0, 'scaled to 0', 30_000)
  }, 240_000)
})
