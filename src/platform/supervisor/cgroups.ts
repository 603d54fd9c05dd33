// Per-dyno cgroups (cgroup v1, root only): a memory cgroup holding the dyno to its size's memory (R15 when the
// kernel OOM-kills in it) and a pids cgroup holding it to its size's process count. Removed once the dyno exits;
// the empty ones a previous run of this platform left (killed mid-dyno) are removed when the supervisor starts.
import {mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {cgroupPrefix, makePidsCgroup, PIDS_CGROUP_ROOT, removeCgroupLater} from '../bwrap.js'
import {type IsolationInfo, MEMORY_CGROUP_ROOT, memoryLimitBytes, pidsLimit} from './sandbox.js'

/** OOM kills recorded by a cgroup v1 memory controller. */
function oomKills(cgroup: string): number {
  try {
    return Number(/oom_kill (\d+)/.exec(readFileSync(join(cgroup, 'memory.oom_control'), 'utf8'))?.[1] ?? 0)
  } catch {
    return 0
  }
}

/** The cgroups of one dyno process (either may be missing: not root, controller absent, or creation failed). */
export interface DynoCgroupDirs {
  cgroup?: string
  pidsCgroup?: string
}

export class DynoCgroups {
  /** Prefix of this platform's cgroups (one per dyno process): `<root>/ferry/<hash of the data dir>-<dyno id>`. */
  private readonly prefix: string

  constructor(dataDir: string) {
    this.prefix = cgroupPrefix(dataDir)
  }

  /** Creates the cgroups a sandboxed dyno process joins (limits by `size`) where the isolation has them. */
  create(id: string, size: string, isolation: IsolationInfo): DynoCgroupDirs {
    const sandboxed = isolation.mode !== 'none'
    return {
      cgroup: sandboxed && isolation.memoryLimits ? this.makeMemoryCgroup(id, size) : undefined,
      pidsCgroup: sandboxed && isolation.pidsLimits ? makePidsCgroup(this.prefix + id, pidsLimit(size)) : undefined,
    }
  }

  /** After the dyno process exited: removes its cgroups (once empty); true when the kernel OOM-killed in it. */
  release(dirs: DynoCgroupDirs): boolean {
    let oomKilled = false
    if (dirs.cgroup) {
      oomKilled = oomKills(dirs.cgroup) > 0
      removeCgroupLater(dirs.cgroup)
    }

    if (dirs.pidsCgroup) removeCgroupLater(dirs.pidsCgroup)
    return oomKilled
  }

  /** Removes the empty cgroups of a previous run of this platform (non-empty ones hold leftovers: rmdir refuses them). */
  removeStale(isolation: IsolationInfo): void {
    for (const root of [isolation.memoryLimits && MEMORY_CGROUP_ROOT, isolation.pidsLimits && PIDS_CGROUP_ROOT]) {
      try {
        if (root) for (const name of readdirSync(root)) if (name.startsWith(this.prefix)) removeCgroupLater(join(root, name))
      } catch {}
    }
  }

  private makeMemoryCgroup(id: string, size: string): string | undefined {
    const dir = join(MEMORY_CGROUP_ROOT, this.prefix + id)
    try {
      mkdirSync(dir, {recursive: true})
      writeFileSync(join(dir, 'memory.limit_in_bytes'), String(memoryLimitBytes(size)))
      return dir
    } catch {
      return undefined
    }
  }
}
