// The router rules both engines share, written once: the Node router imports them, and scripts/build-native.mjs
// renders them (c-header.ts) into dist/native/gen/router-rules.h, which native/router.h includes. Change a
// rule here and `npm run build` gives both engines the same value (issue 14: these were copied by hand between the two).

/** A request head longer than this gets 431. */
export const MAX_HEAD_BYTES = 64 * 1024
/** A chunk-size line (with extensions) longer than this is malformed. */
export const MAX_CHUNK_LINE = 4096
/** Trailer fields after the last chunk: at most this many bytes. */
export const MAX_TRAILER_BYTES = 64 * 1024
/**
 * Bytes a connection buffers beyond a head (pipelined requests and body behind an exchange, a response the client does
 * not read yet) before the router stops reading from it.
 */
export const MAX_BUFFERED_BYTES = 1024 * 1024
/**
 * The route key of a Host: the app name of `NAME.localhost` (APP_NAME_MIN to APP_NAME_MAX of a-z, 0-9 and `-`, a letter
 * first, no `-` last), else the whole host name when it may be a custom domain (letters, digits, dashes, dot-separated
 * labels, shorter than HOST_NAME_LIMIT).
 */
export const APP_NAME_MIN = 3
export const APP_NAME_MAX = 30
export const HOST_NAME_LIMIT = 256
/** An app name as a route key (see APP_NAME_MIN). */
export const APP_NAME = new RegExp(`^[a-z][\\da-z-]{${APP_NAME_MIN - 2},${APP_NAME_MAX - 2}}[\\da-z]$`)
/** Methods a request may be retried with on another dyno when nothing came back (RFC 9110 §9.2.2). */
export const IDEMPOTENT_METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PUT', 'TRACE'] as const
/** Token characters (RFC 9110 §5.6.2): what a method and a field name are made of. */
export const TOKEN_CHARS = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

/**
 * An incoming X-Request-Id is kept as the request's id when it is REQUEST_ID_MIN to REQUEST_ID_MAX of these
 * characters (Heroku's rule); else the router makes a UUID.
 */
export const REQUEST_ID_CHARS = '+-./0123456789:=ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz'
export const REQUEST_ID_MIN = 20
export const REQUEST_ID_MAX = 200

/**
 * Request fields that never reach a dyno as the client sent them (lower case): the hop-by-hop fields (RFC 9110
 * §7.6.1: Connection and the fields it names, Keep-Alive, Proxy-Connection, TE, Trailer, Upgrade) and the ones the
 * router writes itself (X-Forwarded-For, -Port and -Proto, X-Request-Id, Via; an upgrade's Connection and Upgrade are
 * written again). The Node router drops them; the native one drops them too, or leaves the request to the Node router
 * (Via and X-Forwarded-For are merged there, upgrades tunnelled there).
 */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade'] as const
export const REQUEST_HOP_BY_HOP = [...HOP_BY_HOP, 'via', 'x-forwarded-for', 'x-forwarded-port', 'x-forwarded-proto', 'x-request-id'] as const
/** Response fields that never reach a client as the dyno sent them: the router writes its own Connection decision. */
export const RESPONSE_HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection'] as const
/**
 * Fields a Connection header must not name. A proxy drops the fields Connection names (RFC 9110 §7.6.1), so
 * `Connection: keep-alive, Content-Length` would have the body framed here and the length stripped on the way to the
 * dyno, which then reads the body as the next request (smuggling). Such a message is rejected (a request 400, a
 * response 502), never rewritten. Host counts for requests (the dyno would see none).
 */
export const FRAMING_FIELDS = {request: ['content-length', 'transfer-encoding', 'host'], response: ['content-length', 'transfer-encoding']} as const

/** The reason phrases of the router's own answers. */
export const REASONS: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  404: 'Not Found',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  505: 'HTTP Version Not Supported',
}

/**
 * The head of the router's own answers (`{status}`, its `{reason}` from REASONS, the page's `{length}` in bytes),
 * followed by `Connection: close` when the router closes after it, then the page.
 */
