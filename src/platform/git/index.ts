// Smart-HTTP git for app repositories (`/<app>.git`), served by `git http-backend` as a CGI child process with
// streamed bodies. Pushes to main/master deploy through a pre-receive hook that calls back into the daemon.
import {randomBytes, timingSafeEqual} from 'node:crypto'
import {existsSync, mkdirSync} from 'node:fs'
import {readFile, writeFile} from 'node:fs/promises'
import type {IncomingMessage, ServerResponse} from 'node:http'
import {resolve, sep} from 'node:path'

import type {PlatformContext} from '../context.js'

import {preReceiveHookSource} from './hook.js'
import {runGit, spawnGit} from './run.js'

export {HOOK_EXIT_MARKER, preReceiveHookSource} from './hook.js'

export const DEPLOY_BRANCHES = ['main', 'master']

/** The bare repository of an app (keyed by app id, so a rename keeps it). */
export function repoDirFor(ctx: PlatformContext, appId: string): string {
  return ctx.paths.repoFor(appId)
}

const initializing = new Map<string, Promise<string>>()

/** Creates the app's bare repository (with the pre-receive hook) when missing; returns its path. */
export async function ensureRepo(ctx: PlatformContext, appId: string): Promise<string> {
  const dir = repoDirFor(ctx, appId)
  let pending = initializing.get(dir)
  if (!pending) {
    pending = initRepo(dir, ctx.paths.gitHome).finally(() => initializing.delete(dir))
    initializing.set(dir, pending)
  }

  return pending
}

async function initRepo(dir: string, home: string): Promise<string> {
  if (!existsSync(resolve(dir, 'HEAD'))) {
    mkdirSync(dir, {recursive: true})
    const init = await runGit(['init', '--quiet', '--bare', '--initial-branch=main', dir], {cwd: dir, home})
    if (init.code !== 0) throw new Error(`git init failed: ${init.output.trim()}`)
    for (const [key, value] of [
      ['receive.denyNonFastForwards', 'false'],
      ['receive.denyDeletes', 'false'],
      ['http.receivepack', 'true'],
      ['http.uploadpack', 'true'],
      ['core.logAllRefUpdates', 'false'],
    ]) {
      await runGit(['config', key, value], {cwd: dir, home})
    }
  }

  const hookPath = resolve(dir, 'hooks', 'pre-receive')
  const source = preReceiveHookSource(process.execPath)
  let current = ''
  try {
    current = await readFile(hookPath, 'utf8')
  } catch {}

  if (current !== source) {
    mkdirSync(resolve(dir, 'hooks'), {recursive: true})
    await writeFile(hookPath, source, {mode: 0o755})
  }

  return dir
}

/** Accepts HTTP Basic with any username and the platform token as password (what git's credential helper sends). */
export function basicAuthOk(req: IncomingMessage, token: string): boolean {
  const header = req.headers.authorization ?? ''
  const m = /^basic\s+(\S+)$/i.exec(header.trim())
  let password: string | undefined
  if (m) {
    const decoded = Buffer.from(m[1], 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon !== -1) password = decoded.slice(colon + 1)
  } else {
    const bearer = /^bearer\s+(\S+)$/i.exec(header.trim())
    if (bearer) password = bearer[1]
  }

  if (password === undefined) return false
  const a = Buffer.from(password)
  const b = Buffer.from(token)
  return a.length === b.length && timingSafeEqual(a, b)
}

export interface PushSession {
  appId: string
  repoDir: string
}

/** One-time secrets of pushes in flight: handed to the hook via the CGI environment, never the platform token. */
export class PushSessions {
  private readonly sessions = new Map<string, PushSession>()

  open(session: PushSession): string {
    const secret = randomBytes(24).toString('hex')
    this.sessions.set(secret, session)
    return secret
  }

  close(secret: string): void {
    this.sessions.delete(secret)
  }

  /** The session for a secret; it can be used once. */
  take(secret: string | undefined): PushSession | undefined {
    if (!secret) return undefined
    const session = this.sessions.get(secret)
    if (session) this.sessions.delete(secret)
    return session
  }
}

export interface CgiRequest {
  /** The platform's git home (PlatformPaths.gitHome). */
  gitHome: string
  hookUrl: string
  repoDir: string
  /** `/info/refs`, `/git-receive-pack` or `/git-upload-pack`. */
  rest: string
  secret?: string
}

