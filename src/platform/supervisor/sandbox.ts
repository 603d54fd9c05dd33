// How a dyno process is launched: its environment, and the bubblewrap sandbox around it.
//
// Writable, ephemeral /app without copying (shared/MEASUREMENTS.md §4: copying a node_modules costs seconds, bwrap 0.8
// has no overlay option). The choice, in order of preference:
//  'bwrap-overlay' (root): the launcher enters a private mount namespace (`unshare -m`), mounts a per-dyno tmpfs and a
//      kernel overlayfs on it (lower = the shared, read-only unpacked release; upper/work on that tmpfs; ~2 ms), then
//      execs bwrap, which binds the merged dir as /app. The app can write ANYWHERE under /app (and /tmp); writes live
//      in the dyno's tmpfs (memory, capped at `scratchSize`) and vanish when the dyno stops; the release dir is
//      never modified, so every start is pristine. Nothing is written on disk, nothing needs cleaning up.
//  'bwrap' (no overlay: not root, or overlayfs refused): /app is a read-only bind of the shared release; the app can
//      write only to /tmp (a private tmpfs) and /dev/shm; writes under /app fail with EROFS.
//  'none' (no bwrap): a plain process group in the release dir, HOME = the release dir; no isolation, writes land in
//      the shared release dir and persist. `ferry platform:status` reports `isolation: none (install bubblewrap)`.
// In both bwrap modes: new PID/IPC/UTS/mount (and cgroup) namespaces, hostname = dyno name, all capabilities dropped,
// read-only /usr (+ merged-/usr symlinks) and the few /etc files node needs (../bwrap.ts, shared with builds), private
// /proc (host-changing knobs such as /proc/sys read-only), /dev and /tmp, no kernel keyrings (seccomp), host network
// (each dyno has its own $PORT), a memory and a pids cgroup per dyno (root only). The data dir, the platform token,
// $HOME and other apps are simply not mounted. The dyno env is handed to the sandbox on a pipe (`--file`), not in argv or in the launchers' env: config
// vars never show in `ps` and never reach host-side tools (a config var named LD_PRELOAD would otherwise apply to them).
import {join} from 'node:path'

import {CGROUP_LAUNCHER, hostRootArgs, keyringSeccomp, procArgs} from '../bwrap.js'

export type IsolationMode = 'bwrap' | 'bwrap-overlay' | 'none'

export interface IsolationInfo {
  /** Human sentence for platform status. */
  detail: string
  /** Memory limits per dyno size via cgroup v1 `memory` controller (root only). */
  memoryLimits: boolean
  mode: IsolationMode
  /** Process (task) limits per dyno size via the cgroup v1 `pids` controller (root only). */
  pidsLimits: boolean
  /** 'bwrap-overlay' only: how the per-dyno tmpfs + overlay get mounted (see OverlayLauncher); default 'sh'. */
  overlayLauncher?: OverlayLauncher
}

/**
 * The process that sets up a dyno's private mount namespace (tmpfs + overlay), joins its cgroup and execs bwrap:
 * - 'perl': one perl process does it all with syscalls (unshare, mount, mkdir, open): 1 exec instead of 4 execs
 *   and a fork (x86_64/arm64 Linux with perl, which Debian-likes always have: perl-base is essential);
 * - 'fstab': `unshare` → `sh` → one `mount -a` from a per-release fstab (util-linux >= 2.35);
 * - 'sh': `unshare` → `sh` → `mount`, `mkdir`, `mount`.
 * probeSandbox() (sandbox-probe.ts) picks the first one that works here; all three make the same mounts.
 */
export type OverlayLauncher = 'fstab' | 'perl' | 'sh'

export const BASH = '/usr/bin/bash'
/** Parent of the dynos' cgroup v1 memory cgroups. */
export const MEMORY_CGROUP_ROOT = '/sys/fs/cgroup/memory/ferry'
export const APP_DIR = '/app'
const ENV_FILE = '/run/ferry/env'
/** fd on which bwrap reads the seccomp program (after 3 = info, 4 = env). */
export const SECCOMP_FD = 5

/** Heroku's dyno memory per size, enforced as a hard cgroup limit when available. */
export const SIZE_MEMORY_MB: Record<string, number> = {
  basic: 512,
  eco: 512,
  free: 512,
  hobby: 512,
  'performance-l': 14_336,
  'performance-m': 2560,
  'standard-1x': 512,
  'standard-2x': 1024,
}

export function memoryLimitBytes(size: string): number {
  return (SIZE_MEMORY_MB[size.toLowerCase()] ?? 512) * 1024 * 1024
}

