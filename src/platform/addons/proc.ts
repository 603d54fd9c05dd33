// A supervised server process (postgres, redis-server): started in a sandbox, restarted when it dies unasked,
// stopped with its own graceful signal. The platform daemon runs as root and postgres refuses to run as root,
// so as root the server runs in a bubblewrap user namespace as uid 1000: it owns only its data directory (bound
// read-write), sees the rest of the host read-only and the platform's data dir (token, other add-ons) not at all.
// Without a usable bwrap, a root daemon runs it as the `postgres` system user (Debian creates it) instead.
import {type ChildProcess, spawn, type SpawnOptions, spawnSync} from 'node:child_process'
import {chownSync, closeSync, openSync, readdirSync, readFileSync, statSync} from 'node:fs'
import {join} from 'node:path'

export interface ProcSpec {
  args: string[]
  command: string
  /** Directory the server writes (its data); everything else is read-only in the sandbox. */
  dataDir: string
  /** Hidden inside the sandbox (the platform's data dir). */
  hide: string[]
  /** Where stdout/stderr go (appended). */
  logFile: string
  name: string
  /** Graceful stop signal (postgres: SIGINT = fast shutdown; redis: SIGTERM). */
  stopSignal: NodeJS.Signals
}

let userNamespaces: boolean | undefined

/** Whether `bwrap --unshare-user` works here (cached). */
function canUseUserNamespace(): boolean {
  userNamespaces ??= spawnSync('bwrap', ['--unshare-user', '--uid', '1000', '--ro-bind', '/', '/', 'true'], {stdio: 'ignore', timeout: 10_000}).status === 0
  return userNamespaces
}

function systemUser(name: string): undefined | {gid: number; uid: number} {
  try {
    const line = readFileSync('/etc/passwd', 'utf8').split('\n').find(l => l.startsWith(`${name}:`))
    if (!line) return undefined
    const fields = line.split(':')
    return {gid: Number(fields[3]), uid: Number(fields[2])}
  } catch {
    return undefined
  }
}

function chownTree(path: string, uid: number, gid: number): void {
  chownSync(path, uid, gid)
  if (!statSync(path).isDirectory()) return
  for (const entry of readdirSync(path)) chownTree(join(path, entry), uid, gid)
}

/** How to run `command args` unprivileged with only `dataDir` writable: [file, args, spawn options]. */
export function sandboxed(spec: Pick<ProcSpec, 'args' | 'command' | 'dataDir' | 'hide'>): {args: string[]; file: string; gid?: number; uid?: number} {
  if (process.getuid?.() !== 0) return {args: spec.args, file: spec.command}
  if (canUseUserNamespace()) {
    const args = ['--unshare-user', '--uid', '1000', '--gid', '1000', '--unshare-ipc', '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp']
    for (const dir of spec.hide) args.push('--tmpfs', dir)
    args.push('--bind', spec.dataDir, spec.dataDir, '--die-with-parent', '--', spec.command, ...spec.args)
    return {args, file: 'bwrap'}
  }

  const user = systemUser('postgres') ?? systemUser('nobody')
  if (!user) throw new Error('the add-on servers cannot run as root and there is neither a usable bwrap nor a "postgres" or "nobody" user')
  chownTree(spec.dataDir, user.uid, user.gid)
  return {args: spec.args, file: spec.command, gid: user.gid, uid: user.uid}
}

/** Runs a program with stdin closed and collects stdout+stderr; never rejects (a spawn error is exit null). */
export function collect(file: string, args: string[], options: SpawnOptions = {}): Promise<{code: null | number; output: string}> {
  return new Promise(resolve => {
    const child = spawn(file, args, {...options, stdio: ['ignore', 'pipe', 'pipe']})
    let output = ''
    const add = (d: Buffer) => {
      output += d
    }

    child.stdout!.on('data', add)
    child.stderr!.on('data', add)
    child.on('error', error => resolve({code: null, output: error.message}))
    child.on('close', code => resolve({code, output}))
  })
}

/** Runs a helper (initdb) the same way as the server, waiting for it; rejects with its output on failure. */
export async function runSandboxed(spec: Pick<ProcSpec, 'args' | 'command' | 'dataDir' | 'hide'>): Promise<void> {
  const how = sandboxed(spec)
  const {code, output} = await collect(how.file, how.args, {gid: how.gid, uid: how.uid})
  if (code !== 0) throw new Error(`${spec.command} failed (exit ${code}): ${output.trim().split('\n').slice(-3).join(' ')}`)
}

/** The server's pid: bwrap's only child when sandboxed, else the spawned process itself. */
function serverPid(child: ChildProcess, viaBwrap: boolean): number | undefined {
  if (child.pid === undefined || !viaBwrap) return child.pid
  try {
    const pid = Number.parseInt(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/)[0], 10)
    return Number.isInteger(pid) ? pid : undefined
  } catch {
    return undefined
  }
}

export class SupervisedProcess {
  /** Called after every (re)start once the process runs; the owner waits for readiness itself. */
  onRestart?: () => void
  private child?: ChildProcess
  private restartTimer?: NodeJS.Timeout
  private restarts = 0
  private startedAt = 0
  private stopping = false
  private viaBwrap = false

  constructor(private readonly spec: ProcSpec) {}

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null
  }

  /** The pid of the server process itself (for tests that kill it, and for pg:info). */
  get pid(): number | undefined {
    return this.child ? serverPid(this.child, this.viaBwrap) : undefined
  }

  start(): void {
    this.stopping = false
    const how = sandboxed(this.spec)
    this.viaBwrap = how.file === 'bwrap'
    const log = openSync(this.spec.logFile, 'a', 0o600)
    // Own process group: a Ctrl-C on a foreground platform must not reach the server before the platform stops it.
    const child = spawn(how.file, how.args, {detached: true, gid: how.gid, stdio: ['ignore', log, log], uid: how.uid})
    closeSync(log)
    this.child = child
    this.startedAt = Date.now()
    child.on('error', error => console.error(`[ferry] ${this.spec.name} could not start:`, error.message))
    child.on('exit', (code, signal) => {
      if (this.child !== child || this.stopping) return
      // Crashed or killed: restart with a backoff that resets once it stayed up for a minute.
      if (Date.now() - this.startedAt > 60_000) this.restarts = 0
      const delay = Math.min(30_000, 250 * (2 ** this.restarts++))
      console.error(`[ferry] ${this.spec.name} exited (${signal ?? `code ${code}`}); restarting in ${delay} ms`)
      this.restartTimer = setTimeout(() => {
        this.restartTimer = undefined
        if (this.stopping) return
        this.start()
        this.onRestart?.()
      }, delay)
    })
  }

  /** Graceful stop (the server's own signal), SIGKILL after `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    this.stopping = true
    if (this.restartTimer) clearTimeout(this.restartTimer)
    const child = this.child
    if (!child || !this.running) return
    const exited = new Promise<void>(resolve => child.once('exit', () => resolve()))
    const target = serverPid(child, this.viaBwrap) ?? child.pid
    try {
      if (target !== undefined) process.kill(target, this.spec.stopSignal)
    } catch {}

    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL')
      } catch {}
    }, graceMs)
    await exited
    clearTimeout(timer)
  }
}
