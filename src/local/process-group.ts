// Process-group helpers: every command runs as the leader of its own group, so a signal to -pgid reaches grandchildren too.
import {readdirSync, readFileSync} from 'node:fs'

/** Sends `signal` to every process in group `pgid`; false when the group no longer exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false
    throw error
  }
}

/** Pids of live (non-zombie) processes in group `pgid`, from /proc; falls back to a signal-0 probe elsewhere. */
export function groupMembers(pgid: number): number[] {
  let entries: string[]
  try {
    entries = readdirSync('/proc')
  } catch {
    return signalGroup(pgid, 0) ? [pgid] : []
  }

  const members: number[] = []
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue
    let stat: string
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
    } catch {
      continue
    }

    // Fields after the parenthesised command name: state ppid pgrp …
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    if (fields[0] !== 'Z' && Number(fields[2]) === pgid) members.push(Number(entry))
  }

  return members
}

export function groupAlive(pgid: number): boolean {
  return aliveGroups([pgid]).length > 0
}

/** The subset of `pgids` that still has live members (one /proc scan for all of them). */
export function aliveGroups(pgids: Iterable<number>): number[] {
  const wanted = new Set(pgids)
  if (wanted.size === 0) return []
  let entries: string[]
  try {
    entries = readdirSync('/proc')
  } catch {
    return [...wanted].filter(pgid => signalGroup(pgid, 0))
  }

  const alive = new Set<number>()
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      const pgrp = Number(fields[2])
      if (fields[0] !== 'Z' && wanted.has(pgrp)) alive.add(pgrp)
    } catch {}
  }

  return [...alive]
}
