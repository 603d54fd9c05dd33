// Helpers for the `ferry local` integration tests: run the built CLI, wait for output, check pids.
import {ChildProcess, spawn} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import {mkdtemp, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {portFree} from '../../src/local/index.js'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
export const BIN = path.join(ROOT, 'bin/run.js')

export function assertBuilt(): void {
  if (!existsSync(path.join(ROOT, 'dist/commands/local.js'))) throw new Error('dist/ is missing ferry local: run `npm run build` first.')
}

export interface Ferry {
  child: ChildProcess
  stdout(): string
  stderr(): string
  /** Resolves once stdout matches (or rejects when ferry exits first / after the timeout). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>
  exited: Promise<{code: null | number; signal: NodeJS.Signals | null}>
}

const started: ChildProcess[] = []

/** `detached` puts ferry in its own process group, so a test can signal the group the way a terminal's Ctrl-C does. */
export function startFerry(args: string[], options: {cwd: string; detached?: boolean; env?: NodeJS.ProcessEnv}): Ferry {
  const env: NodeJS.ProcessEnv = {...process.env, FERRY_HOME: path.join(options.cwd, '.ferry-home')}
  delete env.PORT
  delete env.FORCE_COLOR
  Object.assign(env, options.env)
  const child = spawn(process.execPath, [BIN, ...args], {cwd: options.cwd, detached: options.detached, env, stdio: ['ignore', 'pipe', 'pipe']})
  started.push(child)
  let out = ''
  let err = ''
  const listeners = new Set<() => void>()
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString()
    for (const l of listeners) l()
  })
  child.stderr!.on('data', (chunk: Buffer) => {
    err += chunk.toString()
  })
  const exited = new Promise<{code: null | number; signal: NodeJS.Signals | null}>(resolve => {
    child.on('close', (code, signal) => {
      resolve({code, signal})
      for (const l of listeners) l()
    })
  })
  return {
    child,
    exited,
    stderr: () => err,
    stdout: () => out,
    waitFor(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = out.match(pattern)
          if (m) {
            done()
            resolve(m)
          } else if (child.exitCode !== null || child.signalCode !== null) {
            done()
            reject(new Error(`ferry exited before ${pattern}\nstdout:\n${out}\nstderr:\n${err}`))
          }
        }

        const timer = setTimeout(() => {
          done()
          reject(new Error(`timed out waiting for ${pattern}\nstdout:\n${out}\nstderr:\n${err}`))
        }, timeoutMs)
        const done = () => {
          clearTimeout(timer)
          listeners.delete(check)
        }

        listeners.add(check)
        check()
      })
    },
  }
}

/** Runs ferry to completion. */
export async function runFerry(args: string[], options: {cwd: string; env?: NodeJS.ProcessEnv}) {
  const ferry = startFerry(args, options)
  const {code} = await ferry.exited
  return {code, stderr: ferry.stderr(), stdout: ferry.stdout()}
}

/** Kills every ferry started by these helpers that is still running (afterEach). */
export function killStarted(): void {
  for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
}

/** True while `pid` is a live (non-zombie) process. */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'
  } catch {
    return false
  }
}

/** Pids the test processes recorded, one per line, in `file`. */
export function readPids(file: string): number[] {
  if (!existsSync(file)) return []
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number)
}

/** Kills recorded pids that survived (so a failing test leaves nothing behind). */
export function killPids(pids: number[]): void {
  for (const pid of pids) {
    try {
      if (alive(pid)) process.kill(pid, 'SIGKILL')
    } catch {}
  }
}

export async function makeApp(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'ferry-local-'))
  for (const [name, content] of Object.entries(files)) await writeFile(path.join(dir, name), content)
  return dir
}

/** A base port with base, base+1, base+100, base+101, base+200 free (checked, not guaranteed to stay free). */
export async function freeBase(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000)
    const ports = [base, base + 1, base + 100, base + 101, base + 200]
    const free = await Promise.all(ports.map(p => portFree(p)))
    if (free.every(Boolean)) return base
  }

  throw new Error('no free base port found')
}

export function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms))
}
