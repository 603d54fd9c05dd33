import {describe, expect, it} from 'vitest'

import {RendezvousOutput} from '../../src/api/rendezvous.js'
import {logLineJson, renderLogLine} from '../../src/cli/logs.js'
import {buildCommand, parseEnvFlags} from '../../src/cli/run.js'

describe('logs and run helpers', () => {
  it('renders log lines like the heroku CLI (header + one space + trimmed message)', () => {
    const line = '2026-11-25T14:03:11.123456+00:00 app[web.1]:   hi there  '
    expect(renderLogLine(line, false)).toBe('2026-11-25T14:03:11.123456+00:00 app[web.1]: hi there')
    expect(renderLogLine('not a log line', false)).toBe('not a log line')
    const colored = renderLogLine('2026-11-25T14:03:11.123456+00:00 heroku[router]: at=info', true)
    expect(colored).toContain('at=info')
    expect(JSON.parse(logLineJson(line, 4))).toEqual({dyno: 'web.1', id: 4, message: '  hi there  ', source: 'app', time: '2026-11-25T14:03:11.123456+00:00'})
  })

  it('builds the command line and parses -e like the heroku CLI', () => {
    expect(buildCommand(['echo $FOO; exit 3'])).toBe('echo $FOO; exit 3')
    expect(buildCommand(['echo', 'a b', 'c"d', 'e'])).toBe(String.raw`echo "a b" "c\"d" e`)
    expect(parseEnvFlags(['A=1;B=two', 'C=x=y'])).toEqual({A: '1', B: 'two', C: 'x=y'})
    expect(() => parseEnvFlags(['nope'])).toThrow(/Invalid --env/)
  })

  it('strips the rendezvous greeting and the exit status marker, even split across chunks', () => {
    const out = new RendezvousOutput()
    let text = ''
    for (const chunk of ['rendez', 'vous\r\nhello\n', 'world\n\uFFFF heroku-command-', 'exit-status: 3', '\n']) text += out.push(chunk)
    text += out.flush()
    expect(text).toBe('hello\nworld\n')
    expect(out.status).toBe(3)
    const plain = new RendezvousOutput()
    expect(plain.push('rendezvous\r\nno marker') + plain.flush()).toBe('no marker')
    expect(plain.status).toBeUndefined()
  })
})
