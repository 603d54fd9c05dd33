// The rules both engines share exist once (src/platform/router/rules.ts, issue 14): the native build includes the
// header rendered from them, so a rule changed in TypeScript reaches router.c at the next build, never by hand.
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {MAX_HEAD_BYTES as HTTP1_MAX_HEAD} from '../../../src/platform/router/http1.js'
import {cHeader, IDEMPOTENT_METHODS, MAX_HEAD_BYTES, page, REASONS} from '../../../src/platform/router/rules.js'
import {binary} from './engines.js'

describe('router rules', () => {
  it('render into a C header with the same limits, methods, reasons and error page', () => {
    const h = cHeader()
    expect(h).toContain(`#define MAX_HEAD ${MAX_HEAD_BYTES}\n`)
    expect(HTTP1_MAX_HEAD).toBe(MAX_HEAD_BYTES)
    for (const m of IDEMPOTENT_METHODS) expect(h).toContain(`!strcmp(m, "${m}")`)
    for (const [status, text] of Object.entries(REASONS)) expect(h).toContain(`case ${status}: return "${text}";`)
    // The printf format, filled in as router.c does, is the Node router's page byte for byte.
    const format = JSON.parse(/#define ERROR_PAGE_FORMAT (".*")\n/.exec(h)![1]) as string
    expect(format.replace('%s', 'The app refused the connection.').replace('%s', 'H10')).toBe(page('Application error', 'The app refused the connection. (H10)'))
  })

  it.skipIf(!binary && !process.env.CI)('are what the built native router was compiled with (run `npm run build` after changing them)', () => {
    expect(readFileSync(join(process.cwd(), 'dist', 'native', 'gen', 'router-rules.h'), 'utf8')).toBe(cHeader())
  })
})
