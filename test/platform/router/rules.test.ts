// The rules both engines share exist once (src/platform/router/rules.ts, issue 14): the native build includes the
// header rendered from them (c-header.ts), so a rule changed in TypeScript reaches native/ at the next build, never
// by hand; the Node router reads the same values.
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {cHeader} from '../../../src/platform/router/c-header.js'
import {routeKey} from '../../../src/platform/router/proxy.js'
import {routerResponse} from '../../../src/platform/router/proxy/error-pages.js'
import {MAX_HEAD_BYTES as HTTP1_MAX_HEAD, namesFramingField, parseRequestHead, parseResponseHead} from '../../../src/platform/router/http1.js'
import {
  APP_ERRORS,
  APP_NAME_MAX,
  APP_NAME_MIN,
  fillTemplate,
  FORWARDED_FIELDS,
  FRAMING_FIELDS,
  HOST_NAME_LIMIT,
  IDEMPOTENT_METHODS,
  LOG_REQUEST,
  templateParts,
  MAX_HEAD_BYTES,
  page,
  REASONS,
  REQUEST_HOP_BY_HOP,
  REQUEST_ID_CHARS,
  REQUEST_ID_MAX,
  REQUEST_ID_MIN,
  RESPONSE_HOP_BY_HOP,
  TOKEN_CHARS,
} from '../../../src/platform/router/rules.js'
import {binary} from './engines.js'

const header = (text: string) => {
  const buf = Buffer.from(text, 'latin1')
  return {buf, end: buf.indexOf('\r\n\r\n') + 4}
}