/**
 * Heroku's process/thread limit per dyno size ("Dyno Process and Thread Limits": 256 for eco/basic/standard-1x, 512
 * for standard-2x, 16384 for performance-m, 32768 for performance-l), enforced on the dyno's tasks (processes and
 * threads, like Heroku counts them) by its pids cgroup: a fork bomb stops there.
 */
export const SIZE_PIDS: Record<string, number> = {
  basic: 256,
  eco: 256,
  free: 256,
  hobby: 256,
  'performance-l': 32_768,
  'performance-m': 16_384,
  'standard-1x': 256,
  'standard-2x': 512,
}

export function pidsLimit(size: string): number {
  return SIZE_PIDS[size.toLowerCase()] ?? 256
}

export interface DynoEnvOptions {
  /** Release config vars. */
  config: Record<string, string>
  dyno: string
  /** Extra env (one-off `-e`, TERM, …): applied after config vars. */
  extra?: Record<string, string>
  /** App root as the process sees it (`/app` in a sandbox, the release dir without one). */
  home: string
  port: number
  /** The dyno size: its memory in MB goes to DYNO_RAM (the JVM buildpack's heap default reads it). */
  size?: string
}

/** The dyno's environment, built from scratch (nothing leaks from the daemon's env). */
export function dynoEnv(options: DynoEnvOptions): Record<string, string> {
  const {home} = options
  return {
    ...options.config,
    ...options.extra,
    DYNO: options.dyno,
    ...(options.size === undefined ? {} : {DYNO_RAM: String(memoryLimitBytes(options.size) / 1024 / 1024)}),
    HOME: home,
    PATH: `${home}/bin:${home}/node_modules/.bin:/usr/local/bin:/usr/bin:/bin`,
    PORT: String(options.port),
    PS1: String.raw`\[\033[01;34m\]\w\[\033[00m\] \[\033[01;32m\]$ \[\033[00m\]`,
    ...(options.extra?.TERM ? {} : {TERM: 'dumb'}),
  }
}

/**
 * Boot script run by bash inside the dyno: load the env (sandbox only), source `.profile.d/*.sh` then `.profile`,
 * then run the Procfile command in that same bash, like Heroku ("a bash shell that runs any code in
 * $HOME/.profile.d/*.sh before executing the dyno's command"). The command is the script's last line, so bash execs
 * it in place when it is a simple command (bash >= 5.1), as `bash -c "$command"` would: one bash per dyno start
 * instead of two. $1 = env file ('' = env already set).
 */
export function bootScript(home: string, command: string): string {
  return [
    '__ferry_env=$1; set --',
    'if [ -n "$__ferry_env" ]; then while IFS= read -r -d "" __kv; do export "$__kv"; done < "$__ferry_env"; fi',
    `for __f in ${home}/.profile.d/*.sh; do if [ -r "$__f" ]; then . "$__f"; fi; done`,
    `if [ -r ${home}/.profile ]; then . ${home}/.profile; fi`,
    'unset __f __kv __ferry_env',
    command,
  ].join('\n')
}

/** NUL-separated `KEY=value` entries, read by the boot script (values may hold newlines). */
export function encodeEnv(env: Record<string, string>): Buffer {
  return Buffer.from(Object.entries(env).map(([k, v]) => `${k}=${v}\0`).join(''))
}

export interface SandboxSpec {
  command: string
  dyno: string
  /** Release dir, bound (overlaid) as /app. */
  releaseDir: string
  /** For 'bwrap-overlay': an empty directory on the host where the private tmpfs is mounted (per daemon is enough). */
  scratchMount: string
  /** tmpfs size for the overlay's writable layer (e.g. `1g`). */
  scratchSize?: string
  /** cgroup directories to join before exec (memory and pids limits); no spaces in them. */
  cgroupDirs?: string[]
  /** 'bwrap-overlay': an fstab written by overlayFstab() for this release dir (one `mount` instead of mount+mkdir+mount). */
  fstab?: string
  /** 'bwrap-overlay': which launcher (default 'fstab' when `fstab` is given, else 'sh'). */
  overlayLauncher?: OverlayLauncher
}

