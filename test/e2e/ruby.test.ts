// e2e (issue 17): a Ruby app (examples/ruby-hello: a stdlib HTTP server, a path gem and a packaged gem in vendor/cache,
// since RubyGems cannot be reached here) deployed with `git push ferry main` through the real CLI and daemon, detected
// as Ruby with no buildpack set, answering through the router; the second push reuses vendor/bundle from the build
// cache; a Gemfile changed without its lockfile, a gem that cannot be fetched and a Ruby the platform lacks are
// rejected while the previous release keeps serving. Needs `npm run build`, ruby and bundler.
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {expect, it} from 'vitest'

import {bubblewrap, commands, commit, describeLanguage, push, releaseVersions, viaRouter} from './language-apps.js'

const needs = [commands('ruby and bundler', 'apt-get install ruby ruby-bundler', 'ruby', 'bundle'), bubblewrap]

describeLanguage('e2e: Ruby buildpack', {id: 'ruby', needs}, suite => {
  let dir: string
  const app = 'ruby-e2e'

  it('cold push: Ruby detected, gems installed into vendor/bundle by Bundler, served through the router', async () => {
    dir = await suite.app('ruby-hello', app)
    const cold = await push(suite.home, dir)
    expect(cold.code, cold.output).toBe(0)
    expect(cold.output).toContain('remote: -----> Ruby app detected')
    expect(cold.output).toMatch(/remote: {8}Using the platform's Ruby 3\.\d+\.\d+ and Bundler version 2\./)
    expect(cold.output).toContain('remote:        Installing shout 0.1.0')
    expect(cold.output).toContain("remote:        Gems in the groups 'development' and 'test' were not installed.")
    const body = JSON.parse(await viaRouter(suite.home, app)) as Record<string, string>
    expect(body).toMatchObject({dyno: 'web.1', rack_env: 'production', shout: 'CACHED!'})
    expect(body.hello).toMatch(/^Hello from ruby-hello on Ruby 3\./)
    console.log(`ruby-hello cold push: ${cold.ms} ms`)
  }, 120_000)

  it('warm push: vendor/bundle comes back from the build cache (nothing installed again)', async () => {
    commit(suite.home, dir, 'redeploy')
    const warm = await push(suite.home, dir)
    expect(warm.code, warm.output).toBe(0)
    expect(warm.output).toContain('remote:        Using shout 0.1.0')
    expect(warm.output).not.toContain('Installing shout')
    expect(JSON.parse(await viaRouter(suite.home, app)).shout).toBe('CACHED!')
    console.log(`ruby-hello warm push: ${warm.ms} ms`)
  }, 60_000)

  it('a stale Gemfile.lock, a gem that cannot be fetched and a Ruby the platform lacks are rejected; the previous release keeps serving', async () => {
    const gemfile = readFileSync(join(dir, 'Gemfile'), 'utf8')
    const lock = readFileSync(join(dir, 'Gemfile.lock'), 'utf8')
    commit(suite.home, dir, 'stale lockfile', {Gemfile: `${gemfile}gem 'rake'\n`})
    const stale = await push(suite.home, dir)
    expect(stale.code).not.toBe(0)
    expect(stale.output).toMatch(/deployment mode|frozen/)
    expect(stale.output).toMatch(/remote: {2}! {5}Failed to install gems via Bundler \(exit status \d+\)\./)

    commit(suite.home, dir, 'missing gem', {
      Gemfile: `${gemfile}gem 'nothere', '1.0.0'\n`,
      'Gemfile.lock': lock.replace('    shout (0.1.0)\n', '    nothere (1.0.0)\n    shout (0.1.0)\n').replace('  shout (= 0.1.0)\n', '  nothere (= 1.0.0)\n  shout (= 0.1.0)\n'),
    })
    const missingGem = await push(suite.home, dir)
    expect(missingGem.code).not.toBe(0)
    expect(missingGem.output).toMatch(/remote: {2}! {5}Failed to install gems via Bundler/)

    commit(suite.home, dir, 'ruby 2.7', {'.ruby-version': 'ruby-2.7.8\n', Gemfile: gemfile, 'Gemfile.lock': lock})
    const wrongRuby = await push(suite.home, dir)
    expect(wrongRuby.code).not.toBe(0)
    expect(wrongRuby.output).toMatch(/remote: {2}! {5}\.ruby-version asks for Ruby 2\.7\.8, which this platform does not have: it has Ruby 3\.\d+\.\d+\./)

    expect(await releaseVersions(suite.home, app)).toEqual([1, 2, 3, 4])
    expect(JSON.parse(await viaRouter(suite.home, app)).shout).toBe('CACHED!')
  }, 120_000)
})
