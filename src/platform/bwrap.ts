// Bubblewrap pieces shared by dynos (supervisor/sandbox.ts) and build steps (builder/run.ts): the read-only view of
// the host's root, the /proc knobs closed to the sandbox, the seccomp filter, and the per-sandbox pids cgroup.
import {createHash} from 'node:crypto'
import {existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmdirSync, writeFileSync} from 'node:fs'
import {endianness} from 'node:os'
import {dirname, join} from 'node:path'

// The JDK's conf/ and Maven's conf/ are symlinks into /etc (Debian): without them java and mvn cannot start.
const ETC_FILES = ['passwd', 'group', 'hosts', 'nsswitch.conf', 'resolv.conf', 'localtime', 'ssl', 'ca-certificates', 'alternatives', 'mime.types', 'maven']
/** Debian's per-JDK config dirs (/etc/java-17-openjdk): bound like ETC_FILES. */
const ETC_JDK_RE = /^java-\d+-openjdk$/
const ROOT_LINKS = ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32']

let hostArgsCache: string[] | undefined

/**
 * Read-only /usr (+ merged-/usr symlinks or dirs), the few /etc files node, npm and TLS need, and node's own install
 * when it lives outside /usr. Everything else of the host (the data dir, $HOME, /root, /var, other apps) is absent.
 */
export function hostRootArgs(): string[] {
  if (hostArgsCache) return hostArgsCache
  const args: string[] = ['--ro-bind', '/usr', '/usr']
  for (const name of ROOT_LINKS) {
    const path = `/${name}`
    try {
      const st = lstatSync(path)
      if (st.isSymbolicLink()) args.push('--symlink', readlinkSync(path), path)
      else if (st.isDirectory()) args.push('--ro-bind', path, path)
    } catch {}
  }

  let jdks: string[] = []
  try {
    jdks = readdirSync('/etc').filter(name => ETC_JDK_RE.test(name))
  } catch {}

  for (const name of [...ETC_FILES, ...jdks]) {
    const path = `/etc/${name}`
    if (existsSync(path)) args.push('--ro-bind', path, path)
  }

  // Node installed outside /usr (nvm, /opt): make that one install visible, read-only, at the same path.
  try {
    const node = realpathSync(process.execPath)
    if (!node.startsWith('/usr/')) {
      const prefix = dirname(dirname(node))
      args.push('--ro-bind', prefix, prefix)
    }
  } catch {}

  // Python installed by pyenv (outside /usr): the build sandbox runs these interpreters and a dyno runs the app's
  // virtualenv, whose `python` links to one of them, so the installs are visible read-only at the same path.
  const pythons = pyenvVersionsDir(process.env)
  if (pythons) args.push('--ro-bind', pythons, pythons)

  hostArgsCache = args
  return args
}

/** `$PYENV_ROOT/versions` (or the root whose shims dir is on PATH) when it exists outside /usr, else undefined. */
export function pyenvVersionsDir(env: NodeJS.ProcessEnv): string | undefined {
  const shims = (env.PATH ?? '').split(':').find(dir => /\/[^/]*pyenv\/shims$/.test(dir))
  const root = env.PYENV_ROOT || (shims ? dirname(shims) : undefined)
  if (!root || !root.startsWith('/') || root.startsWith('/usr/')) return undefined
  try {
    const dir = realpathSync(join(root, 'versions'))
    return dir.startsWith('/usr/') || dir === '/' ? undefined : dir
  } catch {
    return undefined
  }
}

/**
 * /proc entries whose files are root-owned and writable by DAC alone (sysctls, sysrq, nfsd and fs knobs): read-only.
 * bwrap itself makes irq and bus read-only; mtrr needs CAP_SYS_ADMIN; pressure (PSI triggers) is meant for
 * unprivileged use. Each bind costs ~0.4 ms of sandbox start, so only what a capless root could otherwise change.
 */
const PROC_READ_ONLY = ['sys', 'sysrq-trigger', 'fs']
/** /proc entries that show the host's kernel memory, keys or timers: replaced by /dev/null (as Docker masks them). */
const PROC_MASKED = ['kcore', 'keys', 'key-users', 'latency_stats', 'timer_list', 'sched_debug']

let procArgsCache: string[] | undefined

/**
 * A private /proc with the host-changing knobs read-only and the kernel-internals masked. The sandbox runs as uid 0
 * without capabilities: /proc/sys files are root-owned 0644, so plain DAC would let it write host sysctls (bwrap itself
 * only covers irq and bus). The source of each bind is the host's /proc: sysctls answer for the reader's namespaces,
 * not the mount's. Only entries this kernel has are listed (bwrap cannot create mount points in procfs).
 */
export function procArgs(): string[] {
  if (procArgsCache) return procArgsCache
  const args = ['--proc', '/proc']
  for (const name of PROC_READ_ONLY) if (existsSync(`/proc/${name}`)) args.push('--ro-bind', `/proc/${name}`, `/proc/${name}`)
  for (const name of PROC_MASKED) if (existsSync(`/proc/${name}`)) args.push('--ro-bind', '/dev/null', `/proc/${name}`)
  procArgsCache = args
  return args
}

// ---- seccomp: no kernel keyrings ----