/** bwrap flags for one dyno; `appSource` is what becomes /app. fd 3 = info (child pid), fd 4 = env, fd 5 = seccomp. */
export function bwrapArgs(spec: Pick<SandboxSpec, 'command' | 'dyno'>, appSource: string, writableApp: boolean): string[] {
  return [
    // Without root, bwrap (not setuid on Debian) needs a user namespace to create the others.
    ...(process.getuid?.() === 0 ? [] : ['--unshare-user']),
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    '--hostname',
    spec.dyno,
    '--die-with-parent',
    // The app runs in its own session/process group (pgid = the sandbox's init): the supervisor signals that group
    // (bwrap does not forward signals) and a dyno cannot push keystrokes into the daemon's terminal.
    '--new-session',
    '--cap-drop',
    'ALL',
    '--seccomp',
    String(SECCOMP_FD),
    ...hostRootArgs(),
    ...procArgs(),
    '--dev',
    '/dev',
    '--tmpfs',
    '/tmp',
    writableApp ? '--bind' : '--ro-bind',
    appSource,
    APP_DIR,
    '--chdir',
    APP_DIR,
    '--info-fd',
    '3',
    '--perms',
    '0400',
    '--file',
    '4',
    ENV_FILE,
    // bwrap's root is a writable tmpfs: make it (/, /etc, /run …) read-only once everything is mounted.
    '--remount-ro',
    '/',
    '--',
    BASH,
    '-c',
    bootScript(APP_DIR, spec.command),
    BASH,
    ENV_FILE,
  ]
}

/**
 * Runs (inside `unshare -m`, as root) before bwrap: join the dyno's cgroups, mount the tmpfs + overlay, exec bwrap.
 * $1 scratch mount point, $2 release dir, $3 tmpfs size, $4 cgroup dirs (space-separated) or '', rest = bwrap argv.
 */
export const OVERLAY_LAUNCHER = [
  'set -e',
  'scratch=$1; lower=$2; size=$3; cgroups=$4; shift 4',
  'for c in $cgroups; do echo $$ > "$c/cgroup.procs"; done',
  'mount -t tmpfs -o "size=$size,mode=0755" ferry-dyno "$scratch"',
  'mkdir "$scratch/upper" "$scratch/work" "$scratch/app"',
  'mount -t overlay overlay -o "lowerdir=$lower,upperdir=$scratch/upper,workdir=$scratch/work" "$scratch/app"',
  'exec "$@"',
].join('\n')

/**
 * The same with two processes fewer per dyno start (a `mount` and a `mkdir`, ~2 ms of CPU each time on a 2-core host
 * starting 50 dynos): one `mount -a` mounts both file systems from an fstab (overlayFstab()), and its
 * `X-mount.mkdir` creates upper/, work/ and app/ on the fresh tmpfs (mkdir -p of `upper/../work/../app`).
 * Used when detectIsolation() saw it work (util-linux >= 2.35). $1 cgroup dirs or '', $2 fstab, rest = bwrap argv.
 */
export const OVERLAY_FSTAB_LAUNCHER = [
  'set -e',
  'cgroups=$1; fstab=$2; shift 2',
  'for c in $cgroups; do echo $$ > "$c/cgroup.procs"; done',
  'mount -a --fstab "$fstab"',
  'exec "$@"',
].join('\n')

/** unshare(2) and mount(2) numbers for perl's syscall(), per Node arch (the only arches the perl launcher runs on). */
const SYSCALLS: Partial<Record<string, [unshare: number, mount: number]>> = {arm64: [97, 40], x64: [272, 165]}

/**
 * The 'perl' launcher: what `unshare -m --propagation private` + OVERLAY_LAUNCHER do, in one process.
 * CLONE_NEWNS = 0x20000; MS_REC|MS_PRIVATE = 0x44000. Strings are copied into variables (syscall() needs writable
 * buffers); a 0 is a NULL pointer. ARGV: unshare nr, mount nr, cgroup dirs (space-separated) or '', scratch, lower,
 * size, argv to exec.
 */
const OVERLAY_PERL_LAUNCHER = [
  'my ($unshare, $mount, $cgroup, $scratch, $lower, $size, @argv) = @ARGV;',
  '# syscall() takes numbers as integers (0 = NULL) and strings as pointers to writable buffers: pass copies.',
  'sub sys { my ($what, @args) = @_; my @copy = map { my $c = $_; $c } @args; syscall($copy[0], @copy[1 .. $#copy]) == 0 or die "ferry-launch: $what: $!\\n" }',
  'sys("unshare", $unshare + 0, 0x20000);',
  'sys("make / private", $mount + 0, 0, "/", 0, 0x44000, 0);',
  'for my $c (split " ", $cgroup) { my $f; open($f, ">", "$c/cgroup.procs") && print($f "$$\\n") && close($f) or die "ferry-launch: join $c: $!\\n" }',
  'sys("mount tmpfs", $mount + 0, "ferry-dyno", $scratch, "tmpfs", 0, "size=$size,mode=0755");',
  'mkdir("$scratch/$_", 0755) or die "ferry-launch: mkdir $_: $!\\n" for qw(upper work app);',
  'sys("mount overlay", $mount + 0, "overlay", "$scratch/app", "overlay", 0, "lowerdir=$lower,upperdir=$scratch/upper,workdir=$scratch/work");',
  'exec { $argv[0] } @argv or die "ferry-launch: exec $argv[0]: $!\\n";',
].join('\n')

