// A test's outside dependency (bwrap, dist/, the official heroku CLI …): without it a suite is skipped on a
// developer's machine, but under CI=true a missing dependency is a failure, never a silent skip: a green CI
// run must mean every suite ran.
import {execFileSync} from 'node:child_process'

import {describe, it} from 'vitest'

/**
 * true when the suite must be skipped: `available` is false and this is not CI. Under CI=true a missing
 * dependency registers a failing test that names it (and the suite itself runs, and fails too).
 */
export function skipUnlessAvailable(what: string, available: boolean, fix: string): boolean {
  if (available) return false
  const message = `${what} is missing: ${fix}`
  if (process.env.CI) {
    describe(`dependency: ${what}`, () => {
      it('is available (CI=true: a missing dependency fails instead of skipping)', () => {
        throw new Error(message)
      })
    })
    return false
  }

  console.warn(`[skip] ${message}`)
  return true
}

/** true when bubblewrap runs here (a binary on PATH can still fail without user namespaces). */
export function bwrapUsable(): boolean {
  try {
    execFileSync('bwrap', ['--ro-bind', '/', '/', 'true'], {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
}
