// The router rules both engines share, written once: the Node router imports them, and scripts/build-native.mjs
// renders them (cHeader()) into dist/native/gen/router-rules.h, which native/router.c includes. Change a rule here and
// `npm run build` gives both engines the same value (issue 14: these were copied by hand between the two).

/** A request head longer than this gets 431. */
export const MAX_HEAD_BYTES = 64 * 1024
/** A chunk-size line (with extensions) longer than this is malformed. */
export const MAX_CHUNK_LINE = 4096
/** Trailer fields after the last chunk: at most this many bytes. */
export const MAX_TRAILER_BYTES = 64 * 1024
/** Methods a request may be retried with on another dyno when nothing came back (RFC 9110 §9.2.2). */
export const IDEMPOTENT_METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PUT', 'TRACE'] as const
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
/** The router's own HTML pages: PAGE_HEAD + title + PAGE_MIDDLE + title + PAGE_DETAIL + detail + PAGE_TAIL. */
export const PAGE_HEAD = '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>'
export const PAGE_MIDDLE = '</title></head>\n<body style="font-family:sans-serif;margin:4em auto;max-width:40em">\n<h1>'
export const PAGE_DETAIL = '</h1>\n<p>'
export const PAGE_TAIL = '</p>\n<p><small>ferry router</small></p>\n</body></html>\n'

export function page(title: string, detail: string): string {
  return PAGE_HEAD + title + PAGE_MIDDLE + title + PAGE_DETAIL + detail + PAGE_TAIL
}

/** A C string literal of s (JSON's escapes for quotes, backslashes and newlines are C's); `%` doubled for printf. */
function cString(s: string, printf = false): string {
  return JSON.stringify(printf ? s.replaceAll('%', '%%') : s)
}

/** The C header of these rules (generated: never edit it, edit this module). */
export function cHeader(): string {
  const reasons = Object.entries(REASONS).map(([status, text]) => `    case ${status}: return ${cString(text)};`)
  const methods = IDEMPOTENT_METHODS.map(m => `!strcmp(m, ${cString(m)})`).join(' || ')
  return [
    '/* Generated from src/platform/router/rules.ts by scripts/build-native.mjs: do not edit. */',
    '#ifndef FERRY_ROUTER_RULES_H',
    '#define FERRY_ROUTER_RULES_H',
    '#include <string.h>',
    `#define MAX_HEAD ${MAX_HEAD_BYTES}`,
    `#define MAX_CHUNK_LINE ${MAX_CHUNK_LINE}`,
    `#define MAX_TRAILER ${MAX_TRAILER_BYTES}`,
    '/* An error page: printf format with the detail (%s) and the code (%s). */',
    `#define ERROR_PAGE_FORMAT ${cString(page('Application error', '\u0000 (\u0001)'), true).replace('\\u0000', '%s').replace('\\u0001', '%s')}`,
    'static inline const char *reason(int status) {',
    '  switch (status) {',
    ...reasons,
    '    default: return "Error";',
    '  }',
    '}',
    `static inline int idempotent_method(const char *m) { return ${methods}; }`,
    '#endif',
    '',
  ].join('\n')
}
