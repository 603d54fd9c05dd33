import {describe, expect, it} from 'vitest'

import type {Dyno} from '../../src/api/types.js'

import {renderDynos} from '../../src/cli/ps.js'

const now = new Date('2025-01-01T12:03:00Z')
const dyno = (name: string, command: string, state: Dyno['state'] = 'up'): Dyno => ({
  app: {id: 'a', name: 'demo'}, attach_url: null, command, created_at: '2025-01-01T12:00:00Z', id: name, name,
  release: {id: 'r', version: 3}, size: 'Basic', state, type: name.split('.')[0], updated_at: '2025-01-01T12:00:00Z',
})

describe('ps rendering', () => {
  it('groups dynos by command after the one-offs, sorted numerically', () => {
    const out = renderDynos([dyno('web.10', 'npm start'), dyno('worker.1', 'node worker.js', 'crashed'), dyno('web.2', 'npm start'), dyno('run.4821', 'bash')], now)
    const date = String.raw`\d{4}/\d\d/\d\d \d\d:\d\d:\d\d [+-]\d{4} \(~ 3m ago\)`
    expect(out).toMatch(new RegExp([
      String.raw`^=== run: one-off processes \(1\)`,
'',
`run\\.4821 \\(Basic\\): up ${date}: bash`,
'',
      String.raw`=== web \(Basic\): npm start \(2\)`,
'',
`web\\.2: up ${date}`,
`web\\.10: up ${date}`,
'',
      String.raw`=== worker \(Basic\): node worker\.js \(1\)`,
'',
`worker\\.1: crashed ${date}`,
'$',
    ].join('\n')))
  })
})
