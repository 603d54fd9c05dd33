import {describe, expect, it} from 'vitest'

import {parseProcfile, ProcfileError} from '../../../src/platform/builder/procfile.js'

function errorOf(text: string): ProcfileError {
  try {
    parseProcfile(text)
  } catch (error) {
    if (error instanceof ProcfileError) return error
    throw error
  }

  throw new Error('expected a ProcfileError')
}

describe('parseProcfile', () => {
  it('parses name: command lines in order', () => {
    const types = parseProcfile('web: node server.js\nworker:   node worker.js --queue a:b\n')
    expect(types).toEqual({web: 'node server.js', worker: 'node worker.js --queue a:b'})
    expect(Object.keys(types)).toEqual(['web', 'worker'])
  })

  it('strips BOM and CRLF, skips blank and comment lines', () => {
    expect(parseProcfile('\uFEFF# comment\r\n\r\nweb: npm start\r\n  \r\nrelease-phase_1: ./migrate\r\n')).toEqual({
      'release-phase_1': './migrate',
      web: 'npm start',
    })
  })

  it('accepts names up to 128 characters and rejects longer ones', () => {
    const name = 'a'.repeat(128)
    expect(parseProcfile(`${name}: x`)).toEqual({[name]: 'x'})
    expect(errorOf(`${name}a: x`).line).toBe(1)
  })

  it('rejects malformed lines with the line number', () => {
    const error = errorOf('web: ok\n\nthis is not a procfile line\n')
    expect(error.line).toBe(3)
    expect(error.message).toMatch(/line 3/)
  })

  it('rejects invalid names, empty commands and duplicates', () => {
    expect(errorOf('we b: x').message).toMatch(/line 1/)
    expect(errorOf('web.1: x').line).toBe(1)
    expect(errorOf('web:   \n').message).toMatch(/no command/)
    const dup = errorOf('web: a\r\nworker: b\r\nweb: c\r\n')
    expect(dup.line).toBe(3)
    expect(dup.message).toMatch(/defined twice/)
  })

  it('returns an empty object for an empty Procfile', () => {
    expect(parseProcfile('')).toEqual({})
  })
})
