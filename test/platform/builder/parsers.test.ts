import {describe, expect, it} from 'vitest'

import {satisfies} from '../../../src/platform/builder/buildpacks/semver.js'
import {parseReleaseYaml} from '../../../src/platform/builder/release-yaml.js'
import {isIgnored, parseSlugignore} from '../../../src/platform/builder/slugignore.js'

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
})
})
