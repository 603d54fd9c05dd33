// The router's log line: one `heroku[router]` line per request, in Heroku's format
// (`at=info method=GET path="/" host=… request_id=… fwd="…" dyno=web.1 connect=0ms service=3ms status=200 bytes=…`),
// with `code=` and `desc=` after `at=` for the router's own errors (H10, H12, H13, H17, H80 …).
import {performance} from 'node:perf_hooks'

import type {Exchange} from './exchange.js'

/** A path as the log line quotes it: `"` would end the quoted value, so it is written %22. */
function quote(s: string): string {
  return s.includes('"') ? s.replaceAll('"', '%22') : s
}

/** The log line of a finished exchange (without the `heroku[router]: ` prefix). */
export function logLine(ex: Exchange, status: number, at = 'info', code?: string, desc?: string): string {
  return (
    (code === undefined ? `at=${at} ` : `at=${at} code=${code} desc="${desc}" `) +
    `method=${ex.req.method} path="${quote(ex.req.target)}" host=${ex.hostname} request_id=${ex.requestId} fwd="${ex.client.fwd}" ` +
    `dyno=${ex.target.dyno} connect=${Math.round(ex.connectMs)}ms service=${Math.round(performance.now() - ex.started)}ms status=${status} bytes=${ex.bytes} protocol=http`
  )
}
