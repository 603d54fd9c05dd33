// Summaries of V8 CPU profiles (node --cpu-prof) for RESULTS.md evidence when a target is missed.
import fs from 'node:fs'
import path from 'node:path'

import {ROOT, round} from './util.js'

function group(url) {
  if (!url) return '(native/V8)'
  if (url.startsWith('node:')) return 'node: built-ins'
  let u = url.replace(/^file:\/\//, '')
  const nm = u.lastIndexOf('/node_modules/')
  if (nm !== -1) {
    const rest = u.slice(nm + 14).split('/')
    return `node_modules/${rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`
  }

  if (u.startsWith(ROOT)) u = path.relative(ROOT, u)
  return u
}

/** Reads the newest .cpuprofile in dir; returns {totalMs, byGroup:[{name, ms, pct}], byFunction:[…]} */
export function summarizeProfile(file, top = 12) {
  const prof = JSON.parse(fs.readFileSync(file, 'utf8'))
  const byId = new Map(prof.nodes.map(n => [n.id, n]))
  const parent = new Map()
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  // The nearest frame in application/library code (not node: internals): who caused the time (e.g. a require()).
  const owner = id => {
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const {url} = byId.get(cur).callFrame
      if (url && !url.startsWith('node:')) return group(url)
    }

    return null
  }

  const callers = new Map()
  const self = new Map()
  for (let i = 0; i < prof.samples.length; i++) self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + ((prof.timeDeltas[i] ?? 0) / 1000))
  // Percentages are of the busy time: idle samples (waiting for I/O) are reported separately.
  let idle = 0
  for (const [id, ms] of self) if (byId.get(id).callFrame.functionName === '(idle)') idle += ms
  const wall = (prof.endTime - prof.startTime) / 1000
  const total = Math.max(1, wall - idle)
  const groups = new Map()
  const fns = new Map()
  for (const [id, ms] of self) {
    const {callFrame: cf} = byId.get(id)
    if (cf.functionName === '(idle)') continue
    const g = cf.functionName === '(garbage collector)' || cf.functionName === '(program)' || cf.functionName === '(idle)' ? cf.functionName : group(cf.url)
    groups.set(g, (groups.get(g) ?? 0) + ms)
    const fname = `${cf.functionName || '(anonymous)'} ${cf.url ? `${group(cf.url)}${cf.url.startsWith('node:') ? `:${cf.url.slice(5)}` : ''}:${cf.lineNumber + 1}` : ''}`.trim()
    fns.set(fname, (fns.get(fname) ?? 0) + ms)
    const o = owner(id) ?? g
    callers.set(o, (callers.get(o) ?? 0) + ms)
  }

  const list = m =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, ms]) => ({ms: round(ms, 1), name, pct: round((100 * ms) / total, 1)}))
  return {busyMs: round(total, 1), byCaller: list(callers), byFunction: list(fns), byGroup: list(groups), idleMs: round(idle, 1), totalMs: round(wall, 1)}
}

export function newestProfile(dir) {
  const files = fs
    .readdirSync(dir)
    .filter(f => f.endsWith('.cpuprofile'))
    .map(f => path.join(dir, f))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)
  return files[0]
}

export function profileMarkdown(title, summary) {
  const lines = [`<details><summary>${title}: CPU profile (node --cpu-prof), ${summary.totalMs} ms profiled, ${summary.busyMs} ms busy (percentages are of the busy time)</summary>`, '']
  lines.push('| self time by module | ms | % |', '|---|---:|---:|')
  for (const g of summary.byGroup) lines.push(`| ${g.name} | ${g.ms} | ${g.pct} |`)
  lines.push('', '| time by nearest application/library frame (includes the node: loader work it triggered) | ms | % |', '|---|---:|---:|')
  for (const g of summary.byCaller) lines.push(`| ${g.name} | ${g.ms} | ${g.pct} |`)
  lines.push('', '| self time by function | ms | % |', '|---|---:|---:|')
  for (const f of summary.byFunction) lines.push(`| \`${f.name.replaceAll('|', '\\|')}\` | ${f.ms} | ${f.pct} |`)
  lines.push('', '</details>')
  return lines.join('\n')
}
