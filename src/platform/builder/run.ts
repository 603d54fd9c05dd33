// Runs build steps as child processes: a filtered environment, output split into lines, a shared deadline,
// and (when bubblewrap is available) the build sandbox of ./sandbox.ts in a pids cgroup of its own.
import {spawn} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {StringDecoder} from 'node:string_decoder'

import {CGROUP_LAUNCHER, cgroupPrefix, drainCgroup, keyringSeccomp, makePidsCgroup, pidsLimitsAvailable, removeCgroupLater} from '../bwrap.js'
import {type Sandbox, stepArgv} from './sandbox.js'

export type {Sandbox} from './sandbox.js'

export const MB = 1024 * 1024

export class BuildError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'BuildError'
  }
}

/**
 * Tasks (processes + threads) one build step may have at once, via the pids cgroup: a fork bomb in an npm script
 * stops there instead of exhausting the host. Generous for `npm install` and native compiles (node itself is ~11 tasks).
 */
export const BUILD_PIDS_MAX = 2048

export interface RunOptions {
  cwd: string
  env: NodeJS.ProcessEnv
  /** Called once per output line (stdout and stderr interleaved, trailing newline removed). */
  onLine: (line: string) => void
  /** Bubblewrap settings; undefined runs unsandboxed. */
  sandbox?: Sandbox
  signal: AbortSignal
  /** Data written to stdin (default: nothing, stdin closed). */
  stdin?: string
}

/** Environment variables a build may see from the daemon's own environment (npm/TLS plumbing, locale). */
const KEEP = new RegExp('^(PATH|HOME|USER|LOGNAME|LANG|LANGUAGE|LC_[A-Z]+|TZ|TMPDIR|TERM|SHELL|NODE_EXTRA_CA_CERTS|SSL_CERT_FILE|SSL_CERT_DIR|GIT_SSL_CAINFO' +
    '|CURL_CA_BUNDLE|REQUESTS_CA_BUNDLE|PIP_CERT|(HTTPS?|NO|ALL)_PROXY|(https?|no|all)_proxy)$')
const KEEP_PREFIX = /^npm_config_/i

/**
 * The base environment of a build: only the variables npm and TLS need (never FERRY_* or the token), plus
 * STACK and SOURCE_VERSION. App config vars never go here (they go to ENV_DIR).
 */
export function buildEnv(source: NodeJS.ProcessEnv, extra: Record<string, string>, secrets: string[] = []): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(source)) {
    if (value === undefined) continue
    if (!KEEP.test(key) && !KEEP_PREFIX.test(key)) continue
    if (secrets.some(s => s !== '' && value.includes(s))) continue
    env[key] = value
  }

  if (!env.PATH) env.PATH = '/usr/local/bin:/usr/bin:/bin'
  return {...env, ...extra}
}

/** Minimal env of the host-side launcher and bwrap (the step's env is handed over with --setenv). */
const LAUNCHER_ENV = {LANG: 'C', PATH: '/usr/sbin:/usr/bin:/sbin:/bin'}
/** fd on which the sandboxed step's bwrap reads its seccomp program. */
const SECCOMP_FD = 3

/** Runs a command; resolves with its exit status. Throws BuildError when the deadline passes. */
export async function runStep(command: string, args: string[], options: RunOptions): Promise<number> {
  return spawnStep(command, args, options)
}

/** Largest stdout captureStep keeps (bin/detect, bin/release, `node --version`: a few lines in practice). */
export const CAPTURE_MAX_BYTES = MB

/**
 * Runs a command and collects its stdout (stderr goes to onLine). Stdout over `maxBytes` is not kept and fails the
 * step: a bin/release printing gigabytes must not grow one buffer in the daemon.
 */
export async function captureStep(
  command: string,
  args: string[],
  options: Omit<RunOptions, 'onLine'> & {maxBytes?: number; onLine?: (line: string) => void},
): Promise<{status: number; stdout: string}> {
  const max = options.maxBytes ?? CAPTURE_MAX_BYTES
  const out: Buffer[] = []
  let size = 0
  const status = await spawnStep(command, args, {...options, onLine: options.onLine ?? (() => {})}, chunk => {
    size += chunk.length
    if (size <= max) out.push(chunk)
  })
  if (size > max) throw new BuildError(`${command.split('/').slice(-2).join('/')} printed more than ${max} bytes on its standard output; at most ${max} are read.`)
  return {status, stdout: Buffer.concat(out).toString('utf8')}
}

