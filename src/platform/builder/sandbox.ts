// The bubblewrap sandbox of one build step. A build runs code from the app's repository (npm scripts, dependencies'
// install scripts, buildpacks): it gets what a dyno gets (no capabilities, read-only host /usr and a few /etc files,
// new PID/IPC/UTS/cgroup namespaces, the keyring syscalls refused, host-changing /proc knobs read-only) plus network
// for dependency downloads. Writable: the build's work dir seen as /build (source /build/app, ENV_DIR /build/env,
// cloned buildpacks), the app's cache dir seen as /cache, and /tmp (the build's own dir under its work dir; HOME is
// /tmp/home). The data dir, the platform token, other apps and the daemon's $HOME are never mounted: their paths do
// not exist inside. Host paths in a step's command, arguments, cwd and environment are rewritten to those names.
import {mkdirSync, statSync} from 'node:fs'
import {join, resolve} from 'node:path'

import {hostRootArgs, procArgs} from '../bwrap.js'

export interface Sandbox {
  /** The app's cache dir: writable, seen as CACHE_PATH. */
  cacheDir: string
  /** The platform data dir: never mounted; read-only binds inside it are refused. */
  dataDir: string
  /** Host files bound read-only at the same path (CA bundles, the npm user config): see hostFiles(). */
  hostFiles: string[]
  /** The npm user config among `hostFiles`, named to npm by npm_config_userconfig. */
  npmrc?: string
  /** Host dirs bound read-only at the same path (a buildpack given as a local directory). */
  readOnly: string[]
  /** The build's work dir: writable, seen as WORK_PATH; its `tmp/` is the steps' /tmp (shared by the steps of one build). */
  workDir: string
}

export const WORK_PATH = '/build'
export const CACHE_PATH = '/cache'
/** Where the build's HOME is inside the sandbox (on its private /tmp). */
export const BUILD_HOME = '/tmp/home'
export const BUILD_HOSTNAME = 'ferry-build'

export interface StepCommand {
  args: string[]
  command: string
  /** Host path. */
  cwd: string
  env: NodeJS.ProcessEnv
}

/** `text` with the host paths of the work and cache dirs (at a path boundary) replaced by their names inside. */
export function innerPath(sandbox: Sandbox, text: string): string {
  let out = text
  for (const [host, inner] of [[sandbox.workDir, WORK_PATH], [sandbox.cacheDir, CACHE_PATH]]) {
    out = out.replaceAll(new RegExp(escapeRegExp(host) + '(?=/|:|$)', 'g'), inner)
  }

  return out
}

function escapeRegExp(text: string): string {
  return text.replaceAll(/[$()*+.?[\\\]^{|}]/g, String.raw`\$&`)
}

/** Variables naming a CA bundle (file or dir) that npm, pip, git or curl read: bound read-only when set. */
const CA_VARS = /^(NODE_EXTRA_CA_CERTS|SSL_CERT_FILE|SSL_CERT_DIR|GIT_SSL_CAINFO|CURL_CA_BUNDLE|REQUESTS_CA_BUNDLE|PIP_CERT|npm_config_cafile)$/i
/** Already visible through hostRootArgs(). */
const VISIBLE = ['/usr/', '/etc/ssl/', '/etc/ca-certificates/']

function inside(path: string, dir: string): boolean {
  return dir !== '' && (path === dir || path.startsWith(dir.endsWith('/') ? dir : `${dir}/`))
}

/** true when `path` (absolute) is an existing file or dir that may be shown to a build: not /, not in the data dir. */
function bindable(path: string, dataDir: string): boolean {
  if (!path.startsWith('/') || resolve(path) === '/' || inside(resolve(path), dataDir) || inside(dataDir, resolve(path))) return false
  try {
    const st = statSync(path)
    return st.isFile() || st.isDirectory()
  } catch {
    return false
  }
}

