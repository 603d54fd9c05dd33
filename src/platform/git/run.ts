// The one way the platform runs git: setting up app repositories, `git http-backend` for pushes and fetches, `git
// archive` of a pushed commit for its build, a commit's subject, moving HEAD. One environment policy for all of them:
// isolated from the operator's git configuration (no system config, no global config, HOME a platform-owned
// directory), so an operator's ~/.gitconfig (hooks path, fsmonitor, url rewrites, credential helpers, safe.* …)
// never changes what the platform's repositories do — but the CA variables pass, so a git that talks TLS trusts what
// the operator's environment trusts. Not here: `git clone` of a buildpack URL, which runs inside the build's own
// environment (builder/buildpack.ts).
import {type ChildProcessWithoutNullStreams, spawn} from 'node:child_process'

/** Passed through from the daemon's environment: the program search path, messages' language, temp dir, TLS trust. */
const PASSED = ['PATH', 'LANG', 'LC_ALL', 'TMPDIR', 'GIT_SSL_CAINFO', 'GIT_SSL_CAPATH', 'SSL_CERT_FILE', 'SSL_CERT_DIR', 'CURL_CA_BUNDLE'] as const

/**
 * The environment of every git the platform runs: only the PASSED variables of `from`, no system or global config,
 * HOME = `home` (PlatformPaths.gitHome), no terminal prompt; then `extra` (GIT_DIR, CGI variables, quarantine paths).
 */
export function gitEnv(home: string, extra: Record<string, string | undefined> = {}, from: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0', HOME: home}
  for (const key of PASSED) if (from[key]) env[key] = from[key]
  env.PATH ??= '/usr/bin:/bin'
  return {...env, ...extra}
}

export interface GitOptions {
  cwd?: string
  /** Added to the policy's environment (gitEnv). */
  env?: Record<string, string | undefined>
  /** The platform's git home (PlatformPaths.gitHome). */
  home: string
  /** Keep git's stdin open for the caller to write (http-backend); else it is closed at once. */
  input?: boolean
}

/** Starts git with the platform's environment policy (for streaming: http-backend, archive). */
export function spawnGit(args: string[], options: GitOptions): ChildProcessWithoutNullStreams {
  const child = spawn('git', args, {cwd: options.cwd, env: gitEnv(options.home, options.env), stdio: 'pipe'})
  child.stdin.on('error', () => {})
  if (!options.input) child.stdin.end()
  return child
}

/** Runs git to the end: its exit status (1 when it could not start), its stdout, and stdout+stderr as they came. */
export function runGit(args: string[], options: GitOptions): Promise<{code: number; output: string; stdout: string}> {
  return new Promise(resolve => {
    const child = spawnGit(args, {...options, input: false})
    let output = ''
    let stdout = ''
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString()
      stdout += d.toString()
    })
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString()
    })
    child.on('error', error => resolve({code: 1, output: output + error.message, stdout}))
    child.on('close', code => resolve({code: code ?? 1, output, stdout}))
  })
}