/** The names a generated `static inline int fn(const char *s, size_t n)` accepts. */
function cNames(h: string, fn: string): string[] {
  const body = new RegExp(`static inline int ${fn}\\(const char \\*s, size_t n\\) \\{([\\s\\S]*?)\\n\\}`).exec(h)![1]
  return [...body.matchAll(/name_is\(s, n, "([^"]+)"\)/g)].map(m => m[1]).sort()
}

describe('router rules', () => {
  it('render into a C header with the same limits, methods, reasons and error page', () => {
    const h = cHeader()
    expect(h).toContain(`#define MAX_HEAD ${MAX_HEAD_BYTES}\n`)
    expect(HTTP1_MAX_HEAD).toBe(MAX_HEAD_BYTES)
    for (const m of IDEMPOTENT_METHODS) expect(h).toContain(`!strcmp(m, "${m}")`)
    for (const [status, text] of Object.entries(REASONS)) expect(h).toContain(`case ${status}: return "${text}";`)
    // The printf format, filled in as native/exchange.c does, is the Node router's page byte for byte.
    const format = JSON.parse(/#define ERROR_PAGE_FORMAT (".*")\n/.exec(h)![1]) as string
    expect(format.replace('%s', 'The app refused the connection.').replace('%s', 'H10')).toBe(page('Application error', 'The app refused the connection. (H10)'))
    // So is the head of the answer around it.
    const head = JSON.parse(/#define ANSWER_HEAD_FORMAT (".*")\n/.exec(h)![1]) as string
    expect(`${head.replace('%d', '502').replace('%s', 'Bad Gateway').replace('%zu', '5')}Connection: close\r\n\r\nhello`).toBe(routerResponse(502, 'hello', true))
    // And the fields added for the dyno, printed with native/request.c's arguments in its order.
    expect(h).toContain('printf format with fwd, port, request_id, via, connection. */')
    const forwarded = JSON.parse(/#define FORWARDED_FIELDS_FORMAT (".*")\n/.exec(h)![1]) as string
    const printed = forwarded.replace('%s', '10.0.0.1').replace('%d', '8080').replace('%s', 'r-1').replace('%s', '').replace('%s', 'keep-alive')
    expect(printed).toBe(fillTemplate(FORWARDED_FIELDS, {connection: 'keep-alive', fwd: '10.0.0.1', port: 8080, request_id: 'r-1', via: ''}))
  })

  it('give both engines the same hop-by-hop fields and framing rule', () => {
    const h = cHeader()
    expect(cNames(h, 'request_hop_by_hop')).toEqual([...REQUEST_HOP_BY_HOP].sort())
    expect(cNames(h, 'response_hop_by_hop')).toEqual([...RESPONSE_HOP_BY_HOP].sort())
    expect(cNames(h, 'response_framing_field')).toEqual([...FRAMING_FIELDS.response].sort())
    // The Node parser: every request hop-by-hop field is collected (so the head rewrite can drop it), and a response's
    // hop-by-hop lines are the ones it leaves out.
    const fields = REQUEST_HOP_BY_HOP.map(name => `${name}: x`).join('\r\n')
    const {buf, end} = header(`GET / HTTP/1.1\r\nHost: a.localhost\r\n${fields}\r\n\r\n`)
    expect(parseRequestHead(buf, 0, end).headers.map(f => f.lower).filter(n => n !== 'host').sort()).toEqual([...REQUEST_HOP_BY_HOP].sort())
    const res = header(`HTTP/1.1 200 OK\r\n${RESPONSE_HOP_BY_HOP.map(name => `${name}: keep-alive`).join('\r\n')}\r\nX-Other: 1\r\n\r\n`)
    expect(parseResponseHead(res.buf, 0, res.end).hop.length).toBe(2 * RESPONSE_HOP_BY_HOP.length)
    for (const name of FRAMING_FIELDS.request) expect(namesFramingField(['keep-alive', name], true)).toBe(true)
    for (const name of FRAMING_FIELDS.response) expect(namesFramingField([name], false)).toBe(true)
    expect(namesFramingField(['host'], false)).toBe(false)
  })

  it('give both engines the same request-id characters, token characters, app errors and log line', () => {
    const h = cHeader()
    expect(h).toContain(`#define REQUEST_ID_CHARS ${JSON.stringify(REQUEST_ID_CHARS)}\n#define REQUEST_ID_MIN ${REQUEST_ID_MIN}\n#define REQUEST_ID_MAX ${REQUEST_ID_MAX}\n`)
    expect(h).toContain(`#define TOKEN_CHARS ${JSON.stringify(TOKEN_CHARS)}\n`)
    expect(h).toContain(`#define APP_NAME_MIN ${APP_NAME_MIN}\n#define APP_NAME_MAX ${APP_NAME_MAX}\n#define HOST_NAME_LIMIT ${HOST_NAME_LIMIT}\n`)
    // The Node router's route key keeps an app name of exactly those lengths.
    expect(routeKey(`a${'b'.repeat(APP_NAME_MAX - 1)}.localhost`)).toBe(`a${'b'.repeat(APP_NAME_MAX - 1)}`)
    expect(routeKey(`a${'b'.repeat(APP_NAME_MAX)}.localhost`)).toBe(`a${'b'.repeat(APP_NAME_MAX)}.localhost`)
    expect(routeKey(`a${'b'.repeat(APP_NAME_MIN - 2)}.localhost`)).toBe(`a${'b'.repeat(APP_NAME_MIN - 2)}.localhost`)
    // The Node parser keeps an id made of exactly those characters, within the lengths, and no other.
    const id = (value: string) => {
      const {buf, end} = header(`GET / HTTP/1.1\r\nHost: a.localhost\r\nX-Request-Id: ${value}\r\n\r\n`)
      return parseRequestHead(buf, 0, end).requestId
    }

    const all = REQUEST_ID_CHARS.repeat(3).slice(0, REQUEST_ID_MAX)
    expect(id(all)).toBe(all)
    expect(id(all.slice(0, REQUEST_ID_MIN - 1))).toBe('')
    expect(id(`${all.slice(0, REQUEST_ID_MAX)}x`)).toBe('')
    expect(id(`${all.slice(0, 30)}^`)).toBe('')
    for (const e of Object.values(APP_ERRORS)) expect(h).toContain(`${JSON.stringify(e.code)}, ${JSON.stringify(e.desc)}, ${JSON.stringify(e.detail)}\n`)
    const items = templateParts(LOG_REQUEST).map((part, i) => (i % 2 === 0 ? (part === '' ? '' : `LIT(${JSON.stringify(part)})`) : `VAL(${part})`)).filter(Boolean)
    expect(h).toContain(`#define LOG_REQUEST(LIT, VAL) ${items.join(' ')}\n`)
  })

  it.skipIf(!binary && !process.env.CI)('are what the built native router was compiled with (run `npm run build` after changing them)', () => {
    expect(readFileSync(join(process.cwd(), 'dist', 'native', 'gen', 'router-rules.h'), 'utf8')).toBe(cHeader())
  })
})
