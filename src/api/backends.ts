// Which Platform API the CLI talks to: the bundled local platform (default), real Heroku, or any URL.
// Settings live in `conf` under configDir() and are loaded lazily (conf is slow to import).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import type {Connection} from './client.js'

import {BackendError} from './errors.js'
import {ensureDaemon, findDaemon} from './launcher.js'
import {configDir, dataDir as resolveDataDir} from './paths.js'

type Env = NodeJS.ProcessEnv

export type BackendKind = 'heroku' | 'local' | 'url'

/** A backend chosen but not yet connected: `name` is `local`, `heroku` or the URL. */
export interface BackendChoice {kind: BackendKind; name: string; url?: string}

/** Where the choice came from, for `ferry backends`. */
export type BackendSource = 'default' | 'env' | 'flag' | 'settings'

export const DEFAULT_HEROKU_API = 'https://api.heroku.com'

export const herokuApiUrl = (env: Env = process.env) => (env.FERRY_HEROKU_API_URL || DEFAULT_HEROKU_API).replace(/\/$/, '')

/** `local`, `heroku` or an http(s) URL; anything else is an input error. */
export function parseBackend(value: string, env: Env = process.env): BackendChoice {
  if (value === 'local') return {kind: 'local', name: 'local'}
  if (value === 'heroku') return {kind: 'heroku', name: 'heroku', url: herokuApiUrl(env)}
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new BackendError(`unknown backend "${value}": use local, heroku or an http(s):// URL`, {input: true})
  }

  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new BackendError(`unknown backend "${value}": use local, heroku or an http(s):// URL`, {input: true})
  const normalized = url.href.replace(/\/$/, '')
  return {kind: 'url', name: normalized, url: normalized}
}

export interface SettingsData {backend?: string; tokens?: Record<string, string>}

/** Persistent CLI settings (`$FERRY_HOME/config/settings.json`). */
export class Settings {
  private constructor(private readonly store: {get(k: string): unknown; set(k: string, v: unknown): void; delete(k: string): void; path: string}) {}

  static async load(env: Env = process.env): Promise<Settings> {
    const {default: Conf} = await import('conf')
    return new Settings(new Conf<SettingsData>({configFileMode: 0o600, configName: 'settings', cwd: configDir(env), projectName: 'ferry'}) as any)
  }

  get backend(): string | undefined {
    return this.store.get('backend') as string | undefined
  }

  set backend(value: string | undefined) {
    if (value === undefined || value === 'local') this.store.delete('backend')
    else this.store.set('backend', value)
  }

  get path(): string {
    return this.store.path
  }

  /** Tokens stored by `ferry login`, keyed by API origin. */
  setToken(origin: string, token: string | undefined): void {
    const tokens = {...(this.store.get('tokens') as Record<string, string> | undefined)}
    if (token === undefined) delete tokens[origin]
    else tokens[origin] = token
    this.store.set('tokens', tokens)
  }

  token(origin: string): string | undefined {
    return (this.store.get('tokens') as Record<string, string> | undefined)?.[origin]
  }
}

/** The backend for this invocation: `--backend`, else FERRY_API_URL, else FERRY_BACKEND, else `backends:use`, else local. */
export async function chooseBackend(env: Env = process.env, flag?: string): Promise<BackendChoice & {source: BackendSource}> {
  if (flag) return {...parseBackend(flag, env), source: 'flag'}
  if (env.FERRY_API_URL) return {...parseBackend(env.FERRY_API_URL, env), source: 'env'}
  if (env.FERRY_BACKEND) return {...parseBackend(env.FERRY_BACKEND, env), source: 'env'}
  const settings = fs.existsSync(path.join(configDir(env), 'settings.json')) ? await Settings.load(env) : undefined
  if (settings?.backend) return {...parseBackend(settings.backend, env), source: 'settings'}
  return {kind: 'local', name: 'local', source: 'default'}
}

/** Password of `machine <host>` in ~/.netrc (the heroku CLI stores its token there). */
export function netrcPassword(host: string, env: Env = process.env): string | undefined {
  let text: string
  try {
    text = fs.readFileSync(path.join(env.HOME || os.homedir(), '.netrc'), 'utf8')
  } catch {
    return undefined
  }

  const words = text.replaceAll(/#.*$/gm, '').split(/\s+/).filter(Boolean)
  let current: string | undefined
  let found: string | undefined
  for (let i = 0; i < words.length; i++) {
    if (words[i] === 'machine') current = words[++i]
    else if (words[i] === 'default') current = ''
    else if (words[i] === 'password' && current === host) found ??= words[++i]
  }

  return found
}

/** Token for a remote backend: env, then `ferry login`, then ~/.netrc (heroku). */
export async function remoteToken(choice: BackendChoice, env: Env = process.env): Promise<string | undefined> {
  const origin = new URL(choice.url!).origin
  if (choice.kind === 'heroku' && env.HEROKU_API_KEY) return env.HEROKU_API_KEY
  if (choice.kind === 'url' && env.FERRY_API_URL && env.FERRY_API_KEY) return env.FERRY_API_KEY
  const stored = fs.existsSync(path.join(configDir(env), 'settings.json')) ? (await Settings.load(env)).token(origin) : undefined
  if (stored) return stored
  if (choice.kind === 'heroku') return netrcPassword('api.heroku.com', env)
  return env.FERRY_API_KEY
}

export interface ConnectOptions {
  env?: Env
  /** false: find a running local platform but never start one (a log tail following a restart). */
  start?: boolean
  /** Called when the local daemon had to be started. */
  onStarted?: (url: string) => void
}

/** URL + token of a backend; for `local` this starts the daemon when it is not running. */
export async function connectBackend(choice: BackendChoice, options: ConnectOptions = {}): Promise<Connection> {
  const env = options.env ?? process.env
  if (choice.kind === 'local') {
    const daemon = options.start === false ? await runningDaemon(env) : await ensureDaemon({env, onStarted: options.onStarted})
    return {token: daemon.token, url: daemon.url}
  }

  const token = await remoteToken(choice, env)
  if (!token) {
    const how = choice.kind === 'heroku' ? 'set HEROKU_API_KEY or run `ferry login --backend heroku`' : `set FERRY_API_KEY or run \`ferry login --backend ${choice.url}\``
    throw new BackendError(`no API token for ${choice.url}: ${how}`)
  }

  return {token, url: choice.url!}
}

async function runningDaemon(env: Env): Promise<{token: string; url: string}> {
  const running = await findDaemon(resolveDataDir(env))
  if (!running) throw new BackendError('the local platform is not running')
  return running
}
