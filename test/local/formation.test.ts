import {describe, expect, it} from 'vitest'

import {
  basePort,
  colorEnabled,
  DEFAULT_BASE_PORT,
  describeExit,
  exitStatus,
  formatClock,
  LocalError,
  parseProcfile,
  parseSelection,
  planProcesses,
  PrefixedOutput,
  processEnv,
  resolveSelection,
  restartDelay,
} from '../../src/local/index.js'

describe('local formation, ports and output', () => {
  const procfile = parseProcfile('web: node web.js\nworker: node worker.js\nclock: node clock.js\nrelease: ./migrate\n')

  function message(fn: () => unknown): string {
    try {
      fn()
    } catch (error) {
      expect(error).toBeInstanceOf(LocalError)
      return (error as Error).message
    }

    throw new Error('expected an error')
  }

  describe('selection', () => {
    it('parses web, web=2, comma lists and several arguments; later mentions override', () => {
      expect(parseSelection(['web'])).toEqual([{count: 1, type: 'web'}])
      expect(parseSelection(['web=2'])).toEqual([{count: 2, type: 'web'}])
      expect(parseSelection(['web=1,worker=2'])).toEqual([{count: 1, type: 'web'}, {count: 2, type: 'worker'}])
      expect(parseSelection(['web=2,worker=1', 'worker=3', 'clock'])).toEqual([
        {count: 2, type: 'web'},
        {count: 3, type: 'worker'},
        {count: 1, type: 'clock'},
      ])
      expect(parseSelection([])).toEqual([])
    })

    it('rejects malformed items and absurd counts', () => {
      expect(message(() => parseSelection(['web=x']))).toMatch(/Invalid process selection "web=x"/)
      expect(message(() => parseSelection(['web=-1']))).toMatch(/Invalid process selection/)
      expect(message(() => parseSelection(['web=101']))).toMatch(/at most 100/)
    })

    it('defaults to one of each type except release, in Procfile order', () => {
      expect(resolveSelection(procfile, [])).toEqual([
        {count: 1, type: 'web'},
        {count: 1, type: 'worker'},
        {count: 1, type: 'clock'},
      ])
    })

    it('refuses a Procfile with nothing but release unless release is named', () => {
      const onlyRelease = parseProcfile('release: ./migrate')
      expect(message(() => resolveSelection(onlyRelease, []))).toMatch(/defines no process types to run/)
      expect(resolveSelection(onlyRelease, parseSelection(['release']))).toEqual([{count: 1, type: 'release'}])
    })

    it('rejects unknown types naming the known ones, and drops zero counts', () => {
      expect(message(() => resolveSelection(procfile, parseSelection(['web,wrker=2'])))).toBe('Unknown process type "wrker"; the Procfile defines: web, worker, clock, release.')
      expect(resolveSelection(procfile, parseSelection(['web=0,worker=1']))).toEqual([{count: 1, type: 'worker'}])
    })
  })

  describe('ports', () => {
    it('numbers like heroku local: base + instance + 100 per selected type', () => {
      const specs = planProcesses(procfile, resolveSelection(procfile, parseSelection(['web=2,worker=1,clock=2'])), 5006)
      expect(specs.map(s => [s.name, s.port])).toEqual([
        ['web.1', 5006],
        ['web.2', 5007],
        ['worker.1', 5106],
        ['clock.1', 5206],
        ['clock.2', 5207],
      ])
      // The hundred follows the selection order, not the Procfile order.
      expect(planProcesses(procfile, parseSelection(['worker=1,web=1']), 7000).map(s => [s.name, s.port])).toEqual([
        ['worker.1', 7000],
        ['web.1', 7100],
      ])
    })

    it('chooses the base from --port, then PORT in the env file, then $PORT, then 5006', () => {
      expect(basePort(6000, {PORT: '7000'}, {PORT: '8000'})).toBe(6000)
      expect(basePort(undefined, {PORT: '7000'}, {PORT: '8000'})).toBe(7000)
      expect(basePort(undefined, {}, {PORT: '8000'})).toBe(8000)
      expect(basePort(undefined, {}, {})).toBe(DEFAULT_BASE_PORT)
      expect(DEFAULT_BASE_PORT).toBe(5006)
    })

    it('rejects ports below 1024 or above 65535, naming where they came from', () => {
      expect(message(() => basePort(80, {}, {}))).toMatch(/Invalid port "80" from --port/)
      expect(message(() => basePort(undefined, {PORT: 'abc'}, {}))).toMatch(/from PORT in the env file/)
      expect(message(() => basePort(undefined, {}, {PORT: '70000'}))).toMatch(/from \$PORT/)
      expect(message(() => planProcesses(procfile, parseSelection(['web,worker']), 65_500))).toMatch(/Port 65600 for worker.1 is above 65535/)
    })
  })

  describe('processEnv', () => {
    it('overlays the env files on the caller environment and adds PORT, DYNO, FOREMAN_WORKER_NAME', () => {
      const [spec] = planProcesses(procfile, parseSelection(['worker=1']), 5006)
      const env = processEnv(spec, {KEEP: 'caller', PORT: '1', SHARED: 'caller'}, {PORT: '9999', SHARED: 'file'})
      expect(env).toMatchObject({DYNO: 'worker.1', FOREMAN_WORKER_NAME: 'worker.1', KEEP: 'caller', PORT: '5006', SHARED: 'file'})
    })
  })

  describe('output', () => {
    const at = () => new Date(2026, 0, 2, 14, 3, 11)

    it('prefixes lines with the local time and a padded name, no colour when off', () => {
      const chunks: string[] = []
      const out = new PrefixedOutput({write: t => chunks.push(t)}, ['web.1', 'worker.10'], false, at)
      out.line('web.1', 'listening on 5006')
      out.line('system', 'bye')
      expect(chunks).toEqual(['14:03:11 web.1     | listening on 5006\n', '14:03:11 system    | bye\n'])
    })

    it('colours the prefix when on', () => {
      const chunks: string[] = []
      new PrefixedOutput({write: t => chunks.push(t)}, ['web.1'], true, at).line('web.1', 'x')
      expect(chunks[0]).toBe('\u001B[36m14:03:11 web.1  |\u001B[0m x\n')
    })

    it('splits chunks into lines, holds partial lines and multi-byte characters until complete', () => {
      const chunks: string[] = []
      const out = new PrefixedOutput({write: t => chunks.push(t)}, ['web.1'], false, at)
      const {end, push} = out.splitter('web.1')
      const euro = Buffer.from('€')
      push(Buffer.concat([Buffer.from('one\r\ntw'), euro.subarray(0, 1)]))
      push(Buffer.concat([euro.subarray(1), Buffer.from('o\nthree')]))
      end()
      expect(chunks.map(c => c.slice(9))).toEqual(['web.1  | one\n', 'web.1  | tw€o\n', 'web.1  | three\n'])
    })

    it('turns colour off for NO_COLOR and non-TTYs', () => {
      expect(colorEnabled({isTTY: true}, {})).toBe(true)
      expect(colorEnabled({isTTY: true}, {NO_COLOR: '1'})).toBe(false)
      expect(colorEnabled({isTTY: false}, {})).toBe(false)
      expect(colorEnabled({isTTY: false}, {FORCE_COLOR: '1'})).toBe(true)
      expect(colorEnabled({isTTY: true}, {FORCE_COLOR: '0'})).toBe(false)
      expect(formatClock(new Date(2026, 0, 1, 9, 5, 7))).toBe('09:05:07')
    })
  })

  describe('exit reporting and backoff', () => {
    it('describes exits like foreman and maps signals to 128+n', () => {
      expect(describeExit(0, null)).toBe('Exited successfully')
      expect(describeExit(3, null)).toBe('Exited with exit code 3')
      expect(describeExit(null, 'SIGTERM')).toBe('Exited with signal SIGTERM')
      expect(exitStatus(3, null)).toBe(3)
      expect(exitStatus(null, 'SIGKILL')).toBe(137)
    })

    it('backs off exponentially up to 30 s', () => {
      expect([1, 2, 3, 4, 5, 6, 7, 20].map(restartDelay)).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000])
    })
  })
})
