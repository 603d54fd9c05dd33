// Just enough of npm's semver ranges to warn about an engines.node mismatch: x-ranges, ^, ~, comparators, ||.

type Version = [number, number, number]

function parseVersion(text: string): undefined | Version {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(text.trim())
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined
}

function compare(a: Version, b: Version): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] - b[i]
  return 0
}

/** A partial version (`1`, `1.2`, `1.x`): its parts and how many are given. */
function partial(text: string): undefined | {given: number; v: Version} {
  const m = /^v?(\d+|[*xX])(?:\.(\d+|[*xX]))?(?:\.(\d+|[*xX]))?(?:[-+][\w.-]*)?$/.exec(text)
  if (!m) return undefined
  const parts = [m[1], m[2], m[3]]
  let given = 0
  for (const part of parts) {
    if (part === undefined || /^[*xX]$/.test(part)) break
    given++
  }

  return {given, v: [Number(parts[0]) || 0, given > 1 ? Number(parts[1]) : 0, given > 2 ? Number(parts[2]) : 0]}
}

function bump(v: Version, index: number): Version {
  const next: Version = [...v]
  next[index]++
  for (let i = index + 1; i < 3; i++) next[i] = 0
  return next
}

function comparator(version: Version, token: string): boolean | undefined {
  const m = /^(\^|~|>=|<=|>|<|=)?\s*(.+)$/.exec(token)
  if (!m) return undefined
  const op = m[1] ?? ''
  const p = partial(m[2])
  if (!p) return undefined
  const {given, v} = p
  const lower = v
  const upper = given === 0 ? undefined : bump(v, given - 1)
  switch (op) {
    case '': case '=': {
      return compare(version, lower) >= 0 && (upper === undefined || compare(version, upper) < 0)
    }

    case '<': {
      return compare(version, lower) < 0
    }

    case '<=': {
      return upper === undefined || compare(version, upper) < 0
    }

    case '>': {
      return upper !== undefined && compare(version, upper) >= 0
    }

    case '>=': {
      return compare(version, lower) >= 0
    }

    case '^': {
      const index = v[0] > 0 || given <= 1 ? 0 : v[1] > 0 || given <= 2 ? 1 : 2
      return compare(version, lower) >= 0 && (given === 0 || compare(version, bump(v, index)) < 0)
    }

    case '~': {
      return compare(version, lower) >= 0 && (given === 0 || compare(version, bump(v, given >= 2 ? 1 : 0)) < 0)
    }
  }

  return undefined
}

/** true/false when the range is understood, undefined when it is not (then nothing is said). */
export function satisfies(versionText: string, range: string): boolean | undefined {
  const version = parseVersion(versionText)
  if (!version) return undefined
  let understood = true
  const result = range.split('||').some(alternative => {
    const text = alternative.trim().replaceAll(/(\^|~|>=|<=|>|<|=)\s+/g, '$1')
    if (text === '' || text === '*') return true
    const hyphen = /^(\S+)\s+-\s+(\S+)$/.exec(text)
    const tokens = hyphen ? [`>=${hyphen[1]}`, `<=${hyphen[2]}`] : text.split(/\s+/)
    return tokens.every(token => {
      const ok = comparator(version, token)
      if (ok === undefined) understood = false
      return ok ?? true
    })
  })
  return understood ? result : undefined
}
