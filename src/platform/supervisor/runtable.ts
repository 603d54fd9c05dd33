// The table of running dyno processes (`<dataDir>/run/dynos.json`, written atomically): after a crash of the daemon
// (kill -9) the next daemon finds the leftover dynos by their recorded pids/process groups and stops them.
import {mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {processStartTime} from './dyno.js'
import {monotonicMs} from '../time.js'

/** Minimum time between two writes of the table (a daemon crash within it can leave up to that much unrecorded). */
const FLUSH_INTERVAL_MS = 100

export interface RunEntry {
  app: string
  dyno: string
  /** Sandbox's pid 1 = inner process group (bwrap), when known. */
  innerPid?: number
  innerStart?: string
  /** Our direct child = leader of the outer process group. */
  pid: number
  start?: string
}

export class RunTable {
  private closed = false
  /** monotonicMs() of the last write. */
  private lastFlush = -Infinity
  private readonly entries = new Map<string, RunEntry>()
  private readonly path: string
  private scheduled = false

  constructor(runDir: string) {
    this.path = join(runDir, 'dynos.json')
    mkdirSync(runDir, {recursive: true})
  }

  /** Final write (daemon shutdown); later changes are not written (the data dir may be gone by then). */
  close(): void {
    this.flush()
    this.closed = true
  }

  add(key: string, entry: RunEntry): void {
    this.entries.set(key, {...entry, start: processStartTime(entry.pid)})
    this.schedule()
  }

  setInner(key: string, innerPid: number): void {
    const entry = this.entries.get(key)
    if (!entry) return
    entry.innerPid = innerPid
    entry.innerStart = processStartTime(innerPid)
    this.schedule()
  }

  remove(key: string): void {
    if (this.entries.delete(key)) this.schedule()
  }

  /** Entries left by a previous daemon (whose processes may or may not still exist). */
  readLeftovers(): RunEntry[] {
    try {
      const parsed = JSON.parse(readFileSync(this.path, 'utf8')) as {dynos?: RunEntry[]}
      return Array.isArray(parsed.dynos) ? parsed.dynos : []
    } catch {
      return []
    }
  }

  flush(): void {
    this.scheduled = false
    if (this.closed) return
    this.lastFlush = monotonicMs()
    const tmp = `${this.path}.${process.pid}.tmp`
    try {
      writeFileSync(tmp, JSON.stringify({daemonPid: process.pid, dynos: [...this.entries.values()]}, null, 1))
      renameSync(tmp, this.path)
    } catch (error) {
      // The run dir vanished (data dir removed under us): nothing to record into.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }
  }

  private schedule(): void {
    if (this.scheduled) return
    this.scheduled = true
    // Coalesce the writes of a 50-dyno scale-up: at most one write per FLUSH_INTERVAL_MS. The pids of 50 starting
    // dynos arrive spread over a second (each sandbox reports its inner pid when it is up), and every write creates
    // a file on a disk where that costs ~1-2 ms of the CPU those dynos are waiting for.
    const wait = this.lastFlush + FLUSH_INTERVAL_MS - monotonicMs()
    if (wait > 0) setTimeout(() => this.flush(), wait)
    else setImmediate(() => this.flush())
  }
}

function alive(pid: number | undefined, start: string | undefined): boolean {
  return Boolean(pid && start && processStartTime(pid) === start)
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal)
  } catch {}
}

/**
 * Stops the dyno processes a crashed daemon left behind: SIGTERM to their groups, SIGKILL after `graceMs`.
 * Only processes whose pid AND start time match the record are touched (pids are reused). Returns the entries found alive.
 */
