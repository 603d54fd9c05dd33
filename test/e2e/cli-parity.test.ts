// e2e (issue 16): the README's exit-code table (0 ok, 1 bad input, 2 API/backend error), "did you mean" for a mistyped
// command, and --json on every command that has a result. The real CLI (bin/run.js) against a real daemon.
import {execFileSync} from 'node:child_process'
import {copyFileSync, mkdirSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type Api, createApi} from '../../src/api/client.js'
import {suggestions} from '../../src/hooks/command-not-found.js'
import {ferryEnv, makeFerryHome, readDaemonJson, readToken, removeFerryHome, runFerry, type RunResult} from '../helpers/index.js'
import {makeSlug} from '../platform/supervisor/helpers.js'

const home = makeFerryHome()
const scratch = mkdtempSync(join(tmpdir(), 'ferry-parity-slug-'))
const ferry = (args: string[]) => runFerry(args, {home})
let api: Api

function oneLineError(result: RunResult, code: number, pattern: RegExp): void {
  expect(result.code, result.stderr).toBe(code)
  // The action line (`Scaling dynos... !`) may precede the error line.
  const lines = result.stderr.split('\n').filter(l => l.includes('Error:'))
  expect(lines, result.stderr).toHaveLength(1)
  expect(lines[0]).toMatch(pattern)
}

