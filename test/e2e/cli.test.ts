// e2e: the real CLI (bin/run.js, needs `npm run build`) against a real daemon it starts itself in a temp FERRY_HOME.
import {execFileSync} from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import type {AddressInfo} from 'node:net'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type Api, createApi} from '../../src/api/client.js'
import {nativeRouterBinary} from '../../src/platform/router/native.js'
import {isAlive, makeFerryHome, readDaemonJson, readToken, removeFerryHome, runFerry, type RunResult} from '../helpers/index.js'

const home = makeFerryHome()
const repo = path.join(home, 'repo')
const ferry = (args: string[], options: {cwd?: string; env?: NodeJS.ProcessEnv; input?: string} = {}) => runFerry(args, {cwd: repo, home, ...options})
let api: Api

/** One clear line on stderr (` ›   Error: …`), no stack trace. */
function expectOneLineError(result: RunResult, code: number, pattern: RegExp): void {
  expect(result.code, result.stderr).toBe(code)
  const lines = result.stderr.split('\n').filter(l => l.includes('Error:'))
  expect(lines).toHaveLength(1)
  expect(lines[0]).toMatch(pattern)
  expect(result.stderr).not.toMatch(/^\s+at /m)
}

describe('ferry CLI against the local platform', () => {
  beforeAll(() => {
    fs.mkdirSync(repo)
    execFileSync('git', ['init', '-q', repo], {env: {...process.env, GIT_CONFIG_GLOBAL: path.join(home, 'gitconfig')}})
  })

  afterAll(async () => {
    await api?.close()
    await removeFerryHome(home)
  })

  it('answers --version and --help without starting the platform', async () => {
    const version = await ferry(['--version'])
    expect(version.code).toBe(0)
    expect(version.stdout).toMatch(/^ferry\/\d+\.\d+\.\d+ /)
    const help = await ferry(['--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/apps:create|create/)
    expect(readDaemonJson(home)).toBeUndefined()
    expect(version.stderr + help.stderr).not.toMatch(/Started local platform/)
  })

  it('starts the platform on first use and says so once', async () => {
    const first = await ferry(['apps'])
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toBe('You have no apps.\n')
    expect(first.stderr.match(/Started local platform at http:\/\/127\.0\.0\.1:\d+\n/g)).toHaveLength(1)
    const info = readDaemonJson(home)!
    expect(isAlive(info.pid)).toBe(true)
    const second = await ferry(['apps'])
    expect(second.stderr).not.toMatch(/Started local platform/)
    api = createApi({connect: async () => ({token: readToken(home), url: info.url})})
  })

  it('creates an app with a git remote and a repository-local credential helper (README quick start)', async () => {
    const created = await ferry(['create', 'demo'])
    expect(created.code, created.stderr).toBe(0)
    expect(created.stderr).toContain('Creating demo... done')
    const app = await api.apps.info('demo')
    expect(created.stdout).toBe(`${app.web_url} | ${app.git_url}\n`)
    const git = (...args: string[]) => execFileSync('git', ['-C', repo, ...args], {encoding: 'utf8', env: {...process.env, GIT_CONFIG_GLOBAL: path.join(home, 'gitconfig')}}).trim()
    expect(git('remote', 'get-url', 'ferry')).toBe(app.git_url)
    expect(git('config', '--local', `credential.${new URL(app.git_url).origin}.helper`)).toMatch(/ git:credentials get; else cat >\/dev\/null; fi; \}; f$/)
    expect(fs.readFileSync(path.join(home, 'gitconfig'), 'utf8')).toBe('')

    const cred = await ferry(['git:credentials', 'get'], {input: `protocol=http\nhost=${new URL(app.git_url).host}\n\n`})
    expect(cred.stdout).toBe(`protocol=http\nhost=${new URL(app.git_url).host}\nusername=ferry\npassword=${readToken(home)}\n`)
    const other = await ferry(['git:credentials', 'get'], {input: 'protocol=https\nhost=github.com\n\n'})
    expect(other.stdout).toBe('')

    const {email} = await api.account.get()
    expect((await ferry(['apps'])).stdout).toBe(`=== ${email} Apps\n\ndemo\n`)
    expect(JSON.parse((await ferry(['apps', '--json'])).stdout)).toMatchObject([{git_url: app.git_url, name: 'demo'}])
  })

  it('sets a git remote with git:remote and clones with git:clone (credential helper in the repo config)', async () => {
    const other = path.join(home, 'other')
    fs.mkdirSync(other)
    const env = {...process.env, GIT_CONFIG_GLOBAL: path.join(home, 'gitconfig'), GIT_CONFIG_NOSYSTEM: '1'}
    execFileSync('git', ['init', '-q', other], {env})
    const app = await api.apps.info('demo')
    const remote = await ferry(['git:remote', '-a', 'demo', '-r', 'staging'], {cwd: other})
    expect(remote.code, remote.stderr).toBe(0)
    expect(remote.stdout).toBe(`set git remote staging to ${app.git_url}\n`)
    const git = (dir: string, ...args: string[]) => execFileSync('git', ['-C', dir, ...args], {encoding: 'utf8', env}).trim()
    expect(git(other, 'remote', 'get-url', 'staging')).toBe(app.git_url)
    expect(git(other, 'config', '--local', `credential.${new URL(app.git_url).origin}.helper`)).toMatch(/ git:credentials get; else cat >\/dev\/null; fi; \}; f$/)
    expectOneLineError(await ferry(['git:remote', '-a', 'demo'], {cwd: home}), 1, /Not a git repository/)

    const clone = await ferry(['git:clone', '-a', 'demo', 'cloned'], {cwd: home})
    expect(clone.code, clone.stderr).toBe(0)
    expect(git(path.join(home, 'cloned'), 'remote', 'get-url', 'ferry')).toBe(app.git_url)
    expect(fs.readFileSync(path.join(home, 'gitconfig'), 'utf8')).toBe('')
  })

  it('sets, shows and unsets config vars, each change a release (app from the git remote)', async () => {
    const set = await ferry(['config:add', 'GREETING=hello world', 'MODE=dev'])
    expect(set.code, set.stderr).toBe(0)
    expect(set.stderr).toContain('Setting GREETING, MODE and restarting demo... done, v3')
    expect(set.stdout).toBe('GREETING: hello world\nMODE:     dev\n')
    const config = await ferry(['config'])
    expect(config.stdout).toBe('=== demo Config Vars\n\nGREETING: hello world\nMODE:     dev\n')
    expect(JSON.parse((await ferry(['config', '--json'])).stdout)).toEqual({GREETING: 'hello world', MODE: 'dev'})
    expect((await ferry(['config', '--shell'])).stdout).toBe("GREETING='hello world'\nMODE=dev\n")
    expect((await ferry(['config:get', 'MODE'])).stdout).toBe('dev\n')
    const unset = await ferry(['config:unset', 'MODE'])
    expect(unset.stderr).toContain('Unsetting MODE and restarting demo... done, v4')
    expect(await api.configVars.get('demo')).toEqual({GREETING: 'hello world'})
  })

  it('lists releases in heroku format and as JSON', async () => {
    const releases = await ferry(['releases', '-a', 'demo'])
    expect(releases.code).toBe(0)
    const lines = releases.stdout.split('\n')
    expect(lines[0]).toBe('=== demo Releases - Current: v4')
    expect(lines[2]).toMatch(/^ {2}v {4}description +user +created_at$/)
    expect(lines[3]).toMatch(/^ ─+$/)
    expect(lines[4]).toMatch(/^ {2}v4 {3}Remove MODE config vars +\S+@\S+ +\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d [+-]\d{4} \(~ \d+[smh] ago\)$/)
    expect(lines.at(-3)).toMatch(/^ {2}v1 {3}Initial release/)
    const json = JSON.parse((await ferry(['releases', '-a', 'demo', '--json', '-n', '2'])).stdout)
    expect(json.map((r: {version: number}) => r.version)).toEqual([4, 3])
  })

  it('scales the formation once a slug brings process types', async () => {
    const noTypes = await ferry(['ps:scale'])
    expectOneLineError(noTypes, 1, /No process types on demo/)
    const slug = await api.slugs.create('demo', {process_types: {worker: 'sleep 1000'}})
    await api.releases.create('demo', {slug: slug.id})
    const before = await ferry(['ps:scale'])
    expect(before.stdout).toMatch(/^worker=0:\S+\n$/)
    const scaled = await ferry(['ps:scale', 'worker=2'])
    expect(scaled.code, scaled.stderr).toBe(0)
    expect(scaled.stderr).toMatch(/Scaling dynos\.\.\. done, now running worker at 2:\S+\n/)
    expect((await api.formation.info('demo', 'worker')).quantity).toBe(2)
    const down = await ferry(['scale', 'worker-2'])
    expect(down.code, down.stderr).toBe(0)
    expect((await api.formation.info('demo', 'worker')).quantity).toBe(0)
    const ps = await ferry(['ps'])
    expect(ps.code).toBe(0)
    expect(ps.stdout).toMatch(/^No dynos on demo\n/)
  })

  it('shows app info and rolls back to a previous release', async () => {
    const info = await ferry(['apps:info'])
    expect(info.stdout).toMatch(/^=== demo\n\n/)
    expect(info.stdout).toMatch(/^Git URL: +http:\/\/127\.0\.0\.1:\d+\/demo\.git$/m)
    const current = (await api.releases.list('demo', {max: 1, order: 'desc'}))[0].version
    const rollback = await ferry(['releases:rollback', 'v3'])
    expect(rollback.code, rollback.stderr).toBe(0)
    expect(rollback.stderr).toContain(`Rolling back demo to v3... done, v${current + 1}`)
    expect(await api.configVars.get('demo')).toEqual({GREETING: 'hello world', MODE: 'dev'})
    const relInfo = await ferry(['releases:info'])
    expect(relInfo.stdout).toMatch(new RegExp(`^=== Release v${current + 1}\n\nBy: +\\S+\nChange: +Rollback to v3\n`))
  })

  describe('bad input: one clear line, non-zero exit, nothing changed', () => {
    it.each([['BadName'], ['1demo'], ['a'.repeat(40)], ['demo']])('rejects app name %s', async name => {
      const before = (await api.apps.list()).map(a => a.name).sort()
      const result = await ferry(['apps:create', name, '--no-remote'])
      expectOneLineError(result, 2, /Name (must start|is already taken|is too long|must be)|Name .*(characters|long)/i)
      expect((await api.apps.list()).map(a => a.name).sort()).toEqual(before)
    })

    it.each([
      ['NOVALUE', 1, /NOVALUE is invalid\. Must be in the format FOO=bar\./],
      ['=x', 1, /=x is invalid/],
      // The name rule is the backend's: the API's 422, nothing changed.
      ['MY KEY=1', 2, /Invalid config var name "MY KEY": names may contain only letters, digits and underscores\./],
    ])(
      'rejects config:set %s',
      async (arg, code, pattern) => {
        const [config, releases] = [await api.configVars.get('demo'), await api.releases.list('demo')]
        expectOneLineError(await ferry(['config:set', arg, '-a', 'demo']), code, pattern)
        expect(await api.configVars.get('demo')).toEqual(config)
        expect((await api.releases.list('demo')).length).toBe(releases.length)
      },
    )

    it('rejects config vars over 32 KB in total with the API\'s message (issue 13 item 15)', async () => {
      const [config, releases] = [await api.configVars.get('demo'), await api.releases.list('demo')]
      const result = await ferry(['config:set', `BIG=${'x'.repeat(40 * 1024)}`, '-a', 'demo'])
      expectOneLineError(result, 2, /Config vars of demo would total 4\d\.\d KB; the limit is 32 KB for all keys and values combined\./)
      expect(await api.configVars.get('demo')).toEqual(config)
      expect((await api.releases.list('demo')).length).toBe(releases.length)
    })

    it.each([
      ['web=-1', 1, /web=-1 is invalid/],
      ['web=abc', 1, /web=abc is invalid/],
      // The dyno cap is the backend's rule (the CLI also drives Heroku): the API's 422.
      ['worker=100000', 2, /Cannot scale worker to 100000 dynos: the limit is 100 per process type\./],
      ['nope=1', 2, /Couldn't find that process type \(nope\)\./],
    ])('rejects ps:scale %s', async (arg, code, pattern) => {
      const before = await api.formation.list('demo')
      expectOneLineError(await ferry(['ps:scale', arg]), code, pattern)
      expect(await api.formation.list('demo')).toEqual(before)
    })

    it('rejects a rollback to a missing version', async () => {
      const before = (await api.releases.list('demo')).length
      expectOneLineError(await ferry(['rollback', 'v999']), 2, /Couldn't find that release/)
      expect((await api.releases.list('demo')).length).toBe(before)
    })

    it('names an unknown app', async () => {
      expectOneLineError(await ferry(['config', '-a', 'no-such-app']), 2, /Couldn't find that app: "no-such-app"\. Run `ferry apps`/)
    })

    it('lists the ways to pass an app when none is given', async () => {
      expectOneLineError(await ferry(['config'], {cwd: home}), 1, /--app APP.*FERRY_APP.*git/)
    })

    it('requires --confirm to destroy when stdin is not a TTY', async () => {
      expectOneLineError(await ferry(['apps:destroy', '-a', 'demo']), 1, /--confirm demo/)
      expectOneLineError(await ferry(['apps:destroy', '-a', 'demo', '--confirm', 'other']), 1, /did not match demo/)
      expect((await api.apps.info('demo')).name).toBe('demo')
    })

    it('answers malformed JSON, wrong types and unknown fields sent straight to the API with 4xx', async () => {
      const {url} = readDaemonJson(home)!
      const post = (body: string) =>
        fetch(`${url}/apps`, {body, headers: {accept: 'application/vnd.heroku+json; version=3', authorization: `Bearer ${readToken(home)}`, 'content-type': 'application/json'}, method: 'POST'})
      const malformed = await post('{"name": ')
      expect(malformed.status).toBe(400)
      expect(await malformed.json()).toMatchObject({id: 'bad_request'})
      expect((await post('{"name": 42}')).status).toBe(422)
      expect((await post('{"nme": "typo"}')).status).toBe(422)
      expect((await api.apps.list()).map(a => a.name)).toEqual(['demo'])
    })

    it('reports a wrong or missing token', async () => {
      const {url} = readDaemonJson(home)!
      expectOneLineError(await ferry(['apps'], {env: {FERRY_API_KEY: 'wrong', FERRY_API_URL: url}}), 2, /Invalid credentials provided\./)
      expectOneLineError(await ferry(['apps'], {env: {FERRY_API_URL: url}}), 2, /no API token for http:\/\/127\.0\.0\.1:\d+: set FERRY_API_KEY/)
    })

    it('reports an unreachable backend in one line', async () => {
      const server = http.createServer()
      await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
      const {port} = server.address() as AddressInfo
      await new Promise<void>(resolve => server.close(() => resolve()))
      const result = await ferry(['apps'], {env: {FERRY_API_KEY: 'x', FERRY_API_URL: `http://127.0.0.1:${port}`}})
      expect(result.code).toBe(2)
      expect(result.stderr).toBe(` ›   Error: cannot reach the ferry platform at http://127.0.0.1:${port}; run \`ferry platform:status\`\n`)
    })
  })

  it('renames and destroys apps, keeping git remotes in step', async () => {
    await api.apps.create({name: 'scratch'})
    const renamed = await ferry(['apps:rename', 'scratch-two', '-a', 'scratch'])
    expect(renamed.code, renamed.stderr).toBe(0)
    expect(renamed.stderr).toContain('Renaming scratch to scratch-two... done')
    const destroyed = await ferry(['apps:destroy', '-a', 'scratch-two', '--confirm', 'scratch-two'])
    expect(destroyed.code, destroyed.stderr).toBe(0)
    expect(destroyed.stderr).toContain('Destroying scratch-two (including all add-ons)... done')
    expect((await api.apps.list()).map(a => a.name)).toEqual(['demo'])

    const generated = await ferry(['apps:create', '--no-remote'])
    expect(generated.code, generated.stderr).toBe(0)
    const name = /Creating app\.\.\. done, ([a-z][\da-z-]+)\n/.exec(generated.stderr)?.[1]
    expect(name).toBeDefined()
    expect(generated.stdout).toBe(`${(await api.apps.info(name!)).web_url} | ${(await api.apps.info(name!)).git_url}\n`)
    await api.apps.destroy(name!)
  })

  it('reports platform status and stops the daemon completely', async () => {
    const status = JSON.parse((await ferry(['platform:status', '--json'])).stdout)
    const info = readDaemonJson(home)!
    expect(status).toMatchObject({dataDir: path.join(home, 'data'), pid: info.pid, running: true, url: info.url})
    expect(status.routerUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(['bwrap', 'none']).toContain(status.isolation)
    const native = Boolean(nativeRouterBinary()) && process.env.FERRY_ROUTER_ENGINE !== 'node'
    expect(status.routerEngine).toBe(native ? 'native' : 'node')
    const text = await ferry(['platform:status'])
    expect(text.stdout).toMatch(/^Isolation: +(bwrap|none \(install bubblewrap\))$/m)
    expect(text.stdout).toMatch(native ? /^Router engine: +native \(ferry-router\)$/m : /^Router engine: +node /m)
    // The native router runs as the daemon's child: it goes when the daemon stops.
    const children = fs.readFileSync(`/proc/${info.pid}/task/${info.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)
    const comm = (pid: number) => {
      try {
        return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim()
      } catch {
        return '' // exited meanwhile
      }
    }

    // ferry-router itself, or the bwrap sandbox it runs in when the platform has bwrap.
    const cmdline = (pid: number) => {
      try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      } catch {
        return ''
      }
    }

    const routerPid = children.find(pid => comm(pid) === 'ferry-router' || (comm(pid) === 'bwrap' && cmdline(pid).includes('ferry-router')))
    expect(routerPid !== undefined).toBe(native)
    await api.close()
    const stop = await ferry(['platform:stop'])
    expect(stop.code, stop.stderr).toBe(0)
    expect(stop.stderr).toMatch(/Stopping local platform \(pid \d+\)\.\.\. done/)
    expect(isAlive(info.pid)).toBe(false)
    if (routerPid !== undefined) expect(isAlive(routerPid)).toBe(false)
    const after = JSON.parse((await ferry(['platform:status', '--json'])).stdout)
    expect(after.running).toBe(false)
  })
})
