// The typed Platform API v3 client: one core request() over the CLI's node:http transport (transport.ts, a keep-alive
// agent per origin), and resource groups (src/api/resources/) exposing one method per operation: api.apps.create({name}).
import {randomUUID} from 'node:crypto'

import {ApiError, UnreachableError} from './errors.js'
import {resources} from './resources/index.js'
import {Transport, type TransportResponse} from './transport.js'

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

/** Core HTTP layer: headers of the protocol, JSON bodies, typed errors, Range pagination. */
export class Http {
  /** The connection (keep-alive agents) API calls and the streams of the same command share. */
  readonly transport = new Transport()
  private connection?: Promise<Connection>

  constructor(private readonly options: HttpOptions) {}

  async close(): Promise<void> {
    this.transport.close()
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

    let res: TransportResponse
    let text: string
    try {
      res = await this.transport.exchange(base, {body, headers, method, path: fullPath, redirect: 'manual'})
      text = await res.text()
    } catch (error) {
      if (isUnreachable(error)) throw new UnreachableError(base.origin + base.pathname.replace(/\/$/, ''), error)
      throw error
    }

    const responseHeaders = res.headers
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