export const ANSWER_HEAD = 'HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {length}\r\nCache-Control: no-cache, no-store\r\n'

/**
 * The fields the router adds to a request head for the dyno, after the client's own (minus REQUEST_HOP_BY_HOP):
 * `{fwd}` the client's address (after the X-Forwarded-For the client sent, if any, and ", "), `{port}` the router's
 * public port, `{request_id}`, `{via}` the Via the client sent followed by ", " (else nothing), `{connection}`
 * keep-alive (close for HTTP/1.0; for an upgrade `Upgrade` and the Upgrade field line).
 */
export const FORWARDED_FIELDS =
  '\r\nX-Forwarded-For: {fwd}\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Port: {port}\r\nX-Request-Id: {request_id}\r\nVia: {via}1.1 ferry\r\nConnection: {connection}\r\n\r\n'

/** The sentence of the 408 answer to a head that did not arrive within the head deadline (slowloris). */
export const HEAD_TIMEOUT_DETAIL = 'The request head did not arrive in time.'

/** An app error the router answers itself: Heroku's code, the log line's desc, the page's sentence. */
export interface AppError {
  code: string
  desc: string
  detail: string
}

/** The app errors both engines answer (the H10/H14 of an app without a web dyno and H80 are the Node router's). */
export const APP_ERRORS = {
  /** The dyno refused the connection (after the retries the request allows). */
  refused: {code: 'H10', desc: 'App crashed', detail: 'The app refused the connection.'},
  /** No response head within the request timeout. */
  timeout: {code: 'H12', desc: 'Request timeout', detail: 'The app did not answer within 30 seconds.'},
  /** The dyno closed the connection before its response (or in the middle of it). */
  closed: {code: 'H13', desc: 'Connection closed without response', detail: 'The app closed the connection without a response.'},
  /** The response head or its framing is invalid. */
  malformed: {code: 'H17', desc: 'Poorly formatted HTTP response', detail: 'The app sent an invalid HTTP response.'},
} as const satisfies Record<string, AppError>

/** The router's own HTML pages: PAGE_HEAD + title + PAGE_MIDDLE + title + PAGE_DETAIL + detail + PAGE_TAIL. */
export const PAGE_HEAD = '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>'
export const PAGE_MIDDLE = '</title></head>\n<body style="font-family:sans-serif;margin:4em auto;max-width:40em">\n<h1>'
export const PAGE_DETAIL = '</h1>\n<p>'
export const PAGE_TAIL = '</p>\n<p><small>ferry router</small></p>\n</body></html>\n'

export function page(title: string, detail: string): string {
  return PAGE_HEAD + title + PAGE_MIDDLE + title + PAGE_DETAIL + detail + PAGE_TAIL
}

/**
 * The `heroku[router]` log line, in Heroku's format: LOG_ERROR (the router's own answers; `at={at} ` alone for a
 * dyno's), then LOG_REQUEST, then LOG_RESULT. `{name}` is a value; in a quoted value (`path`) a `"` is written %22.
 */
export const LOG_ERROR = 'at={at} code={code} desc="{desc}" '
export const LOG_INFO = 'at={at} '
export const LOG_REQUEST = 'method={method} path="{path}" host={host} request_id={request_id} fwd="{fwd}" '
export const LOG_RESULT = 'dyno={dyno} connect={connect}ms service={service}ms status={status} bytes={bytes} protocol=http'

/** A template (the log line's, ANSWER_HEAD) as literal text and value names, alternating: [text, name, text, name, …, text]. */
export function templateParts(template: string): string[] {
  return template.split(/{(\w+)}/)
}

/** A template with its `{name}`s filled in from `values` (a name without a value stays as it is). */
export function fillTemplate(template: string, values: Record<string, number | string>): string {
  return templateParts(template).map((part, i) => (i % 2 === 0 ? part : String(values[part] ?? `{${part}}`))).join('')
}
