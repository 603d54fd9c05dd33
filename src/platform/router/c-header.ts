// The router rules (rules.ts) rendered as the C header native/router.h includes: scripts/build-native.mjs writes it to
// dist/native/gen/router-rules.h at every build, so the two engines cannot drift (issue 14). Values become macros,
// lists become the functions that test them, and log templates become X-macros (LIT(text) VAL(name) …) that the C
// expands into its own appends.
import {
  ANSWER_HEAD,
  APP_NAME_MAX,
  APP_NAME_MIN,
  APP_ERRORS,
  FORWARDED_FIELDS,
  FRAMING_FIELDS,
  HEAD_TIMEOUT_DETAIL,
  HOST_NAME_LIMIT,
  IDEMPOTENT_METHODS,
  LOG_ERROR,
  LOG_INFO,
  LOG_REQUEST,
  LOG_RESULT,
  templateParts,
  MAX_BUFFERED_BYTES,
  MAX_CHUNK_LINE,
  MAX_HEAD_BYTES,
  MAX_TRAILER_BYTES,
  page,
  REASONS,
  REQUEST_HOP_BY_HOP,
  REQUEST_ID_CHARS,
  REQUEST_ID_MAX,
  REQUEST_ID_MIN,
  RESPONSE_HOP_BY_HOP,
  TOKEN_CHARS,
} from './rules.js'

/** A C string literal of s (JSON's escapes for quotes, backslashes and newlines are C's); `%` doubled for printf. */
function cString(s: string, printf = false): string {
  return JSON.stringify(printf ? s.replaceAll('%', '%%') : s)
}

/** A C function `int NAME(const char *s, size_t n)`: s[0, n) is one of `names` (lower case), ignoring ASCII case. */
function nameTest(fn: string, names: readonly string[]): string[] {
  const byLength = new Map<number, string[]>()
  for (const name of names) byLength.set(name.length, [...(byLength.get(name.length) ?? []), name])
  const cases = [...byLength.entries()].sort(([a], [b]) => a - b).map(([length, list]) => `    case ${length}: return ${list.map(n => `name_is(s, n, ${cString(n)})`).join(' || ')};`)
  return [`static inline int ${fn}(const char *s, size_t n) {`, '  switch (n) {', ...cases, '    default: return 0;', '  }', '}']
}

/** How native/request.c prints FORWARDED_FIELDS's values (the port is an int, the rest strings). */
const FORWARDED_CONVERSIONS = {connection: '%s', fwd: '%s', port: '%d', request_id: '%s', via: '%s'}

/** A C printf format (a string literal) of a template whose `{name}`s are printed with `conversions[name]`, in order. */
function printfFormat(template: string, conversions: Record<string, string>): string {
  return templateParts(template)
    .map((part, i) => (i % 2 === 0 ? cString(part, true) : `"${conversions[part] ?? `{${part}}`}"`))
    .join(' ')
    .replaceAll('" "', '')
}

/** An X-macro of a log template: `#define NAME(LIT, VAL) LIT("text") VAL(name) …`. */
function logMacro(name: string, template: string): string {
  const parts = templateParts(template)
  const items = parts.map((part, i) => (i % 2 === 0 ? (part === '' ? '' : `LIT(${cString(part)})`) : `VAL(${part})`)).filter(Boolean)
  return `#define ${name}(LIT, VAL) ${items.join(' ')}`
}

