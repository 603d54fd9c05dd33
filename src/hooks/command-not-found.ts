// oclif's command_not_found hook: a mistyped command is an input error (exit 1) that names the closest
// commands, like the Heroku CLI's "Did you mean …?". Loaded only when no command matched: start-up is unchanged.
import type {Hook} from '@oclif/core'

/** Edit distance (insertions, deletions, substitutions, and swaps of two neighbours count 1). */
export function distance(a: string, b: string): number {
  const d: number[][] = Array.from({length: a.length + 1}, (_, i) => [i, ...Array.from({length: b.length}, () => 0)])
  for (let j = 1; j <= b.length; j++) d[0][j] = j
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1)
    }
  }

  return d[a.length][b.length]
}

/** The known names closest to `typed` (at most three), or none when nothing is close. */
export function suggestions(typed: string, names: string[]): string[] {
  const wanted = typed.toLowerCase()
  const limit = Math.max(2, Math.floor(wanted.length / 3))
  return [...new Set(names)]
    .map(name => ({name, score: distance(wanted, name.toLowerCase())}))
    .filter(({score}) => score <= limit)
    .sort((a, b) => a.score - b.score || a.name.localeCompare(b.name))
    .slice(0, 3)
    .map(({name}) => name)
}

const hook: Hook<'command_not_found'> = async function ({config, id}) {
  // Hidden aliases are commands people type (config:add, scale): they may be suggested too.
  const names = config.commands.filter(c => !c.hidden).flatMap(c => [c.id, ...c.aliases, ...(c.hiddenAliases ?? [])])
  const shown = id.replaceAll(' ', ':')
  const close = suggestions(shown, names)
  const hint = close.length > 0 ? `Did you mean ${close.map(n => `"${n}"`).join(' or ')}? ` : ''
  // Written here, on one line (oclif's own error printer wraps at 80 columns), then exit 1: an input error.
  process.stderr.write(` ›   Error: "${shown}" is not a ferry command. ${hint}Run \`ferry help\` for a list of commands.\n`)
  this.exit(1)
}

export default hook