/** add_key, request_key, keyctl per audit arch (x32 = x86_64 numbers | 0x40000000). */
const KEYRING_SYSCALLS: Array<[arch: number, numbers: number[]]> = [
  [0xC0_00_00_3E, [248, 249, 250, 0x40_00_00_00 + 248, 0x40_00_00_00 + 249, 0x40_00_00_00 + 250]], // x86_64 + x32
  [0x40_00_00_03, [286, 287, 288]], // i386
  [0xC0_00_00_B7, [217, 218, 219]], // aarch64
  [0x40_00_00_28, [309, 310, 311]], // arm (EABI)
]
const BPF_LD_W_ABS = 0x20
const BPF_JEQ_K = 0x15
const BPF_RET_K = 0x06
const SECCOMP_RET_ALLOW = 0x7F_FF_00_00
const SECCOMP_RET_ERRNO_EPERM = 0x00_05_00_01

let seccompCache: Buffer | undefined

/**
 * A classic-BPF seccomp program (bwrap `--seccomp FD`) that fails add_key, request_key and keyctl with EPERM.
 * Every sandbox runs as uid 0: without it, two apps (or an app and its next release) share root's user and session
 * keyrings, a channel between apps that also outlives the dynos. Layout: load arch; per known arch, if it matches,
 * load the syscall number and return EPERM for the listed ones, else allow; unknown arches are allowed.
 */
export function keyringSeccomp(): Buffer {
  if (seccompCache) return seccompCache
  const prog: Array<[code: number, jt: number, jf: number, k: number]> = [[BPF_LD_W_ABS, 0, 0, 4]]
  for (const [arch, numbers] of KEYRING_SYSCALLS) {
    const n = numbers.length
    prog.push([BPF_JEQ_K, 0, n + 3, arch], [BPF_LD_W_ABS, 0, 0, 0])
    for (const [j, nr] of numbers.entries()) prog.push([BPF_JEQ_K, n - j, 0, nr])
    prog.push([BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW], [BPF_RET_K, 0, 0, SECCOMP_RET_ERRNO_EPERM])
  }

  prog.push([BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW])
  const buf = Buffer.alloc(prog.length * 8)
  const le = endianness() === 'LE'
  for (const [i, [code, jt, jf, k]] of prog.entries()) {
    const at = i * 8
    if (le) buf.writeUInt16LE(code, at)
    else buf.writeUInt16BE(code, at)
    buf.writeUInt8(jt, at + 2)
    buf.writeUInt8(jf, at + 3)
    if (le) buf.writeUInt32LE(k, at + 4)
    else buf.writeUInt32BE(k, at + 4)
  }

  seccompCache = buf
  return buf
}

// ---- cgroup v1 pids controller ----

/** Parent of the sandboxes' pids cgroups (dynos and build steps). */
export const PIDS_CGROUP_ROOT = '/sys/fs/cgroup/pids/ferry'

/**
 * Prefix of the cgroups of one platform (dynos and build steps): a hash of its data dir. A starting daemon removes
 * the empty ones a previous run of the same platform left (killed mid-build or mid-dyno).
 */
export function cgroupPrefix(dataDir: string): string {
  return createHash('sha256').update(dataDir).digest('hex').slice(0, 12) + '-'
}

/** true when this process may create pids cgroups (root, cgroup v1 pids controller mounted). */
export function pidsLimitsAvailable(): boolean {
  return process.getuid?.() === 0 && existsSync('/sys/fs/cgroup/pids/cgroup.procs')
}

/** Creates `PIDS_CGROUP_ROOT/name` limited to `max` tasks (processes and threads); undefined when that fails. */
export function makePidsCgroup(name: string, max: number): string | undefined {
  const dir = join(PIDS_CGROUP_ROOT, name)
  try {
    mkdirSync(dir, {recursive: true})
    writeFileSync(join(dir, 'pids.max'), String(max))
    return dir
  } catch {
    return undefined
  }
}

/**
 * Waits (up to `timeoutMs`) until no process is left in the cgroup, then removes it; true when it is gone. A sandbox's
 * main process exits before the kernel has torn down the rest of its PID namespace: this is the "all gone" barrier.
 */
export async function drainCgroup(dir: string, timeoutMs = 2000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      if (readFileSync(join(dir, 'cgroup.procs'), 'utf8').trim() === '') {
        rmdirSync(dir)
        return true
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true
    }

    if (Date.now() > deadline) return false
    await new Promise(resolve => setTimeout(resolve, 5))
  }
}

/** rmdir of a cgroup, retried for ~10 s: it empties once the sandbox's zombie pid 1 is reaped. */
export function removeCgroupLater(dir: string): void {
  let tries = 0
  const attempt = () => {
    try {
      rmdirSync(dir)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' && ++tries < 20) setTimeout(attempt, 500).unref()
    }
  }

  attempt()
}

/**
 * `sh -c` script that joins the cgroups in $1 (space-separated dirs, may be empty) and execs the rest of its argv:
 * joined before exec, so every process of the sandbox is counted from its first fork.
 */
export const CGROUP_LAUNCHER = ['set -e', 'for c in $1; do echo $$ > "$c/cgroup.procs"; done', 'shift', 'exec "$@"'].join('\n')