export async function stopLeftovers(entries: RunEntry[], graceMs: number): Promise<RunEntry[]> {
  const live = entries.filter(e => alive(e.pid, e.start) || alive(e.innerPid, e.innerStart))
  if (live.length === 0) return []
  for (const e of live) {
    if (alive(e.innerPid, e.innerStart)) kill(-e.innerPid!, 'SIGTERM')
    else if (!e.innerPid && alive(e.pid, e.start)) kill(-e.pid, 'SIGTERM')
  }

  const deadline = Date.now() + graceMs
  const running = () => live.filter(e => alive(e.pid, e.start) || alive(e.innerPid, e.innerStart))
  while (running().length > 0 && Date.now() < deadline) await new Promise(r => setTimeout(r, 20))
  for (const e of running()) {
    if (alive(e.innerPid, e.innerStart)) {
      kill(e.innerPid!, 'SIGKILL')
      kill(-e.innerPid!, 'SIGKILL')
    }

    if (alive(e.pid, e.start)) kill(-e.pid, 'SIGKILL')
  }

  return live
}

/** `pgrp` of a process (field 5 of /proc/<pid>/stat), or undefined. */
function processGroup(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2])
  } catch {
    return undefined
  }
}

const readList = (file: string) => readFileSync(file, 'utf8').split('\0')

/** Whether process `pid` is one of the dyno processes the supervisor of `dataDir` starts (see findStrays). */
export function isDynoProcess(pid: number, dataDir: string): boolean {
  const under = `${dataDir}/`
  try {
    // Sandboxes: every launcher (unshare, sh, perl), the outer bwrap and the sandbox's pid 1 carry bwrap's argv, which
    // has --info-fd and the release dir or the overlay scratch mount (both under the data dir).
    const argv = readList(`/proc/${pid}/cmdline`)
    if (argv.includes('--info-fd') && argv.some(a => a.startsWith(under))) return true
    // Without a sandbox: the dyno's bash, the app it execs and the app's children keep the dyno's env (HOME = the
    // release dir), whatever their command lines say.
    const env = readList(`/proc/${pid}/environ`)
    return env.some(e => e.startsWith(`HOME=${under}releases/`)) && env.some(e => e.startsWith('DYNO='))
  } catch {
    return false
  }
}

/**
 * Dyno processes of this data dir that the run table may not know: the table is written at most every
 * FLUSH_INTERVAL_MS, and a launcher still mounting when the daemon died outlives it (the bwrap it then execs watches
 * init with --die-with-parent) — sandboxes left running, parented to init. Found in /proc (command line, env);
 * only processes started before `before` (this daemon's start time) count, so nothing of this daemon is ever touched.
 */
export function findStrays(dataDir: string, before: string | undefined): number[] {
  if (before === undefined) return []
  const strays: number[] = []
  let names: string[] = []
  try {
    names = readdirSync('/proc')
  } catch {}

  for (const name of names) {
    const pid = Number(name)
    if (!Number.isInteger(pid) || pid === process.pid) continue
    if (!isDynoProcess(pid, dataDir)) continue
    const start = processStartTime(pid)
    if (start !== undefined && Number(start) < Number(before)) strays.push(pid)
  }

  return strays
}

/** SIGKILL each process, and its process group when it leads one (a launcher's mount, a sandbox's namespace). */
export function killStrays(pids: number[]): void {
  for (const pid of pids) {
    if (processGroup(pid) === pid) kill(-pid, 'SIGKILL')
    kill(pid, 'SIGKILL')
  }
}

/**
 * What a previous run of this platform left running (a daemon killed with -9): the dynos its table recorded are
 * stopped (SIGTERM, SIGKILL after `graceMs`; each one logged to its app), then the ones it had not recorded yet
 * (found in /proc) are killed.
 */
export async function stopPreviousRun(table: RunTable, dataDir: string, graceMs: number, log: (app: string, dyno: string, message: string) => void): Promise<void> {
  const leftovers = table.readLeftovers()
  if (leftovers.length > 0) {
    const found = await stopLeftovers(leftovers, graceMs)
    for (const e of found) log(e.app, e.dyno, 'Stopped a leftover process of a previous platform run (pid ' + e.pid + ')')
    table.flush()
  }

  // Dynos the table does not know (spawned just before a crash, or launchers that outlived it): found in /proc.
  const strays = findStrays(dataDir, processStartTime(process.pid))
  if (strays.length === 0) return
  console.error(`[ferry] killing ${strays.length} leftover dyno process(es) of a previous platform run: ${strays.join(' ')}`)
  killStrays(strays)
}
