// Is bubblewrap usable here? Tried for real once (a binary on PATH can still fail without user namespaces).
import {spawnSync} from 'node:child_process'

export type Isolation = 'bwrap' | 'none'

let cached: Isolation | undefined

/** 'bwrap' when `bwrap --unshare-pid --ro-bind / / true` succeeds, else 'none'. An override 'none' (FERRY_ISOLATION) forces 'none'. */
export function detectIsolation(override?: string): Isolation {
  if (override === 'none') return 'none'
  if (cached) return cached
  const result = spawnSync('bwrap', ['--unshare-pid', '--ro-bind', '/', '/', 'true'], {stdio: 'ignore', timeout: 10_000})
  cached = result.status === 0 ? 'bwrap' : 'none'
  return cached
}
