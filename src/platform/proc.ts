// What /proc says about a process: is it really running (not a zombie, not a reused pid), and does it own a listening
// socket. `kill(pid, 0)` alone answers "alive" for a zombie (a daemon killed under a parent that does not reap it) and
// for whatever process got the pid next. Where /proc is missing (not Linux) the answers fall back to kill(pid, 0).
import {readdirSync, readFileSync, readlinkSync} from 'node:fs'

/** Fields of /proc/<pid>/stat after the command name: state (field 3) and starttime (field 22); undefined when gone. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  } catch {
    return undefined
  }
}

/** `starttime` of a running process (field 22 of /proc/<pid>/stat, clock ticks since boot); undefined when gone or a zombie. */
export function processStartTime(pid: number): string | undefined {
  const fields = statFields(pid)
  if (!fields || fields[0] === 'Z') return undefined
  return fields[19]
}

const procAvailable = (() => {
  try {
    readFileSync('/proc/self/stat')
    return true
  } catch {
    return false
  }
})()

/**
 * Whether `pid` is a running process: it exists (EPERM counts: it belongs to someone else), is not a zombie, and, when
 * `start` is given, still has that start time (a different one means the pid was reused).
 */
export function isRunning(pid: number, start?: string): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false
  }

  if (!procAvailable) return true
  const now = processStartTime(pid)
  return now !== undefined && (!start || now === start)
}

/** Inodes of the sockets listening on `port` (any local address), from /proc/net/tcp and tcp6. */
export function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>()
  const hex = port.toString(16).toUpperCase().padStart(4, '0')
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = ''
    try {
      text = readFileSync(file, 'utf8')
    } catch {
      continue
    }

    // "sl local_address rem_address st ... uid timeout inode": local address `IP:PORT` (hex), state 0A = LISTEN.
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/)
      if (cols.length > 9 && cols[3] === '0A' && cols[1].endsWith(`:${hex}`)) inodes.add(cols[9])
    }
  }

  return inodes
}

/** Inodes of the sockets process `pid` has open (its /proc/<pid>/fd; empty when that is unreadable). */
export function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>()
  let fds: string[] = []
  try {
    fds = readdirSync(`/proc/${pid}/fd`)
  } catch {}

  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))
      if (m) inodes.add(m[1])
    } catch {}
  }

  return inodes
}

/**
 * Whether the process `pid` (started at `start`) is the one listening on TCP `port`: every listener of the port is a
 * socket it holds (one shared with another process, or a second listener on another address, could take the
 * connection). Without /proc nothing can be proven: false.
 */
export function ownsListener(pid: number, start: string | undefined, port: number): boolean {
  if (!procAvailable || !isRunning(pid, start)) return false
  const listeners = listeningInodes(port)
  if (listeners.size === 0) return false
  const held = socketInodes(pid)
  return [...listeners].every(inode => held.has(inode))
}