describe('exit codes, suggestions and --json', () => {
  beforeAll(async () => {
    const created = await ferry(['apps:create', 'parity', '--no-remote'])
    expect(created.code, created.stderr).toBe(0)
    const info = readDaemonJson(home)!
    api = createApi({connect: async () => ({token: readToken(home), url: info.url})})
    // A slug and a release through the API, its tarball where the store expects it (the deploy pipeline has its own e2e).
    const slug = await api.slugs.create('parity', {process_types: {web: 'sleep 1000', worker: 'sleep 1000'}})
    copyFileSync(makeSlug(scratch), join(home, 'data', 'slugs', `${slug.id}.tgz`))
    await api.releases.create('parity', {slug: slug.id})
  })

  afterAll(async () => {
    await api?.close()
    await removeFerryHome(home)
    rmSync(scratch, {force: true, recursive: true})
  })

  describe('input errors exit 1, before any request', () => {
    it.each([
      [['apz'], /^ › {3}Error: "apz" is not a ferry command\. Did you mean "apps"/],
      [['config:ad', 'A=1'], /Did you mean "config:add"/],
      [['logs', '-n', 'abc', '-a', 'parity'], /Parsing --num: Expected an integer but received: abc/],
      [['ps:stop', '-a', 'parity'], /Please specify a process type or dyno name to stop\./],
      [['ps:restart', '-a', 'parity', '--nope'], /Nonexistent flag: --nope/],
      [['login'], /ferry login --backend heroku.*The local platform needs no login\./],
      [['config:set', 'NOPE', '-a', 'parity'], /NOPE is invalid/],
    ])('%j', async (args, pattern) => {
      const before = (await api.releases.list('parity')).length
      oneLineError(await ferry(args), 1, pattern)
      expect((await api.releases.list('parity')).length).toBe(before)
    })
  })

  it('keeps an argument whose text equals a flag value (oclif 4 dropped it: `run -a parity echo parity` ran `parity echo`)', async () => {
    const result = await ferry(['run:detached', '--json', '-a', 'parity', 'echo', 'parity'])
    expect(result.code, result.stderr).toBe(0)
    expect(JSON.parse(result.stdout).command).toBe('echo parity')
  })

  it('an API error exits 2', async () => {
    oneLineError(await ferry(['apps:info', '-a', 'no-such-app']), 2, /Couldn't find that app/)
  })

  it('the dyno cap is the backend rule, not the CLI\'s: the API\'s 422 on one line, exit 2, formation unchanged', async () => {
    const before = await api.formation.list('parity')
    oneLineError(await ferry(['ps:scale', 'worker=101', '-a', 'parity']), 2, /Cannot scale worker to 101 dynos: the limit is 100 per process type\./)
    expect(await api.formation.list('parity')).toEqual(before)
  })

  it('suggests only close names, hidden aliases included', () => {
    expect(suggestions('scael', ['scale', 'apps', 'ps:scale'])).toEqual(['scale'])
    expect(suggestions('zzzzzz', ['apps', 'ps'])).toEqual([])
  })

  it('has --json on ps:scale, whoami, config:set, releases:rollback, run:detached, apps:rename and releases:info', async () => {
    const json = async (args: string[]) => {
      const result = await ferry([...args, '--json'])
      expect(result.code, result.stderr).toBe(0)
      return JSON.parse(result.stdout)
    }

    const formation = await json(['ps:scale', '-a', 'parity'])
    expect(formation.map((f: {type: string}) => f.type).sort()).toEqual(['web', 'worker'])
    const scaled = await json(['ps:scale', 'worker=0', '-a', 'parity'])
    expect(scaled).toContainEqual(expect.objectContaining({quantity: 0, type: 'worker'}))
    expect((await json(['whoami'])).email).toMatch(/@/)
    expect(await json(['config:set', 'COLOR=blue', '-a', 'parity'])).toEqual({COLOR: 'blue'})
    const info = await json(['releases:info', '-a', 'parity'])
    expect(info.config_vars).toEqual({COLOR: 'blue'})
    const rollback = await json(['releases:rollback', `v${info.version - 1}`, '-a', 'parity'])
    expect(rollback.version).toBe(info.version + 1)
    const dyno = await json(['run:detached', 'true', '-a', 'parity'])
    expect(dyno.name).toMatch(/^run\.\d+$/)
    // …and on every other command with a result.
    expect(await json(['config:unset', 'COLOR', '-a', 'parity'])).toEqual({})
    expect(await json(['maintenance', '-a', 'parity'])).toEqual({app: 'parity', maintenance: false})
    expect((await json(['features:enable', 'preboot', '-a', 'parity'])).enabled).toBe(true)
    expect((await json(['features:disable', 'preboot', '-a', 'parity'])).enabled).toBe(false)
    expect((await json(['buildpacks:add', 'heroku/nodejs', '-a', 'parity'])).map((b: {buildpack: {url: string}}) => b.buildpack.url)).toEqual(['heroku/nodejs'])
    expect((await json(['buildpacks:set', 'heroku/python', '-a', 'parity'])).map((b: {buildpack: {url: string}}) => b.buildpack.url)).toEqual(['heroku/python'])
    expect(await json(['buildpacks:remove', 'heroku/python', '-a', 'parity'])).toEqual([])
    const renamed = await json(['apps:rename', 'parity2', '-a', 'parity'])
    expect(renamed.name).toBe('parity2')
    await ferry(['apps:rename', 'parity', '-a', 'parity2'])
  })

  it('create in a repo whose ferry remote points elsewhere says so and leaves the remote alone', async () => {
    const repo = join(scratch, 'repo')
    const env = ferryEnv(home)
    execFileSync('git', ['init', '-q', repo], {env})
    execFileSync('git', ['-C', repo, 'remote', 'add', 'ferry', 'https://git.example.test/other.git'], {env})
    const created = await runFerry(['create', 'parity-remote'], {cwd: repo, home})
    expect(created.code, created.stderr).toBe(0)
    expect(created.stderr).toMatch(/Git remote ferry already points at https:\/\/git\.example\.test\/other\.git; left as it is\. Run `ferry git:remote -a parity-remote`/)
    expect(execFileSync('git', ['-C', repo, 'remote', 'get-url', 'ferry'], {encoding: 'utf8', env}).trim()).toBe('https://git.example.test/other.git')
  })

  it('create in a subdirectory of a repository adds no remote and says how to deploy that directory (examples/ in a checkout)', async () => {
    const env = ferryEnv(home)
    const repo = join(scratch, 'mono')
    mkdirSync(join(repo, 'site'), {recursive: true})
    execFileSync('git', ['init', '-q', repo], {env})
    const created = await runFerry(['create', 'parity-sub'], {cwd: join(repo, 'site'), home})
    expect(created.code, created.stderr).toBe(0)
    expect(created.stderr).toMatch(/No git remote added: this directory is inside the git repository .*mono, and `git push` would deploy all of it\./)
    expect(execFileSync('git', ['-C', repo, 'remote'], {encoding: 'utf8', env})).toBe('')
  })
})
