// Sandbox isolation: run real dynos under bwrap and probe from inside (skipped when bwrap is not usable here, failed under CI=true).
import {existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {homedir} from 'node:os'
import {join, relative} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {makePidsCgroup, pyenvVersionsDir, removeCgroupLater} from '../../../src/platform/bwrap.js'
import {spawnDyno} from '../../../src/platform/supervisor/dyno.js'
import {dynoEnv, fstabSafe, type IsolationMode, type LaunchPlan, launchPlan, MEMORY_CGROUP_ROOT, overlayFstab, perlLauncherArch, type SandboxSpec} from '../../../src/platform/supervisor/sandbox.js'
import {bwrapUsable, skipUnlessAvailable} from '../../helpers/requires.js'
import {get, harness, type Harness, pidsMatching, waitFor} from './helpers.js'

const hasBwrap = bwrapUsable()

/** Runs a launch plan to its end: exit status and stdout + stderr. */
async function runPlan(plan: LaunchPlan): Promise<{out: string; status: number}> {
  const proc = spawnDyno(plan)
  let out = ''
  proc.child.stdout!.on('data', (d: Buffer) => {
    out += d.toString()
  })
  proc.child.stderr!.on('data', (d: Buffer) => {
    out += d.toString()
  })
  const {status} = await proc.exited
  return {out, status}
}

describe.skipIf(skipUnlessAvailable('bwrap', hasBwrap, 'apt-get install bubblewrap'))('sandbox (bwrap)', () => {
  let h: Harness
  let port: number
  let otherReleaseDir: string
  const marker = `ferry-fork-${process.pid}`

  beforeAll(async () => {
    h = harness()
    const other = h.release({}, {'secret.txt': 'other app secret'})
    otherReleaseDir = await h.supervisor.slugs.ensure(other.id, other.slugPath)
    h.app.release = h.release({GREETING: 'sandboxed'})
    h.app.formation = [
      {command: 'node server.js', quantity: 1, size: 'Basic', type: 'web'},
      {
        // children, a double-forked daemon that left the process group, and a plain background child
        command: `for i in 1 2 3; do (exec -a ${marker}-child sleep 1000 &); done; (setsid bash -c "exec -a ${marker}-daemon sleep 1000" &); exec -a ${marker}-main sleep 1000`,
        quantity: 1,
        size: 'Basic',
        type: 'forker',
      },
    ]
    await h.supervisor.converge(h.app.appId)
    await waitFor(() => h.supervisor.webTargets(h.app.appId).length === 1, 'web up')
    port = h.supervisor.webTargets(h.app.appId)[0].port
  })
  afterAll(async () => {
    await h?.cleanup()
  })

  it('reports the isolation mode it uses', () => {
    expect(h.supervisor.isolation.mode).toMatch(/^bwrap/)
  })

  it('cannot write outside /app and /tmp', async () => {
    for (const path of ['/usr/ferry-test', '/etc/ferry-test', '/ferry-test', '/bin/ferry-test']) {
      const res = await get(port, `/write?p=${encodeURIComponent(path)}`)
      expect(res.status, path).toBe(500)
      expect(res.body, path).toMatch(/EROFS|EACCES|EPERM|ENOENT/)
    }

    expect((await get(port, '/write?p=/tmp/x')).body).toBe('ok')
  })

  it('cannot see the data dir, the platform token, $HOME or another app\'s release', async () => {
    for (const path of [join(h.dataDir, 'run', 'token'), join(otherReleaseDir, 'secret.txt'), join(homedir(), '.bashrc')]) {
      const res = await get(port, `/read?p=${encodeURIComponent(path)}`)
      expect(res.status, path).toBe(500)
      expect(res.body, path).toBe('ENOENT')
    }

    for (const dir of [h.dataDir, h.root, join(h.dataDir, 'releases')]) {
      expect((await get(port, `/ls?p=${encodeURIComponent(dir)}`)).body, dir).toBe('ENOENT')
    }

    // $HOME is not mounted; the one exception is a pyenv's versions/ under it (read-only: the Python buildpack's
    // virtualenvs run those interpreters), and then nothing else of $HOME shows.
    const pythons = pyenvVersionsDir(process.env)
    const home = (await get(port, `/ls?p=${encodeURIComponent(homedir())}`)).body
    if (pythons?.startsWith(`${homedir()}/`)) {
      let dir = homedir()
      for (const part of relative(homedir(), pythons).split('/')) {
        expect((await get(port, `/ls?p=${encodeURIComponent(dir)}`)).body, dir).toBe(JSON.stringify([part]))
        dir = join(dir, part)
      }
    } else expect(home).toBe('ENOENT')

    expect(existsSync(join(h.dataDir, 'run', 'token'))).toBe(true)
  })

  it('has its own hostname, PID namespace, no capabilities and a clean env', async () => {
    expect((await get(port, '/sh?p=hostname')).body.trim()).toBe('web.1')
    const pids = JSON.parse((await get(port, '/ls?p=/proc')).body).filter((n: string) => /^\d+$/.test(n))
    expect(pids.length).toBeLessThan(6)
    expect((await get(port, `/sh?p=${encodeURIComponent('mount -t tmpfs x /tmp/x 2>&1 || echo mount-failed')}`)).body).toContain('mount-failed')
    const env = JSON.parse((await get(port, '/env')).body)
    expect(Object.keys(env).filter(k => k.startsWith('FERRY') || k === 'NODE_EXTRA_CA_CERTS')).toEqual([])
    expect(env.HOME).toBe('/app')
  })

  it('has CapEff 0, cannot write host sysctls (the /proc knobs are read-only, kernel internals masked) and cannot use kernel keyrings', async () => {
    const sh = async (command: string) => (await get(port, `/sh?p=${encodeURIComponent(command)}`)).body
    expect(await sh('grep CapEff /proc/self/status')).toBe('CapEff:\t0000000000000000\n')
    const knob = '/proc/sys/fs/lease-break-time'
    const before = readFileSync(knob, 'utf8')
    expect(await sh(`v=$(cat ${knob}); { echo $((v+1)) > ${knob}; } 2>&1 || true`)).toMatch(/Read-only file system/)
    expect(readFileSync(knob, 'utf8')).toBe(before)
    const readOnly = ['sys', 'irq', 'bus', 'fs'].filter(d => existsSync(`/proc/${d}`))
    for (const dir of readOnly) expect(await sh(`grep -q " /proc/${dir} ro," /proc/self/mountinfo && echo ro || true`), dir).toBe('ro\n')
    // Masked by /dev/null on a nodev mount: nothing can be read from them.
    const masked = ['kcore', 'keys', 'key-users', 'timer_list'].filter(f => existsSync(`/proc/${f}`))
    for (const file of masked) expect(await sh(`cat /proc/${file} 2>/dev/null | wc -c`), file).toBe('0\n')
    const addKey = ({arm64: 217, x64: 248} as Record<string, number>)[process.arch]
    if (addKey) {
      const perl = `perl -e 'my ($t, $d, $v) = ("user", "ferry-sandbox-test", "x"); print syscall(${addKey}, $t, $d, $v, 1, -4) < 0 ? "$!" : "added"'`
      expect(await sh(perl)).toBe('Operation not permitted')
    }
  })

  it('runs the Procfile command in the boot shell itself: node is the sandbox\'s pid 2, no bash left above it', async () => {
    // pid 1 = bwrap's init; the boot bash sources .profile.d and execs the (simple) command in place.
    expect((await get(port, `/sh?p=${encodeURIComponent('echo $PPID; cat /proc/$PPID/comm')}`)).body.split('\n')).toEqual(['2', 'node', ''])
    expect(JSON.parse((await get(port, '/env')).body).FROM_PROFILE_D).toBe('yes')
  })

  it('every overlay launcher (perl syscalls, one `mount -a` from an fstab, mount + mkdir + mount) gives the same writable, pristine /app', async () => {
    if (h.supervisor.isolation.mode !== 'bwrap-overlay') return
    const releaseDir = h.supervisor.slugs.dirFor(h.app.release!.id)
    const scratchMount = join(h.dataDir, 'run', 'sandbox')
    const fstab = join(h.root, 'test.fstab')
    expect(fstabSafe(scratchMount, releaseDir)).toBe(true)
    expect(fstabSafe('/a b', '/x')).toBe(false)
    writeFileSync(fstab, overlayFstab(scratchMount, releaseDir, '16m'))
    const outputs: string[] = []
    const variants = [{fstab, overlayLauncher: 'fstab' as const}, {overlayLauncher: 'sh' as const}, ...(perlLauncherArch() ? [{overlayLauncher: 'perl' as const}] : [])]
    for (const variant of variants) {
      const command = 'echo y > /app/new.txt && cat /app/new.txt && ls -A /app | tr "\\n" " " && (touch /usr/x 2>/dev/null || echo usr-ro)'
      const env = dynoEnv({config: {}, dyno: 'run.1', home: '/app', port: 0})
      const plan = launchPlan('bwrap-overlay', {command, dyno: 'run.1', releaseDir, scratchMount, ...variant}, env)
      expect(plan.file).toBe(variant.overlayLauncher === 'perl' ? 'perl' : 'unshare')
      const {out, status} = await runPlan(plan)
      expect(status, out).toBe(0)
      outputs.push(out)
    }

    expect(outputs[0]).toBe(`y\n${[...readdirSync(releaseDir), 'new.txt'].sort().join(' ')} usr-ro\n`)
    for (const out of outputs.slice(1)) expect(out).toBe(outputs[0])
    expect(readdirSync(releaseDir)).not.toContain('new.txt')
    expect(readdirSync(scratchMount)).toEqual([])
  })

  it('every launcher joins all the dyno\'s cgroups before bwrap: memory charged, a pids limit of 12 holds', async () => {
    if (process.getuid?.() !== 0 || !existsSync('/sys/fs/cgroup/pids/cgroup.procs') || !existsSync('/sys/fs/cgroup/memory/cgroup.procs')) {
      expect(process.env.CI).not.toBe('true')
      return
    }

    const releaseDir = h.supervisor.slugs.dirFor(h.app.release!.id)
    const scratchMount = join(h.dataDir, 'run', 'sandbox')
    const fstab = join(h.root, 'cgroup-test.fstab')
    writeFileSync(fstab, overlayFstab(scratchMount, releaseDir, '16m'))
    const variants: Array<[IsolationMode, Partial<SandboxSpec>]> = [['bwrap', {}]]
    if (h.supervisor.isolation.mode === 'bwrap-overlay') {
      variants.push(['bwrap-overlay', {fstab, overlayLauncher: 'fstab'}], ['bwrap-overlay', {overlayLauncher: 'sh'}])
      if (perlLauncherArch()) variants.push(['bwrap-overlay', {overlayLauncher: 'perl'}])
    }

    for (const [mode, variant] of variants) {
      const name = `test-${process.pid}-${variant.overlayLauncher ?? mode}`
      const memory = join(MEMORY_CGROUP_ROOT, name)
      mkdirSync(memory, {recursive: true})
      const pids = makePidsCgroup(name, 12)!
      try {
        const command = 'perl -e \'$| = 1; my $n = 0; for (1 .. 40) { my $p = fork(); next unless defined $p; if ($p == 0) { sleep 2; exit 0 } $n++ } print "forked=$n\\n"\''
        const env = dynoEnv({config: {}, dyno: 'run.1', home: '/app', port: 0})
        const {out, status} = await runPlan(launchPlan(mode, {cgroupDirs: [memory, pids], command, dyno: 'run.1', releaseDir, scratchMount, ...variant}, env))
        expect(status, out).toBe(0)
        const forked = Number(/forked=(\d+)/.exec(out)?.[1])
        expect(forked, `${name}: ${out}`).toBeGreaterThan(0)
        expect(forked, `${name}: ${out}`).toBeLessThan(12)
        expect(Number(readFileSync(join(memory, 'memory.max_usage_in_bytes'), 'utf8')), name).toBeGreaterThan(0)
      } finally {
        removeCgroupLater(memory)
        removeCgroupLater(pids)
      }
    }
  })

  it('writes under /app are ephemeral: gone after a restart, the shared release is never modified', async () => {
    if (h.supervisor.isolation.mode !== 'bwrap-overlay') {
      expect((await get(port, '/write?p=/app/scratch.txt')).body).toMatch(/EROFS/)
      return
    }

    expect((await get(port, '/write?p=/app/scratch.txt')).body).toBe('ok')
    expect((await get(port, '/read?p=/app/scratch.txt')).body).toBe('x')
    const releaseDir = h.supervisor.slugs.dirFor(h.app.release!.id)
    expect(readdirSync(releaseDir)).not.toContain('scratch.txt')
    await h.supervisor.restart(h.app.appId, {name: 'web.1'})
    await waitFor(() => h.supervisor.webTargets(h.app.appId).length === 1, 'web up again')
    port = h.supervisor.webTargets(h.app.appId)[0].port
    expect((await get(port, '/read?p=/app/scratch.txt')).body).toBe('ENOENT')
  })

  it('a dyno that spawns children and double-forks leaves nothing behind when stopped', async () => {
    await waitFor(() => pidsMatching(`${marker}-daemon`).length === 1 && pidsMatching(`${marker}-child`).length === 3, 'forker children running')
    await h.supervisor.stop(h.app.appId, {name: 'forker.1'})
    // The stop replaced the dyno: the old one's processes are gone, the new one has its own.
    await waitFor(() => pidsMatching(`${marker}-main`).length === 1, 'new forker')
    h.app.formation = h.app.formation.filter(f => f.type !== 'forker')
    await h.supervisor.converge(h.app.appId)
    for (const suffix of ['main', 'child', 'daemon']) expect(pidsMatching(`${marker}-${suffix}`), suffix).toEqual([])
  })

  it('enforces the memory limit of the dyno size where cgroups allow it (R15), or says it does not', async () => {
    const m = harness({backoffBaseMs: 60_000, backoffMaxMs: 60_000})
    try {
      m.app.release = m.release()
      const hog = 'node -e "const a = []; for (let i = 0; i < 700; i++) a.push(Buffer.alloc(1 << 20, 1)); console.log(\'allocated\')"'
      m.app.formation = [{command: hog, quantity: 1, size: 'Basic', type: 'hog'}]
      await m.supervisor.converge(m.app.appId)
      await waitFor(() => m.logText('hog.1').includes('Process exited'), 'hog exit', 20_000)
      if (m.supervisor.isolation.memoryLimits) {
        expect(m.logText('hog.1')).toContain('Process exited with status 137')
        expect(m.logText('hog.1')).toContain('Error R15 (Memory quota vastly exceeded)')
        expect(m.logText('hog.1')).not.toContain('app[hog.1]: allocated')
      } else {
        expect(m.logText('hog.1')).toContain('app[hog.1]: allocated')
      }
    } finally {
      await m.cleanup()
    }
  })
})
