import {describe, expect, it} from 'vitest'

import {LocalError, parseEnvFile, parseProcfile} from '../../src/local/index.js'

describe('local parsers', () => {
  function errorOf(fn: () => unknown): LocalError {
    try {
      fn()
    } catch (error) {
      expect(error).toBeInstanceOf(LocalError)
      return error as LocalError
    }

    throw new Error('expected an error')
  }

  describe('parseProcfile', () => {
    it('parses types in order, skipping blanks and comments, tolerating CRLF and a BOM', () => {
      const text = '\uFEFF# processes\r\nweb: npm start\r\n\r\n  worker:node worker.js  \nrelease: ./migrate\n'
      expect(parseProcfile(text)).toEqual([
        {command: 'npm start', line: 2, type: 'web'},
        {command: 'node worker.js', line: 4, type: 'worker'},
        {command: './migrate', line: 5, type: 'release'},
      ])
    })

    it('keeps colons inside the command', () => {
      expect(parseProcfile('web: node -e "a:b" --x=1:2')[0].command).toBe('node -e "a:b" --x=1:2')
    })

    it('names file and line of a malformed line', () => {
      const error = errorOf(() => parseProcfile('web: ok\n\nthis is wrong\n', 'app/Procfile'))
      expect(error.kind).toBe('Invalid')
      expect(error.message).toMatch(/^app\/Procfile:3: malformed line "this is wrong"/)
    })

    it('rejects invalid type names, empty commands and duplicates with their line', () => {
      expect(errorOf(() => parseProcfile('we b: x')).message).toMatch(/^Procfile:1: malformed line/)
      expect(errorOf(() => parseProcfile('web: x\nw@b: y')).message).toMatch(/^Procfile:2: invalid process type "w@b"/)
      expect(errorOf(() => parseProcfile('web:   ')).message).toMatch(/^Procfile:1: process type "web" has no command/)
      expect(errorOf(() => parseProcfile('web: a\nweb: b')).message).toMatch(/^Procfile:2: process type "web" is defined twice/)
    })
  })

  describe('parseEnvFile', () => {
    it('reads KEY=value, export, comments, quotes and spaces around =', () => {
      const text = [
        '# a comment',
        '',
        'PLAIN=hello world',
        'export EXPORTED=yes',
        'SPACED = around ',
        'TRAILING=value # comment',
        'HASH=a#b',
        "SINGLE='literal $HOME \\n # not a comment'",
        'DOUBLE="tab\\tnew\\nline \\"quoted\\" # kept"  # comment',
        'EMPTY=',
        'EMPTY_QUOTED=""',
        'URL=postgres://u:p@h:5432/db?x=1',
      ].join('\n')
      expect(parseEnvFile(text)).toEqual({
        DOUBLE: 'tab\tnew\nline "quoted" # kept',
        EMPTY: '',
        EMPTY_QUOTED: '',
        EXPORTED: 'yes',
        HASH: 'a#b',
        PLAIN: 'hello world',
        SINGLE: 'literal $HOME \\n # not a comment',
        SPACED: 'around',
        TRAILING: 'value',
        URL: 'postgres://u:p@h:5432/db?x=1',
      })
    })

    it('reads multi-line quoted values and keeps counting lines after them', () => {
      const text = 'KEY="-----BEGIN KEY-----\n  abc\n-----END KEY-----"\nNEXT=1\nSQ=\'a\nb\'\noops\n'
      const error = errorOf(() => parseEnvFile(text, 'conf/.env'))
      expect(error.message).toMatch(/^conf\/\.env:7: expected KEY=value, got "oops"/)
      expect(parseEnvFile(text.replace('oops\n', ''))).toEqual({KEY: '-----BEGIN KEY-----\n  abc\n-----END KEY-----', NEXT: '1', SQ: 'a\nb'})
    })

    it('reads JSON env files like heroku local: nested keys joined with _ and upper-cased', () => {
      expect(parseEnvFile('{"greeting": "hi", "db": {"url": "postgres://x", "pool": 5}, "debug": true}', 'env.json')).toEqual({
        DB_POOL: '5',
        DB_URL: 'postgres://x',
        DEBUG: 'true',
        GREETING: 'hi',
      })
      expect(errorOf(() => parseEnvFile('{"a": ', 'env.json')).message).toMatch(/^env\.json: invalid JSON/)
    })

    it('later assignments win', () => {
      expect(parseEnvFile('A=1\nA=2')).toEqual({A: '2'})
    })

    it('names file:line for bad lines', () => {
      expect(errorOf(() => parseEnvFile('A=1\nJUST_A_WORD')).message).toMatch(/^\.env:2: expected KEY=value, got "JUST_A_WORD"/)
      expect(errorOf(() => parseEnvFile('A=1\n\n1BAD=x')).message).toMatch(/^\.env:3: invalid variable name "1BAD"/)
      expect(errorOf(() => parseEnvFile('A="never closed\nB=2')).message).toMatch(/^\.env:1: the value of A opens a double quote that is never closed/)
      expect(errorOf(() => parseEnvFile("X=1\nA='x' trailing")).message).toMatch(/^\.env:2: unexpected text "trailing" after the closing quote of A/)
      expect(errorOf(() => parseEnvFile('A="multi\nline" junk')).message).toMatch(/^\.env:2: unexpected text "junk"/)
    })
  })
})
