// e2e (issue 13 items 1, 2, 12): what a build script and a dyno can do to the host, through the real CLI and daemon.
// A build script (package.json "build") probes the host like an attacker would; a web dyno and `ferry run` try to
// write host kernel settings and share a kernel keyring with another app; a dyno runs a bounded fork bomb. Every probe
// must fail while the deploy itself succeeds. Needs `npm run build`, bwrap, and root for the cgroup limits.
import {createHash} from 'node:crypto'
import {existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {hostname} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {makeFerryHome, readDaemonJson, readToken, removeFerryHome, ROOT, routerGet, runFerry} from '../helpers/index.js'
import {bwrapUsable, skipUnlessAvailable} from '../helpers/requires.js'

const built = existsSync(join(ROOT, 'dist', 'commands', 'builds', 'create.js'))
const root = process.getuid?.() === 0 && existsSync('/sys/fs/cgroup/pids/cgroup.procs')
const skip = skipUnlessAvailable('dist/ (npm run build)', built, 'run `npm run build`')
  || skipUnlessAvailable('bwrap', bwrapUsable(), 'apt-get install bubblewrap')
  || skipUnlessAvailable('root with the cgroup v1 pids controller', root, 'run the tests as root on a cgroup v1 host')

/** add_key, request_key syscall numbers for perl's syscall() (the arches the platform supports). */
const KEY_SYSCALLS: Partial<Record<string, [number, number]>> = {arm64: [217, 218], x64: [248, 249]}
/** A global, harmless sysctl that is not namespaced: a write from a sandbox would change the host's value. */
const KNOB = '/proc/sys/fs/lease-break-time'
const marker = `ferry-iso-${process.pid}`
const PIDS_ROOT = '/sys/fs/cgroup/pids/ferry'

/** A web process that runs the shell command given in ?c= and answers its output (the attacker's foothold). */
const WEB_JS = `const cp = require('child_process')
require('http').createServer((req, res) => {
  const c = new URL(req.url, 'http://x').searchParams.get('c') || 'true'
  res.end(cp.spawnSync('/bin/sh', ['-c', c], {encoding: 'utf8'}).stdout)
}).listen(process.env.PORT)
`
/** Writes the knob's value + 1: prints BLOCKED when the write fails, WROTE when it went through. */
const SYSCTL_WRITE = `v=$(cat ${KNOB}); if { echo $((v+1)) > ${KNOB}; } 2>/dev/null; then echo WROTE; else echo BLOCKED; fi`
const SYSRQ_WRITE = 'if { echo h > /proc/sysrq-trigger; } 2>/dev/null; then echo WROTE; else echo BLOCKED; fi'
/** A bounded fork bomb: perl's fork returns undef on EAGAIN (no retry, no exit), so the count is what the limit let through. */
const BOMB = 'perl -e \'$| = 1; my $n = 0; for (1 .. 2000) { my $p = fork(); next unless defined $p; if ($p == 0) { exec "sleep", "3001"; exit 1 } $n++ } print "forked=$n\\n"; sleep 3001\''

function perlKey(call: 'add' | 'request', description: string): string {
  const [add, request] = KEY_SYSCALLS[process.arch] ?? [0, 0]
  const body = call === 'add'
    ? `my ($t, $d, $v) = ("user", "${description}", "secret-of-a"); my $r = syscall(${add}, $t, $d, $v, 11, -4);`
    : `my ($t, $d) = ("user", "${description}"); my $r = syscall(${request}, $t, $d, 0, 0);`
  return `perl -e '${body} print(($r < 0 ? "failed: $!" : "key=$r"), "\\n")'`
}

describe.skipIf(skip)('e2e: isolation of builds and dynos', () => {
  let home: string
  let dataDir: string
  let routerPort: number
  let otherAppId: string
  let buildOutput: string
  let knobBefore: string

  async function deploy(app: string, files: Record<string, string>): Promise<string> {
    const dir = join(home, 'src', app)
    mkdirSync(dir, {recursive: true})
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content)
    const r = await runFerry(['builds:create', '--dir', dir, '-a', app], {home, timeoutMs: 180_000})
    expect(r.code, r.stdout + r.stderr).toBe(0)
    return r.stdout + r.stderr
  }

  async function api(path: string): Promise<any> {
    const info = readDaemonJson(home)!
    const res = await fetch(info.url + path, {headers: {Accept: 'application/vnd.heroku+json; version=3', Authorization: `Bearer ${readToken(home)}`}})
    expect(res.status, path).toBe(200)
    return res.json()
  }

  /** Output of a shell command run in app's web dyno. */
  async function inWeb(app: string, command: string): Promise<string> {
    const deadline = Date.now() + 30_000
    for (;;) {
      const r = await routerGet(routerPort, `${app}.localhost`, `/?c=${encodeURIComponent(command)}`).catch(() => ({body: '', status: 0}))
      if (r.status === 200) return r.body
      if (Date.now() > deadline) throw new Error(`${app} web did not answer (${r.status})`)
      await new Promise(res => setTimeout(res, 250))
    }
  }

  beforeAll(async () => {
    home = makeFerryHome('ferry-e2e-iso-')
    dataDir = join(home, 'data')
    knobBefore = readFileSync(KNOB, 'utf8')
    for (const app of ['iso-a', 'iso-b']) {
      const r = await runFerry(['apps:create', app], {home})
      expect(r.code, r.stderr).toBe(0)
    }

    // iso-b first: its cache dir and release exist when iso-a's build script goes looking for them.
    await deploy('iso-b', {Procfile: 'web: node web.js\n', 'package.json': JSON.stringify({name: 'iso-b'}), 'web.js': WEB_JS})
    otherAppId = (await api('/apps/iso-b')).id
    const probes: Array<[string, string]> = [
      ['umount /tmp', 'umount -l /tmp'],
      ['umount /build', 'umount -l /build'],
      ['mount tmpfs', 'mkdir -p /tmp/m && mount -t tmpfs x /tmp/m'],
      ['read token', `cat ${dataDir}/run/token`],
      ['umount the data dir, read token', `umount -l ${dataDir}; cat ${dataDir}/run/token`],
      ['token path exists', `test -e ${dataDir}/run`],
      ['data dir exists', `test -e ${dataDir}`],
      ['list data dir', `ls ${dataDir}`],
      ['list other app cache', `ls ${dataDir}/cache/${otherAppId}`],
      ['list releases', `ls ${dataDir}/releases`],
      ['host FERRY_HOME visible', `test -e ${home}`],
      ['read /etc/shadow', 'cat /etc/shadow'],
      ['write /usr', 'touch /usr/ferry-probe'],
      ['write /etc', 'touch /etc/ferry-probe'],
      ['write /', 'touch /ferry-probe'],
      ['write host /tmp', `touch ${join(home, 'from-build')}`],
      ['write /proc/sys', `v=$(cat ${KNOB}); echo $((v+1)) > ${KNOB}`],
      ['write /proc/sysrq-trigger', 'echo h > /proc/sysrq-trigger'],
      ['signal the daemon', `kill -0 ${readDaemonJson(home)!.pid}`],
      ['add a key', `${perlKey('add', `${marker}-build`)} | grep -q key=`],
    ]
    const script = [
      ...probes.map(([name, cmd]) => `if (${cmd}) >/dev/null 2>&1; then echo "PROBE ${name}: ALLOWED"; else echo "PROBE ${name}: blocked"; fi`),
      'echo "PROBE capeff: $(grep CapEff /proc/self/status | cut -f2)"',
      'echo "PROBE hostname: $(cat /proc/sys/kernel/hostname)"',
      // /tmp is the build's own: a write there works and never reaches the host's /tmp.
      `touch /tmp/${marker} && echo "PROBE private tmp: writable"`,
    ].join('\n')
    buildOutput = await deploy('iso-a', {
      Procfile: 'web: node web.js\nbomb: ' + BOMB + '\n',
      'package.json': JSON.stringify({name: 'iso-a', scripts: {build: 'sh probe.sh'}}),
      'probe.sh': script + '\n',
      'web.js': WEB_JS,
    })
    routerPort = readDaemonJson(home)!.routerPort
  }, 300_000)

  afterAll(async () => {
    if (home) await removeFerryHome(home)
  })

  it('a build script cannot reach the token, the data dir, other apps or host files, and the push still succeeds', () => {
    const results = Object.fromEntries([...buildOutput.matchAll(/PROBE ([^:]+): (.*)$/gm)].map(m => [m[1], m[2].trim()]))
    expect(Object.keys(results).length, buildOutput).toBe(23)
    const allowed = Object.entries(results).filter(([, v]) => v === 'ALLOWED').map(([k]) => k)
    expect(allowed, buildOutput).toEqual([])
    expect(results.capeff).toBe('0000000000000000')
    expect(results.hostname).not.toBe(hostname())
    expect(results['private tmp']).toBe('writable')
    expect(existsSync(`/tmp/${marker}`)).toBe(false)
    expect(existsSync(join(home, 'from-build'))).toBe(false)
    expect(readFileSync(KNOB, 'utf8')).toBe(knobBefore)
    expect(buildOutput).toMatch(/Launching\.\.\. done, v\d+/)
  })

  it('a web dyno and `ferry run` cannot write host kernel settings; no capabilities in either', async () => {
    expect(await inWeb('iso-a', SYSCTL_WRITE)).toBe('BLOCKED\n')
    expect(await inWeb('iso-a', SYSRQ_WRITE)).toBe('BLOCKED\n')
    expect(await inWeb('iso-a', 'grep CapEff /proc/self/status')).toBe('CapEff:\t0000000000000000\n')
    const run = await runFerry(['run', '-a', 'iso-a', '--', `${SYSCTL_WRITE}; ${SYSRQ_WRITE}; grep CapEff /proc/self/status`], {home, timeoutMs: 60_000})
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toContain('BLOCKED\nBLOCKED\nCapEff:\t0000000000000000')
    expect(readFileSync(KNOB, 'utf8')).toBe(knobBefore)
  })

  it('two apps cannot share data through a kernel keyring', async () => {
    const description = `${marker}-web`
    expect(await inWeb('iso-a', perlKey('add', description))).toMatch(/^failed: Operation not permitted/)
    expect(await inWeb('iso-b', perlKey('request', description))).toMatch(/^failed: Operation not permitted/)
    expect(readFileSync('/proc/keys', 'utf8')).not.toContain(marker)
  })

  it('a fork bomb in a dyno stops at the size\'s process limit (256 for basic), the platform answers, and stopping the dyno leaves nothing', async () => {
    // This daemon's pids cgroups (one per dyno, named after a hash of its data dir).
    const prefix = createHash('sha256').update(dataDir).digest('hex').slice(0, 12) + '-'
    const cgroups = () => readdirSync(PIDS_ROOT).filter(name => name.startsWith(prefix))
    const before = cgroups()
    expect(before.length).toBe(2)
    const scale = await runFerry(['ps:scale', 'bomb=1', '-a', 'iso-a'], {home})
    expect(scale.code, scale.stderr).toBe(0)
    const sleepers = () => readdirSync('/proc').filter(p => /^\d+$/.test(p) && (() => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8') === 'sleep\u00003001\u0000'
      } catch {
        return false
      }
    })())
    const deadline = Date.now() + 60_000
    let logs = ''
    while (!/forked=\d+/.test(logs) && Date.now() < deadline) {
      logs = (await runFerry(['logs', '-a', 'iso-a', '-n', '200'], {home})).stdout
      await new Promise(res => setTimeout(res, 500))
    }

    const forked = Number(/forked=(\d+)/.exec(logs)?.[1])
    console.log(`fork bomb: ${forked} children forked of 2000`)
    expect(forked, logs).toBeLessThan(256)
    expect(forked).toBeGreaterThan(100)
    expect(sleepers().length).toBeLessThanOrEqual(256)
    const bombCgroup = cgroups().find(name => !before.includes(name))!
    expect(readFileSync(join(PIDS_ROOT, bombCgroup, 'pids.max'), 'utf8').trim()).toBe('256')
    expect(Number(readFileSync(join(PIDS_ROOT, bombCgroup, 'pids.current'), 'utf8'))).toBe(256)
    const started = Date.now()
    const ps = await runFerry(['ps', '-a', 'iso-a'], {home})
    expect(ps.code).toBe(0)
    expect(ps.stdout).toMatch(/bomb\.1: up/)
    expect(Date.now() - started).toBeLessThan(10_000)
    expect(await inWeb('iso-a', 'echo alive')).toBe('alive\n')
    const down = await runFerry(['ps:scale', 'bomb=0', '-a', 'iso-a'], {home})
    expect(down.code, down.stderr).toBe(0)
    const gone = Date.now() + 15_000
    while (sleepers().length > 0 && Date.now() < gone) await new Promise(res => setTimeout(res, 200))
    expect(sleepers()).toEqual([])
    while (cgroups().length > before.length && Date.now() < gone) await new Promise(res => setTimeout(res, 200))
    expect(cgroups()).toEqual(before)
  }, 120_000)
})