/** The C header of the rules (generated: never edit it, edit rules.ts). */
export function cHeader(): string {
  const reasons = Object.entries(REASONS).map(([status, text]) => `    case ${status}: return ${cString(text)};`)
  const methods = IDEMPOTENT_METHODS.map(m => `!strcmp(m, ${cString(m)})`).join(' || ')
  const forwardedArgs = templateParts(FORWARDED_FIELDS).filter((_, i) => i % 2 === 1)
  const errors = Object.entries(APP_ERRORS).flatMap(([key, e]) => [
    `#define APP_ERROR_${key.toUpperCase()} ${cString(e.code)}, ${cString(e.desc)}, ${cString(e.detail)}`,
    `#define APP_ERROR_${key.toUpperCase()}_LOG ${cString(e.code)}, ${cString(e.desc)}`,
  ])
  return [
    '/* Generated from src/platform/router/rules.ts by scripts/build-native.mjs: do not edit. */',
    '#ifndef FERRY_ROUTER_RULES_H',
    '#define FERRY_ROUTER_RULES_H',
    '#include <stddef.h>',
    '#include <string.h>',
    `#define MAX_HEAD ${MAX_HEAD_BYTES}`,
    `#define MAX_CHUNK_LINE ${MAX_CHUNK_LINE}`,
    `#define MAX_TRAILER ${MAX_TRAILER_BYTES}`,
    `#define MAX_BUFFERED ${MAX_BUFFERED_BYTES}`,
    `#define TOKEN_CHARS ${cString(TOKEN_CHARS)}`,
    '/* Route keys: an app name of APP_NAME_MIN to APP_NAME_MAX bytes; a host name shorter than HOST_NAME_LIMIT. */',
    `#define APP_NAME_MIN ${APP_NAME_MIN}`,
    `#define APP_NAME_MAX ${APP_NAME_MAX}`,
    `#define HOST_NAME_LIMIT ${HOST_NAME_LIMIT}`,
    '/* An incoming X-Request-Id is kept when it is REQUEST_ID_MIN to REQUEST_ID_MAX of these characters. */',
    `#define REQUEST_ID_CHARS ${cString(REQUEST_ID_CHARS)}`,
    `#define REQUEST_ID_MIN ${REQUEST_ID_MIN}`,
    `#define REQUEST_ID_MAX ${REQUEST_ID_MAX}`,
    '/* The head of the router\'s own answers: printf format with the status (%d), reason (%s) and length (%zu). */',
    `#define ANSWER_HEAD_FORMAT ${printfFormat(ANSWER_HEAD, {length: '%zu', reason: '%s', status: '%d'})}`,
    `/* The fields added to a request head for the dyno: printf format with ${forwardedArgs.join(', ')}. */`,
    `#define FORWARDED_FIELDS_FORMAT ${printfFormat(FORWARDED_FIELDS, FORWARDED_CONVERSIONS)}`,
    '/* A page: printf format with the title (%s), the title again (%s) and the detail (%s). */',
    `#define PAGE_FORMAT ${cString(page('\u0000', '\u0001'), true).replace('\\u0000', '%s').replace('\\u0000', '%s').replace('\\u0001', '%s')}`,
    `#define HEAD_TIMEOUT_DETAIL ${cString(HEAD_TIMEOUT_DETAIL)}`,
    '/* An error page: printf format with the detail (%s) and the code (%s). */',
    `#define ERROR_PAGE_FORMAT ${cString(page('Application error', '\u0000 (\u0001)'), true).replace('\\u0000', '%s').replace('\\u0001', '%s')}`,
    '/* App errors: APP_ERROR_X is code, desc, detail (respond_error\'s arguments); APP_ERROR_X_LOG code, desc. */',
    ...errors,
    'static inline const char *reason(int status) {',
    '  switch (status) {',
    ...reasons,
    '    default: return "Error";',
    '  }',
    '}',
    `static inline int idempotent_method(const char *m) { return ${methods}; }`,
    '/* `s[0,n)` equals the lower-case literal, ignoring ASCII case. */',
    'static inline int name_is(const char *s, size_t n, const char *lit) {',
    '  size_t m = strlen(lit);',
    '  if (n != m) return 0;',
    '  for (size_t i = 0; i < n; i++)',
    '    if (((unsigned char)s[i] | 0x20) != (unsigned char)lit[i]) return 0;',
    '  return 1;',
    '}',
    '/* Request fields that never reach a dyno as sent (hop-by-hop, and those the router writes itself). */',
    ...nameTest('request_hop_by_hop', REQUEST_HOP_BY_HOP),
    '/* Response fields that never reach a client as sent (the router writes its own Connection). */',
    ...nameTest('response_hop_by_hop', RESPONSE_HOP_BY_HOP),
    // Requests: the native engine routes only a lone `Connection: close` or `keep-alive` and leaves any other list to
    // the Node router, which rejects one naming a framing field (FRAMING_FIELDS.request): one judge of requests.
    '/* Connection tokens of a response that name a framing field: the response is rejected (502). */',
    ...nameTest('response_framing_field', FRAMING_FIELDS.response),
    '/* The heroku[router] log line: LOG_ERROR or LOG_INFO, LOG_REQUEST, LOG_RESULT; LIT(text) a literal, VAL(name) a value. */',
    logMacro('LOG_ERROR', LOG_ERROR),
    logMacro('LOG_INFO', LOG_INFO),
    logMacro('LOG_REQUEST', LOG_REQUEST),
    logMacro('LOG_RESULT', LOG_RESULT),
    '#endif',
    '',
  ].join('\n')
}
