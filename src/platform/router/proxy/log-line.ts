// The router's log line: one `heroku[router]` line per request, in Heroku's format
// (`at=info method=GET path="/" host=… request_id=… fwd="…" dyno=web.1 connect=0ms service=3ms status=200 bytes=…`),
// with `code=` and `desc=` after `at=` for the router's own answers (H10, H12, H13, H17, H80 …). The format is
// rules.ts's (LOG_ERROR, LOG_INFO, LOG_REQUEST, LOG_RESULT), which native/log.c and request.c expand from the same templates.

import type {Exchange} from './exchange.js'

import {LOG_ERROR, LOG_INFO, LOG_REQUEST, LOG_RESULT, templateParts} from '../rules.js'
import {monotonicMs} from '../../time.js'

interface Values {
  at: string
  code?: string
  desc?: string
  ex: Exchange
  status: number
}

/** A path as the log line quotes it: `"` would end the quoted value, so it is written %22. */
function quote(s: string): string {
  return s.includes('"') ? s.replaceAll('"', '%22') : s
}

/** Each `{name}` a template may hold. */
const VALUES: Record<string, (v: Values) => number | string> = {
  at: v => v.at,
  bytes: v => v.ex.bytes,
  code: v => v.code ?? '',
  connect: v => Math.round(v.ex.connectMs),
  desc: v => v.desc ?? '',
  dyno: v => v.ex.target.dyno,
  fwd: v => v.ex.client.fwd,
  host: v => v.ex.hostname,
  method: v => v.ex.req.method,
  path: v => quote(v.ex.req.target),
  request_id: v => v.ex.requestId,
  service: v => Math.round(monotonicMs() - v.ex.started),
  status: v => v.status,
}

/** A template as a function of the values (a `{name}` not in VALUES is an error in rules.ts, found at load). */
function compile(template: string): (v: Values) => string {
  const parts = templateParts(template)
  const get = parts.filter((_, i) => i % 2 === 1).map(name => {
    const value = VALUES[name]
    if (!value) throw new Error(`router log template: unknown value {${name}} (rules.ts)`)
    return value
  })
  return v => {
    let out = parts[0]
    for (let k = 0; k < get.length; k++) out += get[k](v) + parts[(2 * k) + 2]
    return out
  }
}

const errorLine = compile(LOG_ERROR + LOG_REQUEST + LOG_RESULT)
const infoLine = compile(LOG_INFO + LOG_REQUEST + LOG_RESULT)

/** The log line of a finished exchange (without the `heroku[router]: ` prefix). */
export function logLine(ex: Exchange, status: number, at = 'info', code?: string, desc?: string): string {
  return (code === undefined ? infoLine : errorLine)({at, code, desc, ex, status})
}
