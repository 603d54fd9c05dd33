// A small HTTP router for the Platform API: JSON bodies, Heroku error bodies, Range pagination, auth.
import type {IncomingMessage, ServerResponse} from 'node:http'

import {randomUUID} from 'node:crypto'

import type {ErrorBody} from '../../api/types.js'

import {ERROR_STATUS} from '../../api/types.js'
import {StoreError} from '../store/errors.js'
import {badRequest, errorFor, HttpError, notFound, tooLarge, unauthorized} from '../errors.js'
import {applyRange, parseRange, type RangeOptions, type RangeSpec} from './range.js'

export * from '../errors.js'

export interface Ctx {
  /** Parsed JSON body (undefined when the request had none). Only for routes with `body: 'json'`. */
  body: unknown
  method: string
  params: Record<string, string>
  path: string
  query: URLSearchParams
  /** Parsed `Range` header, when present and non-empty. */
  range: RangeSpec | undefined
  req: IncomingMessage
  requestId: string
  res: ServerResponse
}

/** What a handler returns: a JSON reply, or `undefined` when it wrote the response itself (streams, git). */
export type Reply = {body: unknown; headers?: Record<string, number | string>; status?: number} | undefined

export type Handler = (ctx: Ctx) => Promise<Reply> | Reply

export interface RouteOptions {
  /** Default true: requires the platform token. Capability URLs (log streams, source blobs, git) set false. */
  auth?: boolean
  /** 'json' (default for POST/PATCH/PUT) parses the body; 'raw' leaves the stream to the handler. */
  body?: 'json' | 'none' | 'raw'
}

interface Route {
  handler: Handler
  keys: string[]
  method: string
  options: Required<RouteOptions>
  pattern: RegExp
}

const MAX_JSON_BODY = 1024 * 1024

export class Router {
  private readonly routes: Route[] = []

  add(method: string, path: string, handler: Handler, options: RouteOptions = {}): void {
    const keys: string[] = []
    const source = path
      .split('/')
      .map(segment => {
        if (segment.startsWith(':')) {
          keys.push(segment.slice(1))
          return '([^/]+)'
        }

        return segment.replaceAll(/[$()*+.?[\\\]^{|}]/g, String.raw`\$&`)
      })
      .join('/')
    const bodyDefault = ['PATCH', 'POST', 'PUT'].includes(method) ? 'json' : 'none'
    this.routes.push({
      handler,
      keys,
      method,
      options: {auth: options.auth ?? true, body: options.body ?? bodyDefault},
      pattern: new RegExp(`^${source}$`),
    })
  }

  delete(path: string, handler: Handler, options?: RouteOptions): void {
    this.add('DELETE', path, handler, options)
  }

  get(path: string, handler: Handler, options?: RouteOptions): void {
    this.add('GET', path, handler, options)
  }

  /** Finds the route for a request; `allowed` lists methods of routes matching the path with another method. */
  match(method: string, path: string): {allowed: string[]; params?: Record<string, string>; route?: Route} {
    const allowed: string[] = []
    for (const route of this.routes) {
      const m = route.pattern.exec(path)
      if (!m) continue
      if (route.method !== method && !(method === 'HEAD' && route.method === 'GET')) {
        allowed.push(route.method)
        continue
      }

      const params: Record<string, string> = {}
      for (const [i, key] of route.keys.entries()) params[key] = decodePathSegment(m[i + 1])
      return {allowed, params, route}
    }

    return {allowed}
  }

  patch(path: string, handler: Handler, options?: RouteOptions): void {
    this.add('PATCH', path, handler, options)
  }

  post(path: string, handler: Handler, options?: RouteOptions): void {
    this.add('POST', path, handler, options)
  }

  put(path: string, handler: Handler, options?: RouteOptions): void {
    this.add('PUT', path, handler, options)
  }
}

export interface DispatchOptions {
  /** Returns true when the request carries the platform token. */
  authenticate: (req: IncomingMessage) => boolean
  router: Router
}

const ACCEPT_RE = /^application\/vnd\.heroku\+json;\s*version=([^\s,;]+)/i

/** A percent-decoded path parameter; a malformed escape (`%E0%A4%A`, `%zz`) is the client's error (400), not a 500. */
function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    throw badRequest(`Malformed percent-encoding in the request path: "${segment}". Escape "%" as %25.`)
  }
}

