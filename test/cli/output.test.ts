import {describe, expect, it} from 'vitest'

import {formatDate, table, formatSize, plainTable, shellQuote, styledHeader, styledObject} from '../../src/cli/output.js'

describe('output helpers (heroku formats)', () => {
  it('styledHeader', () => {
    expect(styledHeader('demo Config Vars')).toBe('=== demo Config Vars\n')
  })

  it('styledObject pads keys, prints arrays per line, omits undefined and empty arrays', () => {
    expect(styledObject({A: '1', LONGER: 'two words', Empty: '', List: ['x', 'y'], Gone: undefined, None: []})).toBe("A:      1\nLONGER: two words\nEmpty:  ''\nList:   x\n        y")
  })

  it('plainTable: two-space indent, underline, 3-space gaps, blank line after', () => {
    const out = plainTable([{d: 'Set FOO config vars', v: 'v4'}, {d: 'Deploy', v: 'v3'}], [{header: 'v', key: 'v'}, {header: 'description', key: 'd'}])
    expect(out.split('\n')).toEqual([
      '  v    description',
      ' ' + '─'.repeat(2 + 2 + 19 + 2 + 1),
      '  v4   Set FOO config vars',
      '  v3   Deploy',
      '',
    ])
  })

  it('formatDate with relative suffix', () => {
    const now = new Date('2025-01-01T12:03:00Z')
    const out = formatDate('2025-01-01T12:00:00Z', now)
    expect(out).toMatch(/^\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2} [+-]\d{4} \(~ 3m ago\)$/)
    expect(formatDate(new Date(now.getTime() - 5000), now)).toMatch(/\(~ 5s ago\)$/)
    expect(formatDate(new Date(now.getTime() - (2 * 3_600_000)), now)).toMatch(/\(~ 2h ago\)$/)
    expect(formatDate(new Date(now.getTime() - (30 * 3_600_000)), now)).toMatch(/[+-]\d{4}$/)
  })

  it('shellQuote like config --shell', () => {
    expect(shellQuote('bar')).toBe('bar')
    expect(shellQuote('two words')).toBe("'two words'")
    expect(shellQuote("it's")).toBe('"it\'s"')
    expect(shellQuote('')).toBe("''")
  })

  it('formatSize in JEDEC units', () => {
    expect(formatSize(null)).toBe('0 B')
    expect(formatSize(1_048_576)).toBe('1 MB')
    expect(formatSize(1536)).toBe('1.5 KB')
  })

  it("uses heroku's plain layout on a terminal and in a pipe alike (issue 16: boxed grids on a TTY before)", async () => {
    const rows = [{name: 'demo'}]
    expect(await table(rows, [{header: 'Name', key: 'name'}])).toBe('  Name\n ──────\n  demo\n')
    const tty = Object.getOwnPropertyDescriptor(process.stdout, 'isTTY')
    Object.defineProperty(process.stdout, 'isTTY', {configurable: true, value: true})
    try {
      expect(await table(rows, [{header: 'Name', key: 'name'}])).toBe('  Name\n ──────\n  demo\n')
    } finally {
      if (tty) Object.defineProperty(process.stdout, 'isTTY', tty)
      else delete (process.stdout as {isTTY?: boolean}).isTTY
    }
  })
})
