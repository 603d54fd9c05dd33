// The official `heroku` CLI (v11) driving the local platform: proves we speak Platform API v3, not a private dialect.
// The CLI is installed by .ci/run (scripts/install-heroku-cli.sh) into node_modules/.cache/heroku-cli; set
// FERRY_HEROKU_CLI to another `heroku` binary to use that one. Without it the suite is skipped (and says so).
import {spawn} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {makeFerryHome, readDaemonJson, readToken, removeFerryHome, ROOT, runFerry} from '../helpers/index.js'

const herokuBin = process.env.FERRY_HEROKU_CLI ?? path.join(ROOT, 'node_modules', '.cache', 'heroku-cli', 'node_modules', '.bin', 'heroku')
const available = fs.existsSync(herokuBin)
if (!available) console.warn(`[compat] official heroku CLI not found at ${herokuBin}; run scripts/install-heroku-cli.sh to enable this suite`)

interface Result {code: null | number; stderr: string; stdout: string}

describe.skipIf(!available)('official heroku CLI against the local platform', () => {
  let home: string
  let herokuHome: string
  let env: NodeJS.ProcessEnv

  function heroku(args: string[], input = ''): Promise<Result> {
    return new Promise((resolve, reject) => {
      const child = spawn(herokuBin, args, {cwd: herokuHome, env, stdio: 'pipe'})
      let stdout = ''
      let stderr = ''
      child.stdout.setEncoding('utf8').on('data', d => {
        stdout += d
      })
      child.stderr.setEncoding('utf8').on('data', d => {
        stderr += d
      })
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
      child.on('error', reject)
      child.on('close', code => {
        clearTimeout(timer)
        resolve({code, stderr, stdout})
      })
      child.stdin.end(input)
    })
  }

  beforeAll(async () => {
    home = makeFerryHome('ferry-compat-')
    const status = await runFerry(['platform:start'], {home})
    expect(status.code, status.stderr).toBe(0)
    const info = readDaemonJson(home)!
    herokuHome = path.join(home, 'heroku-home')
    fs.mkdirSync(path.join(herokuHome, '.cache', 'heroku'), {recursive: true})
    // The terms-of-service notice is printed once per cache dir; pre-create its marker (platform-api.md §1.4).
    fs.writeFileSync(path.join(herokuHome, '.cache', 'heroku', 'terms-of-service'), '')
    const host = `http://127.0.0.1:${info.port}`
    env = {
      DISABLE_TELEMETRY: 'true',
      GIT_CONFIG_GLOBAL: path.join(herokuHome, 'gitconfig'),
      HEROKU_API_KEY: readToken(home),
      HEROKU_BUILDPACK_REGISTRY_URL: host,
      HEROKU_DISABLE_AUTOUPDATE: '1',
      HEROKU_HOST: host,
      HEROKU_PARTICLEBOARD_URL: host,
      HEROKU_SKIP_NEW_VERSION_CHECK: 'true',
      HOME: herokuHome,
      NO_COLOR: '1',
      PATH: process.env.PATH,
      XDG_CACHE_HOME: path.join(herokuHome, '.cache'),
      XDG_CONFIG_HOME: path.join(herokuHome, '.config'),
      XDG_DATA_HOME: path.join(herokuHome, '.local', 'share'),
    }
    fs.writeFileSync(env.GIT_CONFIG_GLOBAL!, '')
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
    expect(created.stderr).toContain('Creating ⬢ compat-app... done'.replace('⬢ ', ''))
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
