// Runs the planned processes, each `/bin/sh -c` in its own process group, with prefixed output and foreman-like lifecycle.
import {ChildProcess, spawn} from 'node:child_process'
import {once} from 'node:events'
import {setTimeout as delay} from 'node:timers/promises'

import {ProcessSpec} from './formation.js'
import {OutputSink, PrefixedOutput} from './output.js'
import {aliveGroups, signalGroup} from './process-group.js'

export interface RunnerOptions {
  specs: ProcessSpec[]
  /** Environment of one process (see processEnv). */
  env: (spec: ProcessSpec) => Record<string, string>
  cwd: string
  out: OutputSink
  color: boolean
  /** Grace period between SIGTERM and SIGKILL on shutdown. */
  timeoutMs: number
  /** Keep the others running and restart a process that exits (with backoff) instead of stopping everything. */
  restart: boolean
  now?: () => Date
  /** Delay before the n-th consecutive restart (n ≥ 1); default restartDelay. */
  backoff?: (n: number) => number
}

/** Backoff before the n-th consecutive restart: 1 s, 2 s, 4 s … capped at 30 s. */
export function restartDelay(n: number): number {
  return Math.min(1000 * (2 ** Math.max(0, n - 1)), 30_000)
}

/** A run that lasted this long is healthy: the next crash restarts with the shortest delay again. */
const HEALTHY_RUN_MS = 10_000
const POLL_MS = 100
/** After SIGKILL, how long to wait for groups to vanish before giving up (uninterruptible sleep, zombies). */
const KILL_WAIT_MS = 3000

interface Managed {
  spec: ProcessSpec
  child?: ChildProcess
  running: boolean
  crashes: number
  startedAt: number
  timer?: NodeJS.Timeout
}

export function describeExit(code: null | number, signal: NodeJS.Signals | null): string {
  if (signal) return `Exited with signal ${signal}`
  return code === 0 ? 'Exited successfully' : `Exited with exit code ${code}`
}

export function exitStatus(code: null | number, signal: NodeJS.Signals | null): number {
  if (code !== null) return code
  const signals: Partial<Record<NodeJS.Signals, number>> = {SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGQUIT: 3, SIGTERM: 15}
  return 128 + (signal ? (signals[signal] ?? 0) : 0)
}

export class LocalRunner {
  private readonly procs: Managed[]
  /** Every process group ever started (restarts add new ones); all of them are cleaned up on shutdown. */
  private readonly groups = new Set<number>()
  private readonly output: PrefixedOutput
  private readonly reports = new Set<Promise<void>>()
  private readonly children: ChildProcess[] = []
  private stopping = false
  private exitCode: number | undefined
  private resolveDone!: (code: number) => void
  private readonly done = new Promise<number>(resolve => {
    this.resolveDone = resolve
  })

  constructor(private readonly options: RunnerOptions) {
    this.procs = options.specs.map(spec => ({crashes: 0, running: false, spec, startedAt: 0}))
    this.output = new PrefixedOutput(options.out, options.specs.map(s => s.name), options.color, options.now)
  }

  get isStopping(): boolean {
    return this.stopping
  }

  /** Starts every process; resolves with ferry's exit code once all of them (and their groups) are gone. */
  start(): Promise<number> {
    for (const proc of this.procs) this.launch(proc)
    return this.done
  }

  system(text: string): void {
    this.output.line('system', text)
  }

  /** Graceful shutdown: SIGTERM to every group, SIGKILL after the timeout. */
  stop(): void {
    if (this.stopping) return
    this.stopping = true
    for (const proc of this.procs) clearTimeout(proc.timer)
    void this.shutdown()
  }

  /** Immediate SIGKILL to every group (second Ctrl-C, or ferry itself exiting). Synchronous. */
  kill(): void {
    this.stopping = true
    for (const proc of this.procs) clearTimeout(proc.timer)
    for (const pgid of this.groups) signalGroup(pgid, 'SIGKILL')
  }