/**
 * One build step in its own process group (sandboxed when asked): stderr, and stdout unless `onStdout` takes it,
 * go line by line to `onLine`; an abort kills the whole group. Resolves with the exit status (128+signal).
 */
async function spawnStep(command: string, args: string[], options: RunOptions, onStdout?: (chunk: Buffer) => void): Promise<number> {
  if (options.signal.aborted) throw abortError(options.signal)
  const {sandbox} = options
  let file = command
  let argv = args
  let env = options.env
  let cgroup: string | undefined
  if (sandbox) {
    file = 'bwrap'
    argv = stepArgv(sandbox, {args, command, cwd: options.cwd, env: options.env}, SECCOMP_FD)
    env = LAUNCHER_ENV
    cgroup = pidsLimitsAvailable() ? makePidsCgroup(`${cgroupPrefix(sandbox.dataDir)}build-${randomBytes(6).toString('hex')}`, BUILD_PIDS_MAX) : undefined
    if (cgroup) [file, argv] = ['/bin/sh', ['-c', CGROUP_LAUNCHER, 'ferry-launch', cgroup, 'bwrap', ...argv]]
  }

  const child = spawn(file, argv, {cwd: options.cwd, detached: true, env, stdio: sandbox ? ['pipe', 'pipe', 'pipe', 'pipe'] : ['pipe', 'pipe', 'pipe']})
  if (sandbox) {
    const seccomp = child.stdio[SECCOMP_FD] as NodeJS.WritableStream & {on: (event: 'error', cb: () => void) => void}
    seccomp.on('error', () => {})
    seccomp.end(keyringSeccomp())
  }

  const splitter = lineSplitter(options.onLine)
  child.stdout.on('data', onStdout ?? splitter.push)
  child.stderr.on('data', splitter.push)
  child.stdin.on('error', () => {})
  child.stdin.end(options.stdin ?? '')
  const kill = () => {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL')
    } catch {}
  }

  options.signal.addEventListener('abort', kill, {once: true})
  try {
    const status = await new Promise<number>((resolve, reject) => {
      child.once('error', reject)
      child.once('close', (code, signal) => resolve(code ?? 128 + (signal ? signalNumber(signal) : 1)))
    })
    splitter.flush()
    // Nothing of the step may outlive it (the build dir is packed next): wait for its PID namespace to be torn down.
    if (cgroup && (await drainCgroup(cgroup))) cgroup = undefined
    if (options.signal.aborted) throw abortError(options.signal)
    return status
  } finally {
    options.signal.removeEventListener('abort', kill)
    if (cgroup) removeCgroupLater(cgroup)
  }
}

function abortError(signal: AbortSignal): BuildError {
  const reason = signal.reason as unknown
  return reason instanceof BuildError ? reason : new BuildError('Build was cancelled.')
}

function signalNumber(signal: NodeJS.Signals): number {
  return ({SIGINT: 2, SIGKILL: 9, SIGTERM: 15} as Record<string, number>)[signal] ?? 1
}

/**
 * Splits a byte stream into lines (\n, \r\n, and bare \r progress updates). A line longer than `maxLine` characters
 * is passed on in pieces: a build printing hundreds of MB without a newline must not grow one string in the daemon.
 */
export function lineSplitter(onLine: (line: string) => void, maxLine = 64 * 1024): {flush: () => void; push: (chunk: Buffer) => void} {
  let rest = ''
  const decoder = new StringDecoder('utf8')
  return {
    flush() {
      rest += decoder.end()
      if (rest !== '') onLine(rest)
      rest = ''
    },
    push(chunk: Buffer) {
      rest += decoder.write(chunk)
      const parts = rest.split(/\r?\n|\r/)
      rest = parts.pop() ?? ''
      for (const part of parts) onLine(part)
      while (rest.length > maxLine) {
        onLine(rest.slice(0, maxLine))
        rest = rest.slice(maxLine)
      }
    },
  }
}
