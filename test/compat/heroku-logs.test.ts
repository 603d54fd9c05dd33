// The official `heroku` CLI's `logs` and `run` against the local platform: log sessions + the SSE logplex_url
// stream, filters sent in the `dyno`/`source` keys; one-off dynos over the rendezvous protocol (TLS, trusted
// through NODE_EXTRA_CA_CERTS = the platform's rendezvous certificate).
// Skipped when the CLI is not installed (see test/compat/heroku-cli.test.ts).
import {execFileSync} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {makeFerryHome, readDaemonJson, readToken, removeFerryHome, runFerry} from '../helpers/index.js'
import {skipUnlessAvailable} from '../helpers/requires.js'
import {herokuAvailable, herokuEnv, runHeroku} from './heroku.js'

const APP = 'hk-logs'

describe.skipIf(skipUnlessAvailable('the official heroku CLI', herokuAvailable, 'run scripts/install-heroku-cli.sh'))('official heroku CLI: logs and run', () => {
  let home: string
  let env: NodeJS.ProcessEnv

  const heroku = (...args: string[]) => runHeroku(env, [...args, '-a', APP])

  beforeAll(async () => {
    home = makeFerryHome('ferry-compat-logs-')
    const created = await runFerry(['apps:create', APP], {cwd: home, home})
    expect(created.code, created.stderr).toBe(0)
    const set = await runFerry(['config:set', 'A=1', '--app', APP], {home})
    expect(set.code, set.stderr).toBe(0)
    // A release through the API (slug metadata + tarball + release), so `run` has something to run.
    const info = readDaemonJson(home)!
    const auth = {Authorization: `Bearer ${readToken(home)}`, 'Content-Type': 'application/json'}
    const slug = (await (await fetch(`${info.url}/apps/${APP}/slugs`, {body: JSON.stringify({process_types: {worker: 'sleep 1000'}}), headers: auth, method: 'POST'})).json()) as {id: string}
    const stage = fs.mkdtempSync(path.join(home, 'stage-'))
    fs.mkdirSync(path.join(stage, 'app'))
    fs.writeFileSync(path.join(stage, 'app', 'hello.txt'), 'hello\n')
    execFileSync('tar', ['-czf', path.join(home, 'data', 'slugs', `${slug.id}.tgz`), '-C', stage, 'app'])
    const release = await fetch(`${info.url}/apps/${APP}/releases`, {body: JSON.stringify({slug: slug.id}), headers: auth, method: 'POST'})
    expect(release.status).toBe(201)
    env = herokuEnv(home)
  })

  afterAll(async () => {
    if (home) await removeFerryHome(home)
  })

  it('prints the app log in logplex format, honours -n, --source and --dyno', async () => {
    const all = await heroku('logs', '-n', '50')
    expect(all.code, all.stderr).toBe(0)
    expect(all.stdout).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00 app\[api\]: Set A config vars by user /m)
    const two = await heroku('logs', '-n', '2')
    expect(two.stdout.trim().split('\n').length).toBe(2)
    const heroku_ = await heroku('logs', '--source', 'heroku')
    expect(heroku_.code, heroku_.stderr).toBe(0)
    expect(heroku_.stdout.trim()).toBe('')
    const api = await heroku('logs', '--dyno-name', 'api')
    expect(api.stdout).toContain('app[api]: Release v3 created')
  })

  it('heroku run -x: output over TLS rendezvous and the exit status', async () => {
    const r = await heroku('run', '-x', '--no-tty', 'echo A=$A; cat hello.txt; (exit 3)')
    expect(r.stdout, r.stderr).toContain('A=1')
    expect(r.stdout).toContain('hello')
    expect(r.stderr).toMatch(/run\.\d{4}/)
    expect(r.code).toBe(3)
  })

  it('heroku ps:restart TYPE and ps:stop TYPE name a process type (DELETE /apps/APP/dynos/worker)', async () => {
    const restart = await heroku('ps:restart', 'worker')
    expect(restart.code, restart.stderr).toBe(0)
    // The CLI's positional form: "Restarting dyno worker", sent as DELETE /apps/APP/dynos/worker.
    expect(restart.stderr).toMatch(/Restarting dyno worker on .*hk-logs.*\.\.\. done/)
    const stop = await heroku('ps:stop', 'worker')
    expect(stop.code, stop.stderr).toBe(0)
    const unknown = await heroku('ps:restart', 'nosuchtype')
    expect(unknown.code).not.toBe(0)
    expect(unknown.stderr).toMatch(/Couldn't find that dyno/)
  })

  it('heroku labs answers (account and app features)', async () => {
    const labs = await heroku('labs')
    expect(labs.code, labs.stderr).toBe(0)
    // GET /account/features (404 before) and /apps/APP/features; labs shows only features not in general release.
    expect(labs.stdout).toMatch(/=== User Features .+\n[\s\S]*=== App Features hk-logs/)
  })

  it('heroku buildpacks:info finds the built-in buildpacks by name', async () => {
    const info = await runHeroku(env, ['buildpacks:info', 'heroku/nodejs'])
    expect(info.code, info.stderr).toBe(0)
    expect(info.stdout).toMatch(/=== heroku\/nodejs/)
    expect(info.stdout).toMatch(/description:\s+Node\.js/i)
    const missing = await runHeroku(env, ['buildpacks:info', 'someone/unknown'])
    expect(missing.code).not.toBe(0)
  })
})
