// The CLI's one HTTP transport, node:http(s), for every request it makes: Platform API calls (client.ts), log sessions
// (log-stream.ts), build output and source uploads (resources/builds.ts). Not the global fetch: its undici costs
// ~120 ms of start-up here against ~5 ms for node:http (ARCHITECTURE.md, "CLI transport"). node:https is loaded for
// https URLs only.
import type {Agent, IncomingHttpHeaders, IncomingMessage, RequestOptions} from 'node:http'

export interface ExchangeOptions {
  body?: string | Uint8Array
  headers?: Record<string, string>
  method?: string
  /** The request target as given, on the URL's origin: the API client's paths are sent as built (URL would resolve `..`). */
  path?: string
  /** 'follow'': 3xx answers are followed as fetch does (up to 20); 'manual' (the API client): returned as they are. */
  redirect?: 'follow' | 'manual'
  signal?: AbortSignal
}

/** A response at its head: the body is read with text() or iterated (Buffers), and must be read or discarded. */
export interface TransportResponse {
  body: IncomingMessage
  /** Lower-case names; repeated fields joined with ', '. */
  headers: Record<string, string>
  status: number
  statusText: string
  /** Drops the rest of the body (the connection is not reused). */
  discard(): void
  text(): Promise<string>
}

const REDIRECTS = new Set([301, 302, 303, 307, 308])
const MAX_REDIRECTS = 20

function flattenHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v
  return out
}

async function readText(body: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of body) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/** node:http requests with one keep-alive agent per origin; close() ends them. */
export class Transport {
  private readonly agents = new Map<string, Agent>()

  close(): void {
    for (const agent of this.agents.values()) agent.destroy()
    this.agents.clear()
  }

  /** One request (following redirects when asked); resolves when the response head arrives. */
  async exchange(url: URL | string, options: ExchangeOptions = {}): Promise<TransportResponse> {
    let target = new URL(url)
    let {body, headers = {}, method = 'GET', path} = options
    for (let hop = 0; ; hop++) {
      const res = await this.send(target, {...options, body, headers, method, path})
      const location = res.headers.location
      if (options.redirect !== 'follow' || !REDIRECTS.has(res.statusCode ?? 0) || !location || hop >= MAX_REDIRECTS) return wrap(res)
      res.resume()
      const next = new URL(location, target)
      // As fetch: 303 (and 301/302 after a POST) continue as a GET without body; credentials stay on their origin.
      if (res.statusCode === 303 ? method !== 'HEAD' : (res.statusCode === 301 || res.statusCode === 302) && method === 'POST') {
        method = 'GET'
        body = undefined
        headers = Object.fromEntries(Object.entries(headers).filter(([k]) => !/^content-/i.test(k)))
      }

      path = undefined
      if (next.origin !== target.origin) headers = Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'authorization'))
      target = next
    }
  }

  /** The keep-alive agent of an origin and its module's request(). */
  private async agent(url: URL): Promise<{agent: Agent; request: typeof import('node:http').request}> {
    const mod = url.protocol === 'https:' ? await import('node:https') : await import('node:http')
    let agent = this.agents.get(url.origin)
    if (!agent) {
      agent = new mod.Agent({keepAlive: true, maxSockets: 8})
      this.agents.set(url.origin, agent)
    }

    return {agent, request: mod.request}
  }

  /** One HTTP exchange; retried once when a reused keep-alive connection was closed by the server meanwhile. */
  private async send(url: URL, options: ExchangeOptions & {method: string}, retry = true): Promise<IncomingMessage> {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`Unsupported URL ${url.href}: only http and https`)
    const {agent, request} = await this.agent(url)
    const headers = {...options.headers}
    // A fixed length (never chunked), like fetch: the body's bytes, or 0 for a bodiless POST/PUT/PATCH.
    if (options.body !== undefined) headers['content-length'] = String(Buffer.byteLength(options.body))
    else if (['PATCH', 'POST', 'PUT'].includes(options.method)) headers['content-length'] = '0'
    const requestOptions: RequestOptions = {
      agent,
      headers,
      host: url.hostname.replace(/^\[(.*)]$/, '$1'),
      method: options.method,
      path: options.path ?? url.pathname + url.search,
      port: url.port || undefined,
      signal: options.signal,
    }
    return new Promise((resolve, reject) => {
      let answered = false
      const req = request(requestOptions, res => {
        answered = true
        resolve(res)
      })
      req.on('error', (error: NodeJS.ErrnoException) => {
        // Only before an answer: a reset while reading a body is that body's error, never a second request.
        if (retry && !answered && req.reusedSocket && error.code === 'ECONNRESET') resolve(this.send(url, options, false))
        else reject(error)
      })
      req.end(options.body)
    })
  }
}

function wrap(res: IncomingMessage): TransportResponse {
  return {
    body: res,
    discard: () => res.destroy(),
    headers: flattenHeaders(res.headers),
    status: res.statusCode ?? 0,
    statusText: res.statusMessage ?? '',
    text: () => readText(res),
  }
}