/** Runs `git http-backend` for one request: the request body is piped in, the CGI response streamed out. */
export async function runHttpBackend(req: IncomingMessage, res: ServerResponse, cgi: CgiRequest): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost')
  const root = resolve(cgi.repoDir, '..')
  const name = cgi.repoDir.slice(root.length + 1)
  const env: Record<string, string | undefined> = {
    // The pre-receive hook (git/hook.ts) runs as git's child and finds the daemon and its push through these two.
    FERRY_HOOK_URL: cgi.hookUrl,
    GIT_HTTP_EXPORT_ALL: '1',
    GIT_PROJECT_ROOT: root,
    PATH_INFO: `/${name}${cgi.rest}`,
    QUERY_STRING: url.search.replace(/^\?/, ''),
    REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
    REMOTE_USER: 'ferry',
    REQUEST_METHOD: req.method ?? 'GET',
  }
  if (cgi.secret) env.FERRY_PUSH_SECRET = cgi.secret
  if (req.headers['content-type']) env.CONTENT_TYPE = req.headers['content-type']
  if (req.headers['content-length']) env.CONTENT_LENGTH = req.headers['content-length']
  if (req.headers['content-encoding']) env.HTTP_CONTENT_ENCODING = String(req.headers['content-encoding'])
  if (req.headers['git-protocol']) env.GIT_PROTOCOL = String(req.headers['git-protocol'])

  const child = spawnGit(['http-backend'], {env, home: cgi.gitHome, input: true})
  req.pipe(child.stdin)
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString()
  })
  res.on('close', () => {
    if (child.exitCode === null) child.kill('SIGTERM')
  })

  await new Promise<void>(done => {
    let head = Buffer.alloc(0)
    let headersDone = false
    child.stdout.on('data', (chunk: Buffer) => {
      if (headersDone) {
        if (!res.write(chunk)) {
          child.stdout.pause()
          res.once('drain', () => child.stdout.resume())
        }

        return
      }

      head = Buffer.concat([head, chunk])
      let end = head.indexOf('\r\n\r\n')
      let sepLength = 4
      if (end === -1) {
        end = head.indexOf('\n\n')
        sepLength = 2
      }

      if (end === -1) return
      headersDone = true
      let status = 200
      const headers: Record<string, string> = {}
      for (const line of head.subarray(0, end).toString('latin1').split(/\r?\n/)) {
        const colon = line.indexOf(':')
        if (colon <= 0) continue
        const key = line.slice(0, colon).trim()
        const value = line.slice(colon + 1).trim()
        if (/^status$/i.test(key)) status = Number.parseInt(value, 10) || 500
        else headers[key] = value
      }

      res.writeHead(status, headers)
      const body = head.subarray(end + sepLength)
      if (body.length > 0) res.write(body)
    })
    child.on('error', error => {
      stderr += error.message
    })
    child.on('close', code => {
      if (!headersDone) {
        if (!res.headersSent) {
          res.writeHead(500, {'Content-Type': 'text/plain'})
          res.end(`git http-backend failed (status ${code}): ${stderr.trim()}\n`)
        }
      } else {
        res.end()
      }

      done()
    })
  })
}

/** Validates quarantine paths sent by the hook: they must lie inside the app's repository. */
export function quarantineEnv(repoDir: string, env: unknown): Record<string, string> {
  const out: Record<string, string> = {}
  if (!env || typeof env !== 'object') return out
  const inside = (p: string) => {
    const abs = resolve(repoDir, p)
    return abs === repoDir || abs.startsWith(repoDir + sep)
  }

  for (const key of ['GIT_OBJECT_DIRECTORY', 'GIT_ALTERNATE_OBJECT_DIRECTORIES', 'GIT_QUARANTINE_PATH']) {
    const value = (env as Record<string, unknown>)[key]
    if (typeof value !== 'string' || value === '') continue
    const parts = value.split(':').map(p => p.replaceAll(/^"|"$/g, ''))
    if (parts.every(p => inside(p))) out[key] = value
  }

  return out
}

export interface RefUpdate {
  newSha: string
  oldSha: string
  ref: string
}

export function parseRefUpdates(text: string): RefUpdate[] {
  return text
    .split('\n')
    .map(line => line.trim().split(/\s+/))
    .filter(parts => parts.length === 3)
    .map(([oldSha, newSha, ref]) => ({newSha, oldSha, ref}))
}

export const ZERO_SHA = /^0+$/
