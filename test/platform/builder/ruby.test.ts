// The Ruby buildpack's pure parts (issue 17): .ruby-version against the host's ruby, the Rack default process type.
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {rubyBuildpack, rubyVersionMatches, rubyVersionWanted} from '../../../src/platform/builder/buildpacks/ruby.js'

describe('Ruby buildpack', () => {
  const root = mkdtempSync(join(tmpdir(), 'ferry-ruby-'))
  afterAll(() => rmSync(root, {force: true, recursive: true}))

  it.each([
    ['3.1.2\n', '3.1.2'],
    ['ruby-3.1.2', '3.1.2'],
    ['# pinned\n3.1\n', '3.1'],
    ['2.7.8-p225', '2.7.8'],
    ['jruby-9.4.0.0', undefined],
    ['', undefined],
  ])('.ruby-version %j names %s', (text, version) => {
    expect(rubyVersionWanted(text)).toBe(version)
  })

  it('a version matches the host on every part it names', () => {
    expect(rubyVersionMatches('3.1.2', '3')).toBe(true)
    expect(rubyVersionMatches('3.1.2', '3.1')).toBe(true)
    expect(rubyVersionMatches('3.1.2', '3.1.2')).toBe(true)
    expect(rubyVersionMatches('3.1.2', '3.1.3')).toBe(false)
    expect(rubyVersionMatches('3.1.2', '3.10')).toBe(false)
    expect(rubyVersionMatches('3.1.2', '2.7')).toBe(false)
  })

  it('detects a Gemfile; web defaults to rackup only for a Rack app (config.ru)', async () => {
    const ctx = (buildDir: string) => ({buildDir, cacheDir: root, env: {}, envDir: root, log() {}, signal: new AbortController().signal, workDir: root})
    const plain = mkdtempSync(join(root, 'app-'))
    expect(await rubyBuildpack.detect(ctx(plain))).toBeNull()
    writeFileSync(join(plain, 'Gemfile'), "source 'https://rubygems.org'\n")
    expect(await rubyBuildpack.detect(ctx(plain))).toBe('Ruby')
    expect((await rubyBuildpack.release(ctx(plain))).default_process_types).toEqual({})
    writeFileSync(join(plain, 'config.ru'), 'run ->(env) { [200, {}, ["ok"]] }\n')
    // eslint-disable-next-line no-template-curly-in-string -- shell syntax, not a template
    expect((await rubyBuildpack.release(ctx(plain))).default_process_types).toEqual({web: 'bundle exec rackup config.ru -p ${PORT:-5000}'})
  })
})
