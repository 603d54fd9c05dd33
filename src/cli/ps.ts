// `ps` output like heroku's: one-offs first, then dynos grouped by command (shared/platform-api.md §3.10).
import type {Dyno} from '../api/types.js'

import {formatDate, styledHeader} from './output.js'

export function renderDynos(dynos: Dyno[], now: Date = new Date()): string {
  const sorted = [...dynos].sort((a, b) => a.name.localeCompare(b.name, 'en', {numeric: true}))
  const size = (d: Dyno) => d.size ?? '1X'
  const blocks: string[] = []
  const oneOffs = sorted.filter(d => d.type === 'run')
  if (oneOffs.length > 0) {
    const lines = oneOffs.map(d => `${d.name} (${size(d)}): ${d.state} ${formatDate(d.updated_at, now)}: ${d.command}`)
    blocks.push(styledHeader(`run: one-off processes (${oneOffs.length})`) + '\n' + lines.join('\n') + '\n')
  }

  const groups = new Map<string, Dyno[]>()
  for (const d of sorted.filter(x => x.type !== 'run')) groups.set(d.command, [...(groups.get(d.command) ?? []), d])
  for (const [command, group] of groups) {
    blocks.push(styledHeader(`${group[0].type} (${size(group[0])}): ${command} (${group.length})`) + '\n' + group.map(d => `${d.name}: ${d.state} ${formatDate(d.updated_at, now)}`).join('\n') + '\n')
  }

  return blocks.join('\n')
}
