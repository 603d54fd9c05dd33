// The typed Platform API v3 client: one core request() over Node's http/https with a keep-alive agent per origin,
// and resource groups (src/api/resources/) exposing one method per operation: api.apps.create({name}).
// Transport: node:http(s), not undici — importing undici costs 150–290 ms of CLI start-up on this kind of machine
// (it loads fetch, websocket, cache, mock…), node:http about 5 ms; every command makes one or two small requests.
import type {Agent, IncomingHttpHeaders, RequestOptions as NodeRequestOptions} from 'node:http'

import {randomUUID} from 'node:crypto'

import {ApiError, UnreachableError} from './errors.js'
import {resources} from './resources/index.js'

/** Where requests go: the backend's base URL and its bearer token. */
export interface Connection {token: string; url: string}

export interface HttpOptions {
  /** Resolves the backend on the first request (may start the local daemon). */
  connect: () => Promise<Connection>
  userAgent?: string
}

export interface RequestOptions {
  /** Accept variant after `version=3`, e.g. `sdk` → `application/vnd.heroku+json; version=3.sdk`. */
  variant?: string
  body?: unknown
  headers?: Record<string, string>
  /** Range header, e.g. `version ..; max=15, order=desc`. */
  range?: string
}

interface SendOptions {headers: Record<string, string>; method: string; path: string}

export interface RawResponse {body: unknown; headers: Record<string, string>; status: number}

const UNREACHABLE_CODES = new Set([
  'EAI_AGAIN',
'ECONNREFUSED',
'ECONNRESET',
'EHOSTUNREACH',
'ENETUNREACH',
'ENOTFOUND',
'EPIPE',
  'ETIMEDOUT',
])

function isUnreachable(error: unknown): boolean {
  for (let e: any = error; e; e = e.cause) {
    if (UNREACHABLE_CODES.has(e.code)) return true
    if (Array.isArray(e.errors) && e.errors.some((inner: unknown) => isUnreachable(inner))) return true
  }

  return false
}

function flattenHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v
  return out
}

/** Core HTTP layer: headers of the protocol, JSON bodies, typed errors, Range pagination. */
export class Http {
  private connection?: Promise<Connection>
  private readonly agents = new Map<string, Agent>()

  constructor(private readonly options: HttpOptions) {}

  async close(): Promise<void> {
    for (const agent of this.agents.values()) agent.destroy()
    this.agents.clear()
  }

  /** The resolved backend (resolving it if needed). */
  async connect(): Promise<Connection> {
    this.connection ??= this.options.connect()
    return this.connection
  }

  delete<T>(path: string, options?: RequestOptions): Promise<T> {
    return this.request<T>('DELETE', path, options)
  }

  get<T>(path: string, options?: RequestOptions): Promise<T> {
    return this.request<T>('GET', path, options)
  }

  /** Every item of a list, following `Next-Range` until the server stops sending it. */
  async list<T>(path: string, options: RequestOptions = {}): Promise<T[]> {
    const items: T[] = []
    let range = options.range
    for (let page = 0; page < 10_000; page++) {
      const res = await this.raw('GET', path, {...options, range})
      if (!Array.isArray(res.body)) throw new TypeError(`GET ${path}: expected a JSON array`)
      items.push(...(res.body as T[]))
      range = res.headers['next-range']
      if (!range) break
    }

    return items
  }

  patch<T>(path: string, body: unknown, options?: RequestOptions): Promise<T> {
    return this.request<T>('PATCH', path, {...options, body})
  }

  post<T>(path: string, body?: unknown, options?: RequestOptions): Promise<T> {
    return this.request<T>('POST', path, {...options, body})
  }

  put<T>(path: string, body: unknown, options?: RequestOptions): Promise<T> {
    return this.request<T>('PUT', path, {...options, body})
  }

