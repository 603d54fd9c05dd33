// What the dyno sandbox can do on this host, probed once when the supervisor starts: the overlay (writable,
// ephemeral /app; root), and which launcher mounts it fastest here; memory and pids cgroups per dyno (root).
import {execFile} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {existsSync} from 'node:fs'
import {mkdir, readdir, rm, rmdir, writeFile} from 'node:fs/promises'
import {dirname, join} from 'node:path'

import type {PlatformConfig} from '../context.js'

import {hostRootArgs, pidsLimitsAvailable, procArgs} from '../bwrap.js'
import {
  BASH, fstabSafe, type IsolationInfo, LAUNCHER_ENV, MEMORY_CGROUP_ROOT, OVERLAY_FSTAB_LAUNCHER, OVERLAY_LAUNCHER, type OverlayLauncher,
  overlayFstab, perlLauncherArch, perlLauncherArgs,
} from './sandbox.js'

function run(file: string, args: string[], options: {timeout?: number} = {}): Promise<{code: number; output: string}> {
  return new Promise(resolve => {
    execFile(file, args, {env: LAUNCHER_ENV, timeout: options.timeout ?? 10_000}, (error, stdout, stderr) => {
      const code = error ? (typeof (error as any).code === 'number' ? (error as any).code : 127) : 0
      resolve({code, output: `${stdout}${stderr}`.trim()})
    })
  })
}

export interface SandboxDecision {
  /** 'none' (FERRY_ISOLATION=none): no sandbox; 'bwrap': no overlay even where it works. */
  forced?: string
  /**
   * The platform's decision (PlatformConfig.isolation): 'none' means no sandbox; 'bwrap' means the platform found
   * bubblewrap usable, so it is not tried again here. Absent (a supervisor outside a platform), it is tried here.
   */
  platform?: PlatformConfig['isolation']
}

/** The dyno sandbox this host gives, within the platform's decision. */
export async function probeSandbox(scratchMount: string, decision: SandboxDecision = {}): Promise<IsolationInfo> {
  const none = (detail: string): IsolationInfo => ({detail: `none (${detail})`, memoryLimits: false, mode: 'none', pidsLimits: false})
  if (decision.forced === 'none') return none('disabled by FERRY_ISOLATION=none')
  if (decision.platform === 'none') return none('install bubblewrap')
  if (decision.platform === undefined) {
    const userns = process.getuid?.() === 0 ? [] : ['--unshare-user']
    const probe = await run('bwrap', [...userns, '--unshare-pid', '--die-with-parent', '--cap-drop', 'ALL', ...hostRootArgs(), ...procArgs(), '--dev', '/dev', '--', BASH, '-c', 'exit 0'])
    if (probe.code !== 0) return none('install bubblewrap')
  }

  const memoryLimits = process.getuid?.() === 0 && existsSync('/sys/fs/cgroup/memory/cgroup.procs')
  const pidsLimits = pidsLimitsAvailable()
  if (decision.forced === 'bwrap' || process.getuid?.() !== 0) {
    return {detail: 'bwrap (read-only /app, writable /tmp)', memoryLimits, mode: 'bwrap', pidsLimits}
  }

  return probeOverlay(scratchMount, memoryLimits, pidsLimits)
}

/** Tries each overlay launcher (fastest first) on a scratch lower dir; plain bwrap when none works. */
async function probeOverlay(scratchMount: string, memoryLimits: boolean, pidsLimits: boolean): Promise<IsolationInfo> {
  await mkdir(scratchMount, {recursive: true})
  const lower = join(dirname(scratchMount), `.probe-${randomBytes(3).toString('hex')}`)
  await mkdir(lower, {recursive: true})
  await writeFile(join(lower, 'f'), 'x')
  // Run in place of bwrap by each launcher: /app writable on the tmpfs, the lower dir untouched.
  const check = 'scratch=$1; lower=$2; echo y > "$scratch/app/f" && test "$(cat "$scratch/app/f")" = y && test "$(cat "$lower/f")" = x && test -z "$(ls -A "$lower" | grep -v "^f$")"'
  const info = (overlayLauncher: OverlayLauncher): IsolationInfo => ({detail: 'bwrap + overlayfs (writable ephemeral /app)', memoryLimits, mode: 'bwrap-overlay', overlayLauncher, pidsLimits})
  // Everything a launcher created must have been on the private tmpfs: nothing left in the scratch dir afterwards.
  const clean = async () => (await readdir(scratchMount)).length === 0
  // The launchers join the dyno's memory cgroup: probe that too, with a cgroup of our own.
  const cgroup = memoryLimits ? join(MEMORY_CGROUP_ROOT, `.probe-${randomBytes(3).toString('hex')}`) : ''
  try {
    if (cgroup) await mkdir(cgroup, {recursive: true})
    if (perlLauncherArch()) {
      const perl = await run('perl', perlLauncherArgs(cgroup, scratchMount, lower, '16m', ['/bin/sh', '-c', check, 'probe', scratchMount, lower]))
      if (perl.code === 0 && (await clean())) return info('perl')
    }

    if (fstabSafe(scratchMount, lower)) {
      const fstab = `${lower}.fstab`
      await writeFile(fstab, overlayFstab(scratchMount, lower, '16m'))
      const script = OVERLAY_FSTAB_LAUNCHER.replace('exec "$@"', check)
      const fast = await run('unshare', ['-m', '--propagation', 'private', '/bin/sh', '-c', script, 'probe', cgroup, fstab, scratchMount, lower])
      await rm(fstab, {force: true})
      if (fast.code === 0 && (await clean())) return info('fstab')
    }

    const script = OVERLAY_LAUNCHER.replace('exec "$@"', 'set -- "$scratch" "$lower"; ' + check)
    const overlay = await run('unshare', ['-m', '--propagation', 'private', '/bin/sh', '-c', script, 'probe', scratchMount, lower, '16m', cgroup])
    if (overlay.code === 0) return info('sh')
    return {detail: `bwrap (read-only /app, writable /tmp; overlay unavailable: ${overlay.output.split('\n')[0]})`, memoryLimits, mode: 'bwrap', pidsLimits}
  } finally {
    await rm(lower, {force: true, recursive: true})
    if (cgroup) await rmdir(cgroup).catch(() => {})
  }
}
