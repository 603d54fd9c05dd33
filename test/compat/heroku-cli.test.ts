// The official `heroku` CLI (v11) driving the local platform: proves we speak Platform API v3, not a private dialect.
// The CLI is installed by .ci/run (scripts/install-heroku-cli.sh) into node_modules/.cache/heroku-cli; set
// FERRY_HEROKU_CLI to another `heroku` binary to use that one. Without it the suite is skipped (and says so).
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {makeFerryHome, readToken, removeFerryHome, runFerry} from '../helpers/index.js'
import {skipUnlessAvailable} from '../helpers/requires.js'
import {herokuAvailable, herokuEnv, runHeroku} from './heroku.js'

describe.skipIf(skipUnlessAvailable('the official heroku CLI', herokuAvailable, 'run scripts/install-heroku-cli.sh'))('official heroku CLI against the local platform', () => {
  let home: string
  let env: NodeJS.ProcessEnv
  const heroku = (args: string[], input = '') => runHeroku(env, args, input)

  beforeAll(async () => {
    home = makeFerryHome('ferry-compat-')
    const status = await runFerry(['platform:start'], {home})
    expect(status.code, status.stderr).toBe(0)
    env = herokuEnv(home)
  })

  afterAll(async () => {
    if (home) await removeFerryHome(home)
  })

  it('whoami and auth:token', async () => {
    const who = await heroku(['auth:whoami'])
    expect(who.code, who.stderr).toBe(0)
    expect(who.stdout.trim()).toMatch(/@/)
    const token = await heroku(['auth:token'])
    expect(token.code, token.stderr).toBe(0)
    expect(token.stdout.trim()).toBe(readToken(home))
  })

  it('apps:create, apps, apps:info', async () => {
    const created = await heroku(['apps:create', 'compat-app', '--no-remote'])
    expect(created.code, created.stderr).toBe(0)
    expect(created.stderr).toContain('Creating compat-app... done')
    expect(created.stdout).toMatch(/http:\/\/compat-app\.localhost:\d+\/ \| https:\/\/127\.0\.0\.1:\d+\/compat-app\.git/)

    const list = await heroku(['apps'])
    expect(list.code, list.stderr).toBe(0)
    expect(list.stdout).toMatch(/=== .+ Apps/)
    expect(list.stdout).toContain('compat-app')

    const info = await heroku(['apps:info', '-a', 'compat-app'])
    expect(info.code, info.stderr).toBe(0)
    expect(info.stdout).toContain('=== compat-app')
    expect(info.stdout).toMatch(/Web URL:\s+http:\/\/compat-app\.localhost:\d+\//)
    expect(info.stdout).toMatch(/Stack:\s+heroku-24/)
  })

  it('config:set, config, config:get, config:unset make releases', async () => {
    const set = await heroku(['config:set', 'FOO=bar', 'GREETING=hello world', '-a', 'compat-app'])
    expect(set.code, set.stderr).toBe(0)
    expect(set.stderr).toMatch(/Setting FOO, GREETING and restarting .*compat-app.*\.\.\. done, v3/)
    expect(set.stdout).toMatch(/FOO:\s+bar/)
    expect(set.stdout).toMatch(/GREETING:\s+hello world/)

    const config = await heroku(['config', '-a', 'compat-app'])
    expect(config.code, config.stderr).toBe(0)
    expect(config.stdout).toContain('=== compat-app Config Vars')
    expect(config.stdout).toMatch(/FOO:\s+bar/)

    const get = await heroku(['config:get', 'GREETING', '-a', 'compat-app'])
    expect(get.stdout.trim()).toBe('hello world')

    const unset = await heroku(['config:unset', 'GREETING', '-a', 'compat-app'])
    expect(unset.code, unset.stderr).toBe(0)
    expect(unset.stderr).toMatch(/Unsetting GREETING and restarting .*compat-app.*\.\.\. done, v4/)
  })

  it('releases, releases:info, rollback', async () => {
    const releases = await heroku(['releases', '-a', 'compat-app'])
    expect(releases.code, releases.stderr).toBe(0)
    expect(releases.stdout).toContain('compat-app Releases - Current: v4')
    expect(releases.stdout).toMatch(/v3\s+Set FOO, GREETING config vars/)
    expect(releases.stdout).toMatch(/v2\s+Enable Logplex/)

    const info = await heroku(['releases:info', 'v3', '-a', 'compat-app'])
    expect(info.code, info.stderr).toBe(0)
    expect(info.stdout).toContain('=== Release v3')
    expect(info.stdout).toMatch(/GREETING:\s+hello world/)

    const rollback = await heroku(['releases:rollback', 'v3', '-a', 'compat-app'])
    expect(rollback.code, rollback.stderr).toBe(0)
    expect(rollback.stderr).toMatch(/Rolling back .*compat-app.* to v3\.\.\. done, v5/)
    const get = await heroku(['config:get', 'GREETING', '-a', 'compat-app'])
    expect(get.stdout.trim()).toBe('hello world')
  })

  it('ps and ps:scale before any deploy', async () => {
    const ps = await heroku(['ps', '-a', 'compat-app'])
    expect(ps.code, ps.stderr).toBe(0)
    expect(ps.stdout + ps.stderr).toContain('No dynos on')
    const scale = await heroku(['ps:scale', '-a', 'compat-app'])
    expect(scale.code).not.toBe(0)
    expect(scale.stderr).toContain('No process types on')
  })

  it('errors come back as Heroku error bodies', async () => {
    const missing = await heroku(['apps:info', '-a', 'no-such-app'])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain("Couldn't find that app.")
    const taken = await heroku(['apps:create', 'compat-app', '--no-remote'])
    expect(taken.code).not.toBe(0)
    expect(taken.stderr).toContain('Name is already taken')
  })

  it('apps:rename and apps:destroy', async () => {
    const renamed = await heroku(['apps:rename', 'compat-renamed', '-a', 'compat-app'])
    expect(renamed.code, renamed.stderr).toBe(0)
    expect(renamed.stdout).toContain('compat-renamed.localhost')
    const destroyed = await heroku(['apps:destroy', '-a', 'compat-renamed', '--confirm', 'compat-renamed'])
    expect(destroyed.code, destroyed.stderr).toBe(0)
    const list = await runFerry(['apps', '--json'], {home})
    expect(JSON.parse(list.stdout).map((a: {name: string}) => a.name)).not.toContain('compat-renamed')
  })
})
