import {execFileSync} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {NO_APP_MESSAGE, resolveApp} from '../../src/cli/app.js'
import {appFromGitUrl, configureCredentialHelper, credentialHelperCommand} from '../../src/cli/git.js'
import {ROOT} from '../helpers/index.js'

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-app-'))
const repo = path.join(tmp, 'repo')
const git = (...args: string[]) => execFileSync('git', ['-C', repo, ...args], {encoding: 'utf8', env: {...process.env, GIT_CONFIG_GLOBAL: path.join(tmp, 'global'), GIT_CONFIG_NOSYSTEM: '1'}}).trim()

beforeAll(() => {
  fs.mkdirSync(repo)
  fs.writeFileSync(path.join(tmp, 'global'), '')
  git('init', '-q')
})
afterAll(() => fs.rmSync(tmp, {force: true, recursive: true}))

describe('app resolution', () => {
  it('prefers --app, then FERRY_APP', async () => {
    expect(await resolveApp({app: 'one'}, {FERRY_APP: 'two'}, repo)).toBe('one')
    expect(await resolveApp({}, {FERRY_APP: 'two'}, repo)).toBe('two')
  })

  it('fails with a message listing the ways to pass an app', async () => {
    await expect(resolveApp({}, {}, repo)).rejects.toThrow(NO_APP_MESSAGE)
    await expect(resolveApp({}, {}, tmp)).rejects.toThrow(/--app APP.*FERRY_APP.*git/)
  })

  it('reads the ferry remote, then heroku, or the one named by --remote', async () => {
    git('remote', 'add', 'heroku', 'https://git.heroku.com/from-heroku.git')
    expect(await resolveApp({}, {}, repo)).toBe('from-heroku')
    git('remote', 'add', 'ferry', 'http://127.0.0.1:5000/from-ferry.git')
    expect(await resolveApp({}, {}, repo)).toBe('from-ferry')
    git('remote', 'add', 'staging', 'http://127.0.0.1:5000/staging-app.git')
    expect(await resolveApp({remote: 'staging'}, {}, repo)).toBe('staging-app')
    await expect(resolveApp({remote: 'nope'}, {}, repo)).rejects.toThrow(/No app found in git remote "nope"/)
  })

  it('parses app names from git URLs', () => {
    expect(appFromGitUrl('https://127.0.0.1:5443/demo-app.git')).toBe('demo-app')
    expect(appFromGitUrl('git@heroku.com:demo.git')).toBe('demo')
    expect(appFromGitUrl('https://github.com/x/y')).toBeUndefined()
  })

  it("configures the credential helper in the repository's config only", async () => {
    await configureCredentialHelper(repo, 'http://127.0.0.1:5000/demo.git', {FERRY_HOME: '/tmp/fh'})
    expect(git('config', '--local', 'credential.http://127.0.0.1:5000.helper')).toBe(credentialHelperCommand({FERRY_HOME: '/tmp/fh'}))
    const helper = credentialHelperCommand({FERRY_HOME: '/tmp/fh', PATH: '/usr/bin:/bin'})
    expect(helper).toMatch(/^!f\(\) \{ if \[ "\$1" = get \]; then FERRY_HOME='\/tmp\/fh' '.*node[^']*' '.*\/bin\/run\.js' git:credentials get; else cat >\/dev\/null; fi; \}; f$/)
    expect(credentialHelperCommand({PATH: '/usr/bin:/bin'})).toMatch(/then '.*node[^']*' '.*\/bin\/run\.js' git:credentials get;/)
    expect(fs.readFileSync(path.join(tmp, 'global'), 'utf8')).toBe('')
  })

  it('stores `ferry` in the helper when the ferry on PATH is this CLI (survives a move of node or the checkout)', () => {
    const bin = path.join(tmp, 'path-bin')
    const other = path.join(tmp, 'other-bin')
    fs.mkdirSync(bin)
    fs.mkdirSync(other)
    fs.symlinkSync(path.join(ROOT, 'bin', 'run.js'), path.join(bin, 'ferry'))
    fs.writeFileSync(path.join(other, 'ferry'), '#!/bin/sh\n', {mode: 0o755})
    const helper = credentialHelperCommand({FERRY_HOME: '/tmp/fh', PATH: `relative:${bin}:/usr/bin`})
    expect(helper).toBe(String.raw`!f() { if [ "$1" = get ]; then FERRY_HOME='/tmp/fh' ferry git:credentials get; else cat >/dev/null; fi; }; f`)
    // Another program called ferry first on PATH: the absolute paths, as without one.
    expect(credentialHelperCommand({PATH: `${other}:${bin}`})).toMatch(/then '.*node[^']*' '.*\/bin\/run\.js' git:credentials get;/)
  })
})
