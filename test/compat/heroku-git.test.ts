// The official heroku CLI's own git remote against the local platform (issue 16): with nothing but what
// `ferry heroku:env` prints, `heroku git:remote` writes https://127.0.0.1:PORT/APP.git, `git push heroku main` deploys
// through it (git smart-HTTP over TLS on the API port, the CLI's own credential helper) and `heroku git:clone` fetches.
import {execFileSync} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {makeFerryHome, removeFerryHome, routerGet, runCommand, runFerry} from '../helpers/index.js'
import {skipUnlessAvailable} from '../helpers/requires.js'
import {herokuAvailable, herokuBin} from './heroku.js'

const APP = 'hk-git'

describe.skipIf(skipUnlessAvailable('the official heroku CLI', herokuAvailable, 'run scripts/install-heroku-cli.sh'))('official heroku CLI: git push over its https remote', () => {
  let home: string
  let env: NodeJS.ProcessEnv
  let repo: string

  beforeAll(async () => {
    home = makeFerryHome('ferry-compat-git-')
    const created = await runFerry(['apps:create', APP, '--no-remote'], {home})
    expect(created.code, created.stderr).toBe(0)
    const printed = await runFerry(['heroku:env', '--json'], {home})
    expect(printed.code, printed.stderr).toBe(0)
    const hh = path.join(home, 'heroku-home')
    fs.mkdirSync(path.join(hh, '.cache', 'heroku'), {recursive: true})
    fs.writeFileSync(path.join(hh, '.cache', 'heroku', 'terms-of-service'), '')
    fs.writeFileSync(path.join(hh, 'gitconfig'), '')
    env = {
      ...(JSON.parse(printed.stdout) as Record<string, string>),
      DISABLE_TELEMETRY: 'true',
      GIT_AUTHOR_EMAIL: 'dev@example.test',
      GIT_AUTHOR_NAME: 'dev',
      GIT_COMMITTER_EMAIL: 'dev@example.test',
      GIT_COMMITTER_NAME: 'dev',
      GIT_CONFIG_GLOBAL: path.join(hh, 'gitconfig'),
      HEROKU_DISABLE_AUTOUPDATE: '1',
      HEROKU_SKIP_NEW_VERSION_CHECK: 'true',
      HOME: hh,
      NO_COLOR: '1',
      // git runs the CLI's credential helper (`!heroku git:credentials`): the CLI must be on PATH.
      PATH: `${path.dirname(herokuBin)}${path.delimiter}${process.env.PATH}`,
    }
    repo = path.join(home, 'repo')
    fs.mkdirSync(repo)
    fs.writeFileSync(path.join(repo, 'Procfile'), 'web: node server.js\n')
    fs.writeFileSync(path.join(repo, 'server.js'), "require('http').createServer((q, s) => s.end('over https git\\n')).listen(process.env.PORT)\n")
    const git = (...args: string[]) => execFileSync('git', args, {cwd: repo, env})
    git('init', '-q', '-b', 'main')
    git('add', '.')
    git('commit', '-qm', 'init')
  })

  afterAll(async () => {
    if (home) await removeFerryHome(home)
  })

  it('prints the variables the CLI and git need, trusting the platform certificate on top of what was trusted', async () => {
    expect(env.HEROKU_HOST).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(env.HEROKU_API_KEY).toMatch(/^[\da-f]{64}$/)
    const cert = fs.readFileSync(path.join(home, 'data', 'run', 'tls', 'cert.pem'), 'utf8')
    const gitBundle = fs.readFileSync(env.GIT_SSL_CAINFO!, 'utf8')
    expect(gitBundle).toContain(cert.trim())
    // Not the platform's certificate alone: git keeps trusting the CAs it trusted before (other https remotes).
    expect(gitBundle.split('BEGIN CERTIFICATE').length - 1).toBeGreaterThan(1)
    const shell = await runFerry(['heroku:env'], {home})
    expect(shell.stdout).toMatch(/^export HEROKU_HOST='http:\/\/127\.0\.0\.1:\d+'$/m)
  })

  it('heroku git:remote, git push heroku main, heroku run, heroku git:clone', async () => {
    const remote = await runCommand(herokuBin, ['git:remote', '-a', APP], {cwd: repo, env})
    expect(remote.code, remote.stderr).toBe(0)
    const url = execFileSync('git', ['remote', 'get-url', 'heroku'], {cwd: repo, encoding: 'utf8', env}).trim()
    expect(url).toMatch(new RegExp(`^https://127\\.0\\.0\\.1:\\d+/${APP}\\.git$`))
    const push = await runCommand('git', ['push', 'heroku', 'main'], {cwd: repo, env, timeoutMs: 120_000})
    expect(push.code, push.stderr).toBe(0)
    expect(push.stderr).toMatch(/remote: -----> Launching\.\.\. done, v\d+/)
    const routerPort = JSON.parse(fs.readFileSync(path.join(home, 'data', 'run', 'daemon.json'), 'utf8')).routerPort as number
    let body = ''
    for (let i = 0; i < 100 && body !== 'over https git\n'; i++) {
      body = (await routerGet(routerPort, `${APP}.localhost`)).body
      if (body !== 'over https git\n') await new Promise(r => setTimeout(r, 200))
    }

    expect(body).toBe('over https git\n')
    // heroku run trusts the rendezvous through the same NODE_EXTRA_CA_CERTS bundle.
    const run = await runCommand(herokuBin, ['run', '-x', '--no-tty', '-a', APP, '--', 'echo', 'from-run'], {cwd: home, env, timeoutMs: 60_000})
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toContain('from-run')
    const clone = await runCommand(herokuBin, ['git:clone', '-a', APP, 'cloned'], {cwd: home, env, timeoutMs: 60_000})
    expect(clone.code, clone.stderr).toBe(0)
    expect(fs.readFileSync(path.join(home, 'cloned', 'server.js'), 'utf8')).toContain('over https git')
  })
})