/** Request-Id may be a comma-separated list (the heroku CLI prepends new ids); the first is the client's. */
function requestIdOf(req: IncomingMessage): string {
  const header = req.headers['request-id']
  const first = (Array.isArray(header) ? header[0] : header)?.split(',')[0]?.trim()
  return first && /^[\w-]{1,200}$/.test(first) ? first : randomUUID()
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, number | string> = {}): void {
  const text = status === 304 ? '' : JSON.stringify(body)
  res.writeHead(status, {
    'Content-Length': Buffer.byteLength(text),
    'Content-Type': 'application/json; charset=utf-8',
    'RateLimit-Remaining': 4500,
    ...headers,
  })
  res.end(text)
}

export function sendError(res: ServerResponse, error: HttpError): void {
  if (res.headersSent) {
    res.destroy()
    return
  }

  const body: ErrorBody = {id: error.id, message: error.message, ...error.extra}
  const headers: Record<string, string> = {}
  if (error.status === 401) headers['WWW-Authenticate'] = 'Bearer realm="ferry"'
  sendJson(res, error.status, body, headers)
}

async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_JSON_BODY) throw tooLarge('Request body is larger than 1 MB.')
    chunks.push(chunk as Buffer)
  }

  const text = Buffer.concat(chunks).toString('utf8').trim()
  if (text === '') return undefined
  try {
    return JSON.parse(text)
  } catch {
    throw badRequest('Request body is not valid JSON.')
  }
}

/** Handles one request: routing, auth, Accept check, body, Range, error mapping. */
export async function dispatch(req: IncomingMessage, res: ServerResponse, options: DispatchOptions): Promise<void> {
  const requestId = requestIdOf(req)
  res.setHeader('Request-Id', requestId)
  try {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const method = (req.method ?? 'GET').toUpperCase()
    const {allowed, params, route} = options.router.match(method, url.pathname)
    if (!route || !params) {
      if (allowed.length > 0) throw new HttpError(405, 'method_not_allowed', `Method ${method} is not allowed on ${url.pathname}.`)
      throw notFound('The requested API endpoint was not found. Are you using the right HTTP verb (i.e. `GET` vs. `POST`), and did you specify your intended version with the `Accept` header?')
    }

    if (route.options.auth && !options.authenticate(req)) throw unauthorized()
    const accept = req.headers.accept
    if (route.options.auth && accept) {
      const m = ACCEPT_RE.exec(accept)
      if (m && !/^3(\.|$)/.test(m[1])) throw errorFor('not_acceptable', `API version ${m[1]} is not supported; send Accept: application/vnd.heroku+json; version=3.`)
    }

    const rangeHeader = req.headers.range
    const range = rangeHeader && rangeHeader.trim() !== '' ? parseRange(rangeHeader) : undefined
    const body = route.options.body === 'json' ? await readJsonBody(req) : undefined
    const ctx: Ctx = {body, method, params, path: url.pathname, query: url.searchParams, range, req, requestId, res}
    const reply = await route.handler(ctx)
    if (reply === undefined) return
    sendJson(res, reply.status ?? 200, reply.body, reply.headers)
  } catch (error) {
    if (error instanceof HttpError) {
      sendError(res, error)
      return
    }

    if (error instanceof StoreError) {
      sendError(res, new HttpError(ERROR_STATUS[error.id], error.id, error.message))
      return
    }

    // Unexpected: log for the operator, answer with Heroku's shape.
    console.error(`[ferry] ${req.method} ${req.url} failed:`, error)
    sendError(res, new HttpError(500, 'internal_server_error', 'Internal server error.'))
  }
}

/** Builds a list reply honouring Range (sort field, first/last, max, order) and Next-Range. */
export function listReply<T extends object>(ctx: Ctx, items: T[], options: RangeOptions): Reply {
  const page = applyRange(items, ctx.range, options)
  const headers: Record<string, string> = {'Accept-Ranges': options.fields.join(', ')}
  if (page.contentRange) headers['Content-Range'] = page.contentRange
  if (page.nextRange) headers['Next-Range'] = page.nextRange
  return {body: page.items, headers, status: page.nextRange ? 206 : 200}
}