  private launch(proc: Managed): void {
    const {spec} = proc
    const child = spawn('/bin/sh', ['-c', spec.command], {
      cwd: this.options.cwd,
      detached: true, // setsid: own process group, and Ctrl-C at the terminal reaches only ferry, which then stops the groups
      env: this.options.env(spec),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    proc.child = child
    this.children.push(child)
    proc.running = true
    proc.startedAt = Date.now()
    if (child.pid !== undefined) this.groups.add(child.pid)
    this.output.line(spec.name, `Starting process with command \`${spec.command}\` (pid ${child.pid ?? '?'}, PORT=${spec.port})`)

    const closed = Promise.all([child.stdout, child.stderr].map(stream => {
      const lines = this.output.splitter(spec.name)
      stream!.on('data', (chunk: Buffer) => lines.push(chunk))
      return once(stream!, 'close').then(() => lines.end(), () => lines.end())
    }))

    let exited = false
    const onExit = (code: null | number, signal: NodeJS.Signals | null) => {
      if (exited) return
      exited = true
      proc.running = false
      // Let output already in the pipes come out before the exit report (but don't wait on grandchildren holding them).
      const report = Promise.race([closed, delay(300)]).then(() => this.exited(proc, code, signal))
      this.reports.add(report)
      void report.finally(() => this.reports.delete(report))
    }

    child.on('exit', onExit)
    child.on('error', error => {
      this.output.line(spec.name, `Failed to start: ${error.message}`)
      onExit(127, null)
    })
  }

  private exited(proc: Managed, code: null | number, signal: NodeJS.Signals | null): void {
    const {spec} = proc
    const message = describeExit(code, signal)
    if (this.stopping) {
      this.output.line(spec.name, message)
      return
    }

    if (!this.options.restart) {
      this.output.line(spec.name, message)
      this.exitCode = exitStatus(code, signal)
      this.system(`${spec.name} exited; stopping all processes`)
      this.stop()
      return
    }

    // --restart: clean up what the dead process left in its group, then start it again after a backoff.
    if (proc.child?.pid !== undefined) signalGroup(proc.child.pid, 'SIGTERM')
    if (Date.now() - proc.startedAt >= HEALTHY_RUN_MS) proc.crashes = 0
    proc.crashes++
    const wait = (this.options.backoff ?? restartDelay)(proc.crashes)
    this.output.line(spec.name, `${message}; restarting in ${formatDelay(wait)} (restart ${proc.crashes})`)
    proc.timer = setTimeout(() => {
      if (!this.stopping) this.launch(proc)
    }, wait)
  }

  private async shutdown(): Promise<void> {
    const {timeoutMs} = this.options
    let alive = aliveGroups(this.groups)
    if (alive.length > 0) {
      this.system('Stopping all processes with SIGTERM')
      for (const pgid of alive) signalGroup(pgid, 'SIGTERM')
    }

    const deadline = Date.now() + timeoutMs
    while (this.anyRunning() || alive.length > 0) {
      if (Date.now() >= deadline) break
      await delay(POLL_MS)
      alive = aliveGroups(this.groups)
    }

    if (this.anyRunning() || alive.length > 0) {
      this.system(`Some processes did not exit within ${formatDelay(timeoutMs)} of SIGTERM; sending SIGKILL`)
      for (const pgid of this.groups) signalGroup(pgid, 'SIGKILL')
      const killDeadline = Date.now() + KILL_WAIT_MS
      while ((this.anyRunning() || aliveGroups(this.groups).length > 0) && Date.now() < killDeadline) await delay(POLL_MS)
    }

    await Promise.all(this.reports)
    // A process that escaped its group (setsid) may still hold our pipes open; don't let that keep ferry alive.
    for (const child of this.children) {
      child.stdout?.destroy()
      child.stderr?.destroy()
    }

    this.resolveDone(this.exitCode ?? 0)
  }

  private anyRunning(): boolean {
    return this.procs.some(p => p.running)
  }
}

function formatDelay(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(1)}s`
}

export interface SignalTarget {
  on(event: 'exit' | NodeJS.Signals, listener: (...args: any[]) => void): unknown
  off(event: 'exit' | NodeJS.Signals, listener: (...args: any[]) => void): unknown
}

/**
 * Runs the processes until they stop: SIGINT/SIGTERM → graceful stop (a second signal → SIGKILL now);
 * if ferry exits for any other reason, every group gets SIGKILL so nothing is orphaned.
 */
export async function runProcesses(options: RunnerOptions, signals: SignalTarget = process): Promise<number> {
  const runner = new LocalRunner(options)
  const onSignal = (signal: NodeJS.Signals) => {
    if (runner.isStopping) {
      runner.system(`Received ${signal} again; sending SIGKILL to all processes`)
      runner.kill()
      return
    }

    runner.system(`Received ${signal}`)
    runner.stop()
  }

  const onExit = () => runner.kill()
  signals.on('SIGINT', onSignal)
  signals.on('SIGTERM', onSignal)
  signals.on('SIGHUP', onSignal)
  signals.on('exit', onExit)
  try {
    return await runner.start()
  } finally {
    signals.off('SIGINT', onSignal)
    signals.off('SIGTERM', onSignal)
    signals.off('SIGHUP', onSignal)
    signals.off('exit', onExit)
  }
}