/** true when this host's Node arch has syscall numbers for the perl launcher. */
export function perlLauncherArch(): boolean {
  return SYSCALLS[process.arch] !== undefined
}

export function perlLauncherArgs(cgroupDir: string, scratch: string, lower: string, size: string, argv: string[]): string[] {
  const [unshare, mount] = SYSCALLS[process.arch] ?? [0, 0]
  return ['-e', OVERLAY_PERL_LAUNCHER, '--', String(unshare), String(mount), cgroupDir, scratch, lower, size, ...argv]
}

/** fstab text for OVERLAY_FSTAB_LAUNCHER: a tmpfs on `scratch`, then the overlay of `lower` on `scratch`/app. */
export function overlayFstab(scratch: string, lower: string, size: string): string {
  return [
    `ferry-dyno ${scratch} tmpfs size=${size},mode=0755 0 0`,
    `overlay ${scratch}/upper/../work/../app overlay lowerdir=${lower},upperdir=${scratch}/upper,workdir=${scratch}/work,X-mount.mkdir 0 0`,
    '',
  ].join('\n')
}

/** true when overlayFstab() can express these paths (no fstab escapes; no overlayfs option separators). */
export function fstabSafe(...paths: string[]): boolean {
  return paths.every(p => !/[\s,:\\]/.test(p))
}

/** Minimal env for host-side launchers (unshare, sh, mount, bwrap): nothing from the app. */
export const LAUNCHER_ENV = {LANG: 'C', PATH: '/usr/sbin:/usr/bin:/sbin:/bin'}

export interface LaunchPlan {
  args: string[]
  cwd: string
  /** Env for the spawned file (launcher env for sandboxes, the dyno env without one). */
  env: Record<string, string>
  /** bytes to write on fd 4 (sandbox env), or undefined when the env is passed directly. */
  envPayload?: Buffer
  /** bytes to write on fd 5 (bwrap's seccomp program) when `infoFd`. */
  seccomp?: Buffer
  file: string
  /** true when fd 3 carries bwrap's info JSON (child-pid of the sandbox's init). */
  infoFd: boolean
}

export function launchPlan(mode: IsolationMode, spec: SandboxSpec, env: Record<string, string>): LaunchPlan {
  if (mode === 'none') {
    return {
      args: ['-c', bootScript(spec.releaseDir, spec.command), BASH, ''],
      cwd: spec.releaseDir,
      env,
      file: BASH,
      infoFd: false,
    }
  }

  const envPayload = encodeEnv(env)
  const seccomp = keyringSeccomp()
  // Every sandboxed plan: a host-side launcher with nothing of the app in its env; the env goes on fd 4, bwrap's
  // info (the sandbox init's pid) comes back on fd 3.
  const sandboxed = (file: string, args: string[]): LaunchPlan => ({args, cwd: '/', env: LAUNCHER_ENV, envPayload, file, infoFd: true, seccomp})
  const cgroups = (spec.cgroupDirs ?? []).join(' ')
  if (mode === 'bwrap-overlay') {
    const bwrap = bwrapArgs(spec, join(spec.scratchMount, 'app'), true)
    if (spec.overlayLauncher === 'perl') {
      return sandboxed('perl', perlLauncherArgs(cgroups, spec.scratchMount, spec.releaseDir, spec.scratchSize ?? '1g', ['bwrap', ...bwrap]))
    }

    if (spec.fstab && spec.overlayLauncher !== 'sh') {
      return sandboxed('unshare', ['-m', '--propagation', 'private', '/bin/sh', '-c', OVERLAY_FSTAB_LAUNCHER, 'ferry-launch', cgroups, spec.fstab, 'bwrap', ...bwrap])
    }

    const args = [OVERLAY_LAUNCHER, 'ferry-launch', spec.scratchMount, spec.releaseDir, spec.scratchSize ?? '1g', cgroups, 'bwrap', ...bwrap]
    return sandboxed('unshare', ['-m', '--propagation', 'private', '/bin/sh', '-c', ...args])
  }

  const bwrap = bwrapArgs(spec, spec.releaseDir, false)
  if (cgroups) {
    return sandboxed('/bin/sh', ['-c', CGROUP_LAUNCHER, 'ferry-launch', cgroups, 'bwrap', ...bwrap])
  }

  return sandboxed('bwrap', bwrap)
}