  /** One request; the response body (parsed JSON for JSON content types). Non-2xx → ApiError. */
  async raw(method: string, path: string, options: RequestOptions = {}): Promise<RawResponse> {
    const {token, url} = await this.connect()
    const base = new URL(url)
    const fullPath = base.pathname.replace(/\/$/, '') + path
    const headers: Record<string, string> = {
      accept: `application/vnd.heroku+json; version=3${options.variant ? '.' + options.variant : ''}`,
      'request-id': randomUUID(),
      'user-agent': this.options.userAgent ?? `ferry ${process.platform}`,
      ...options.headers,
    }
    if (token) headers.authorization = `Bearer ${token}`
    if (options.range) headers.range = options.range
    let body: string | undefined
    if (options.body !== undefined) {
      body = JSON.stringify(options.body)
      headers['content-type'] = 'application/json'
    }

    let res: {headers: IncomingHttpHeaders; status: number; text: string}
    try {
      res = await this.send(base, {headers, method, path: fullPath}, body)
    } catch (error) {
      if (isUnreachable(error)) throw new UnreachableError(base.origin + base.pathname.replace(/\/$/, ''), error)
      throw error
    }

    const responseHeaders = flattenHeaders(res.headers)
    const {text} = res
    const type = responseHeaders['content-type'] ?? ''
    let parsed: unknown = text
    if (text && (type.startsWith('application/json') || /\+json\b/.test(type))) {
      try {
        parsed = JSON.parse(text)
      } catch {
        parsed = text
      }
    }

    if (res.status >= 400) {
      const errorBody = parsed && typeof parsed === 'object' ? (parsed as Record<string, string>) : {}
      throw new ApiError(res.status, errorBody, method, base.origin + fullPath)
    }

    return {body: parsed, headers: responseHeaders, status: res.status}
  }

  async request<T>(method: string, path: string, options?: RequestOptions): Promise<T> {
    return (await this.raw(method, path, options)).body as T
  }

  /** The keep-alive agent of an origin (node:https loaded only for https backends). */
  private async agent(base: URL): Promise<{agent: Agent; request: typeof import('node:http').request}> {
    const mod = base.protocol === 'https:' ? await import('node:https') : await import('node:http')
    let agent = this.agents.get(base.origin)
    if (!agent) {
      agent = new mod.Agent({keepAlive: true, maxSockets: 8})
      this.agents.set(base.origin, agent)
    }

    return {agent, request: mod.request}
  }

  /** One HTTP exchange; retried once when a reused keep-alive connection was closed by the server meanwhile. */
  private async send(base: URL, options: SendOptions, body: string | undefined, retry = true): Promise<{headers: IncomingHttpHeaders; status: number; text: string}> {
    const {agent, request} = await this.agent(base)
    const headers = {...options.headers}
    // A fixed length (never chunked), like undici: the body's bytes, or 0 for a bodiless POST/PUT/PATCH.
    if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body))
    else if (['PATCH', 'POST', 'PUT'].includes(options.method)) headers['content-length'] = '0'
    const requestOptions: NodeRequestOptions = {
      agent,
      headers,
      host: base.hostname.replace(/^\[(.*)]$/, '$1'),
      method: options.method,
      path: options.path,
      port: base.port || undefined,
    }
    return new Promise((resolve, reject) => {
      const req = request(requestOptions, res => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () => resolve({headers: res.headers, status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8')}))
        res.on('error', reject)
      })
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (retry && req.reusedSocket && error.code === 'ECONNRESET') resolve(this.send(base, options, body, false))
        else reject(error)
      })
      req.end(body)
    })
  }
}

/** Encodes each interpolated value as one path segment: p`/apps/${name}/releases`. */
export function p(strings: TemplateStringsArray, ...values: Array<number | string>): string {
  return strings.reduce((acc, s, i) => acc + s + (i < values.length ? encodeURIComponent(String(values[i])) : ''), '')
}

type Resources = typeof resources
export type Api = {[K in keyof Resources]: ReturnType<Resources[K]>} & {
  /** Close keep-alive connections (the CLI calls this when a command ends). */
  close(): Promise<void>
  /** The backend this client talks to (URL and token), resolved (and, for the local platform, started) on first use. */
  connection(): Promise<Connection>
}

/** The client: `createApi({connect}).apps.list()`. Nothing is resolved or loaded until the first request. */
export function createApi(options: HttpOptions): Api {
  const http = new Http(options)
  const api: Record<string, unknown> = {close: () => http.close(), connection: () => http.connect()}
  for (const [name, make] of Object.entries(resources)) api[name] = (make as (h: Http) => unknown)(http)
  return api as Api
}
