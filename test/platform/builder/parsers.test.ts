import {describe, expect, it} from 'vitest'

import {satisfies} from '../../../src/platform/builder/buildpacks/semver.js'
import {parseReleaseYaml} from '../../../src/platform/builder/release-yaml.js'
import {Budget, compileGlob, isIgnored, matches, parseSlugignore} from '../../../src/platform/builder/slugignore.js'

describe('builder parsers', () => {
describe('satisfies (engines.node)', () => {
  it.each([
    ['20.20.2', '>=18', true],
    ['20.20.2', '20.x', true],
    ['20.20.2', '^20.1.0', true],
    ['20.20.2', '~20.20', true],
    ['20.20.2', '18 || 20', true],
    ['20.20.2', '>=18 <21', true],
    ['20.20.2', '22.x', false],
    ['20.20.2', '<20', false],
    ['20.20.2', '^18.0.0', false],
    ['20.20.2', '~20.19.0', false],
    // Forms npm reads that the hand-written subset got wrong (issue 14): a prerelease is not its release, `~>` is `~`.
    ['20.20.2', '20.20.2-beta', false],
    ['20.20.2', '~>20.1', false],
    ['20.20.2', '18 - 20', true],
    ['20.20.2', '>=18.x', true],
    ['20.20.2', '^20', true],
    ['20.20.2', '>20.20.1 <=20.20.2', true],
    ['20.20.2', '=20.20.2', true],
    ['20.20.2', '20.20.x || >=22', true],
    ['20.20.2', '>=20.21', false],
    ['20.20.2', '<=20.20.1', false],
  ])('%s in %s → %s', (version, range, expected) => {
    expect(satisfies(version, range)).toBe(expected)
  })

  it('says nothing about ranges it does not understand', () => {
    expect(satisfies('20.0.0', 'latest')).toBeUndefined()
  })
})

describe('parseReleaseYaml', () => {
  it('reads default_process_types, config_vars and addons', () => {
    const info = parseReleaseYaml([
        '---',
        'addons:',
        '  - heroku-postgresql',
        'config_vars:',
        '  PATH: "/app/bin:/usr/bin"',
        "  MODE: 'a b'",
        'default_process_types:',
        '  web: bundle exec puma -p $PORT',
        '  worker: node w.js # comment',
      ].join('\n'))
    expect(info).toEqual({
      addons: ['heroku-postgresql'],
      config_vars: {MODE: 'a b', PATH: '/app/bin:/usr/bin'},
      default_process_types: {web: 'bundle exec puma -p $PORT', worker: 'node w.js'},
    })
  })

  it('accepts empty maps and empty output', () => {
    expect(parseReleaseYaml('--- {}\n').default_process_types).toEqual({})
    expect(parseReleaseYaml('default_process_types: {}\n').default_process_types).toEqual({})
    expect(parseReleaseYaml('')).toEqual({addons: [], config_vars: {}, default_process_types: {}})
  })

  it('reads flow maps, folded scalars and flow lists, as buildpacks in the wild print them (issue 16)', () => {
    const info = parseReleaseYaml(['---', 'default_process_types: {web: "node server.js", worker: node w.js}', 'addons: [heroku-postgresql, heroku-redis]', 'config_vars:', '  NOTE: >-', '    one', '    line', '  PORT_HINT: 5000'].join('\n'))
    expect(info).toEqual({
      addons: ['heroku-postgresql', 'heroku-redis'],
      config_vars: {NOTE: 'one line', PORT_HINT: '5000'},
      default_process_types: {web: 'node server.js', worker: 'node w.js'},
    })
  })

  it.each([
    ['default_process_types: {web: node server.js\n', /invalid YAML/],
    ['- a\n- b\n', /must be a map/],
    ['default_process_types: [web]\n', /"default_process_types" must be a map/],
    ['default_process_types:\n  web: {cmd: x}\n', /"default_process_types.web" must be a string/],
    ['addons: heroku-postgresql\n', /"addons" must be a list/],
  ])('refuses %j with a message instead of dropping the process types', (text, message) => {
    expect(() => parseReleaseYaml(text)).toThrow(message)
  })
})

describe('.slugignore patterns', () => {
  const rules = parseSlugignore('*.psd\n/docs\nlog/\nspec/**/fixtures\n!keep\n')
  it.each([
    ['art/x.psd', false, true],
    ['docs', true, true],
    ['sub/docs', true, false],
    ['log', true, true],
    ['log', false, false],
    ['spec/a/b/fixtures', true, true],
    ['spec/fixtures', true, true],
    ['src/app.js', false, false],
  ])('%s (dir %s) ignored: %s', (path, isDir, expected) => {
    expect(isIgnored(rules, path, isDir)).toBe(expected)
  })

  it.each([
    ['*.log', 'a.log', true],
    ['*.log', 'a/b.log', false],
    ['?.txt', 'a.txt', true],
    ['?.txt', 'ab.txt', false],
    ['[abc].md', 'b.md', true],
    ['[!abc].md', 'b.md', false],
    ['[a-c]x', 'cx', true],
    ['[a-c]x', 'dx', false],
    ['**/tmp', 'tmp', true],
    ['**/tmp', 'a/b/tmp', true],
    ['a/**', 'a/b/c', true],
    ['a/**', 'a', false],
    ['a/**/z', 'a/z', true],
    ['a/**/z', 'a/x/y/z', true],
    ['a/**/z', 'a/xz', false],
    ['a*', 'a/b', false],
    [String.raw`\*lit`, '*lit', true],
    [String.raw`\*lit`, 'xlit', false],
    ['[unclosed', '[unclosed', true],
  ])('glob %s against %s: %s', (glob, text, expected) => {
    expect(matches(compileGlob(glob), text)).toBe(expected)
  })

  it('matches a pathological pattern in linear time (a backtracking RegExp took 54 s)', () => {
    const rules = parseSlugignore('**/*a*a*a*a*a*a*a*a*a*a*b\n')
    const started = performance.now()
    for (let i = 0; i < 200; i++) expect(isIgnored(rules, `dir/${'a'.repeat(250)}`, false)).toBe(false)
    expect(isIgnored(rules, `dir/${'a'.repeat(250)}b`, false)).toBe(true)
    // Generous: about 40 ms here; a RegExp needs hours for one such name.
    expect(performance.now() - started).toBeLessThan(3000)
  })

  it('bounds the number and length of patterns and the total work, with a clear message', () => {
    expect(() => parseSlugignore(`${'x'.repeat(1025)}\n`)).toThrow(/\.slugignore line 1 is longer than 1024 characters; shorten the pattern\./)
    expect(() => parseSlugignore(Array.from({length: 1001}, (_, i) => `p${i}`).join('\n'))).toThrow(/more than 1000 patterns/)
    expect(() => matches(compileGlob('*a*a*a*b'), 'a'.repeat(1000), new Budget(1000))).toThrow(/Applying \.slugignore takes too much work/)
  })
})
})
