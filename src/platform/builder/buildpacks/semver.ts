// engines.node ranges, read with npm's own semver library (the hand-written subset before it misread hyphen ranges,
// `>=18.x` style partials and other forms npm accepts).
import semver from 'semver'

/** Whether `version` is in `range`; undefined when `range` is not a semver range (e.g. "latest"). */
export function satisfies(version: string, range: string): boolean | undefined {
  if (semver.validRange(range) === null) return undefined
  return semver.satisfies(version, range)
}
