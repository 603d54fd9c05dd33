// The official `heroku` CLI's `logs` and `run` against the local platform: log sessions + the SSE logplex_url
// stream, filters sent in the `dyno`/`source` keys; one-off dynos over the rendezvous protocol (TLS, trusted
// through NODE_EXTRA_CA_CERTS = the platform's rendezvous certificate).
// Skipped when the CLI is not installed (see test/compat/heroku-cli.test.ts).
import {execFileSync, spawn} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {makeFerryHome, readDaemonJson, readToken, removeFerryHome, ROOT, runFerry} from '../helpers/index.js'

const herokuBin = process.env.FERRY_HEROKU_CLI ?? path.join(ROOT, 'node_modules', '.cache', 'heroku-cli', 'node_modules', '.bin', 'heroku')
const APP = 'hk-logs'

describe.skipIf(!fs.existsSync(herokuBin))('official heroku CLI: logs and run', () => {
  let home: string
  let env: NodeJS.ProcessEnv

  function heroku(...args: string[]): Promise<{code: null | number; stderr: string; stdout: string}> {
    return new Promise((resolve, reject) => {
      const child = spawn(herokuBin, [...args, '-a', APP], {env, stdio: ['pipe', 'pipe', 'pipe']})
      child.stdin.end()
      let stdout = ''
      let stderr = ''
      child.stdout.setEncoding('utf8').on('data', d => {
        stdout += d
      })
      child.stderr.setEncoding('utf8').on('data', d => {
        stderr += d
      })
      child.on('error', reject)
      child.on('close', code => resolve({code, stderr, stdout}))
    })
  }

  beforeAll(async () => {
    home = makeFerryHome('ferry-compat-logs-')
    const created = await runFerry(['apps:create', APP], {cwd: home, home})
    expect(created.code, created.stderr).toBe(0)
    const set = await runFerry(['config:set', 'A=1', '--app', APP], {home})
    expect(set.code, set.stderr).toBe(0)
    // A release through the API (slug metadata + tarball + release), so `run` has something to run.
    const info = readDaemonJson(home)!
    const auth = {Authorization: `Bearer ${readToken(home)}`, 'Content-Type': 'application/json'}
    const slug = (await (await fetch(`${info.url}/apps/${APP}/slugs`, {body: JSON.stringify({process_types: {}}), headers: auth, method: 'POST'})).json()) as {id: string}
    const stage = fs.mkdtempSync(path.join(home, 'stage-'))
    fs.mkdirSync(path.join(stage, 'app'))
    fs.writeFileSync(path.join(stage, 'app', 'hello.txt'), 'hello\n')
    execFileSync('tar', ['-czf', path.join(home, 'data', 'slugs', `${slug.id}.tgz`), '-C', stage, 'app'])
    const release = await fetch(`${info.url}/apps/${APP}/releases`, {body: JSON.stringify({slug: slug.id}), headers: auth, method: 'POST'})
    expect(release.status).toBe(201)
    const hh = path.join(home, 'heroku-home')
    fs.mkdirSync(path.join(hh, '.cache', 'heroku'), {recursive: true})
    fs.writeFileSync(path.join(hh, '.cache', 'heroku', 'terms-of-service'), '')
    fs.writeFileSync(path.join(hh, 'gitconfig'), '')
    const host = `http://127.0.0.1:${readDaemonJson(home)!.port}`
    env = {
      DISABLE_TELEMETRY: 'true',
      GIT_CONFIG_GLOBAL: path.join(hh, 'gitconfig'),
      HEROKU_API_KEY: readToken(home),
      HEROKU_DISABLE_AUTOUPDATE: '1',
      HEROKU_HOST: host,
      HEROKU_PARTICLEBOARD_URL: host,
      HEROKU_SKIP_NEW_VERSION_CHECK: 'true',
      HOME: hh,
      NO_COLOR: '1',
      NODE_EXTRA_CA_CERTS: path.join(home, 'data', 'run', 'tls', 'cert.pem'),
      PATH: process.env.PATH,
      XDG_CACHE_HOME: path.join(hh, '.cache'),
      XDG_CONFIG_HOME: path.join(hh, '.config'),
      XDG_DATA_HOME: path.join(hh, '.local', 'share'),
    }
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
})