/**
 * The host files a build needs to see: CA bundles named by the daemon's environment and the user's npm config
 * (registry, proxy, cafile), when they live outside /usr and /etc (already visible) and outside the data dir.
 * Decided once per build from the daemon's environment, never from a step's: a buildpack's `export` file is build
 * output and could otherwise name any host file (NODE_EXTRA_CA_CERTS=/root/.ssh/id_rsa) to have it mounted.
 */
export function hostFiles(parentEnv: NodeJS.ProcessEnv, dataDir: string): Pick<Sandbox, 'hostFiles' | 'npmrc'> {
  const files = new Set<string>()
  for (const [key, value] of Object.entries(parentEnv)) {
    if (value && CA_VARS.test(key) && !VISIBLE.some(p => value.startsWith(p)) && bindable(value, dataDir)) files.add(value)
  }

  const userconfigKey = Object.keys(parentEnv).find(k => k.toLowerCase() === 'npm_config_userconfig')
  const npmrc = userconfigKey ? parentEnv[userconfigKey] : parentEnv.HOME ? join(parentEnv.HOME, '.npmrc') : undefined
  if (!npmrc || !bindable(npmrc, dataDir) || !statSync(npmrc).isFile()) return {hostFiles: [...files]}
  files.add(npmrc)
  return {hostFiles: [...files], npmrc}
}

/**
 * bwrap argv: the sandbox, then the step's command. The environment goes through `--clearenv`/`--setenv`, never
 * through bwrap's own environment: a buildpack's `export` file could otherwise put LD_PRELOAD into the env of the
 * launcher and bwrap, which run as root on the host.
 */
export function stepArgv(sandbox: Sandbox, step: StepCommand, seccompFd: number): string[] {
  const {env} = step
  const stepEnv: NodeJS.ProcessEnv = {HOME: BUILD_HOME, TMPDIR: '/tmp'}
  for (const [key, value] of Object.entries(env)) if (value !== undefined && key !== 'HOME' && key !== 'TMPDIR') stepEnv[key] = innerPath(sandbox, value)
  // npm reads its user config from $HOME/.npmrc: the private HOME has none, so name the bound one.
  if (sandbox.npmrc && !Object.keys(env).some(k => k.toLowerCase() === 'npm_config_userconfig')) stepEnv.npm_config_userconfig = sandbox.npmrc
  const tmp = join(sandbox.workDir, 'tmp')
  mkdirSync(join(tmp, 'home'), {recursive: true})
  const args = [
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    '--hostname',
    BUILD_HOSTNAME,
    '--die-with-parent',
    '--new-session',
    '--cap-drop',
    'ALL',
    '--seccomp',
    String(seccompFd),
    ...hostRootArgs(),
    ...procArgs(),
    '--dev',
    '/dev',
    '--bind',
    tmp,
    '/tmp',
    '--bind',
    sandbox.workDir,
    WORK_PATH,
    '--bind',
    sandbox.cacheDir,
    CACHE_PATH,
  ]
  for (const path of [...sandbox.readOnly, ...sandbox.hostFiles]) args.push('--ro-bind', path, path)
  args.push('--remount-ro', '/', '--chdir', innerPath(sandbox, step.cwd), '--clearenv')
  for (const [key, value] of Object.entries(stepEnv)) if (value !== undefined) args.push('--setenv', key, value)
  args.push('--', innerPath(sandbox, step.command), ...step.args.map(a => innerPath(sandbox, a)))
  return args
}

/** The error for a local buildpack directory inside the data dir (never mounted into a build). */
export function refusedBuildpackDir(sandbox: Sandbox, dir: string): string | undefined {
  if (!inside(resolve(dir), sandbox.dataDir) && !inside(sandbox.dataDir, resolve(dir))) return undefined
  return `Buildpack directory ${dir} is inside the platform's data dir, which builds cannot see. Move the buildpack elsewhere or push it to a git repository.`
}
