// e2e for issue 5: router, logs, one-off dynos — the real CLI (bin/run.js) against a real daemon.
// The release is made through the API (slug + tarball + release) so this does not depend on the builder.
import {execFileSync, spawn} from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {BIN, ferryEnv, makeFerryHome, readDaemonJson, readToken, removeFerryHome, ROOT, routerGet, runFerry} from '../helpers/index.js'

const APP = 'logsdemo'

async function api(home: string, method: string, url: string, body?: unknown): Promise<any> {
  const info = readDaemonJson(home)!
  const res = await fetch(`${info.url}${url}`, {
    body: body === undefined ? undefined : JSON.stringify(body),
    headers: {Accept: 'application/vnd.heroku+json; version=3', Authorization: `Bearer ${readToken(home)}`, 'Content-Type': 'application/json'},
    method,
  })
  const text = await res.text()
  if (res.status >= 300) throw new Error(`${method} ${url} → ${res.status} ${text}`)
  return text ? JSON.parse(text) : undefined
}

function get(routerPort: number, pathname = '/', host = `${APP}.localhost`): Promise<{body: string; status: number}> {
  return routerGet(routerPort, host, pathname)
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await fn().catch(() => undefined)
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(r => setTimeout(r, 250))
  }
}

/** The web dyno names that answered. */
async function dynosAnswering(routerPort: number, requests: number): Promise<Set<string>> {
  const seen = new Set<string>()
  for (let i = 0; i < requests; i++) {
    const r = await get(routerPort, `/hit${i}`)
    if (r.status === 200) seen.add(JSON.parse(r.body).dyno)
  }

  return seen
}

describe('e2e: router, logs, run', () => {
  let home: string
  let routerPort: number

  beforeAll(async () => {
    home = makeFerryHome('ferry-e2e-logs-')
    const created = await runFerry(['apps:create', APP], {home})
    expect(created.code, created.stderr).toBe(0)
    const set = await runFerry(['config:set', 'FOO=bar-from-config', '--app', APP], {home})
    expect(set.code, set.stderr).toBe(0)
    // A release through the API: slug metadata, the tarball where the platform keeps it, then the release.
    const slug = await api(home, 'POST', `/apps/${APP}/slugs`, {process_types: {web: 'node server.js'}})
    const dataDir = path.join(home, 'data')
    const stage = fs.mkdtempSync(path.join(home, 'stage-'))
    // Only the tracked files of the example (a developer's examples/node-hello/node_modules must not leak in), plus a
    // stand-in for its one npm dependency: this test is about the router and logs, the builder's e2e runs npm.
    fs.cpSync(path.join(ROOT, 'examples', 'node-hello'), path.join(stage, 'app'), {filter: src => !src.includes(`${path.sep}node_modules`), recursive: true})
    fs.mkdirSync(path.join(stage, 'app', 'node_modules', 'ms'), {recursive: true})
    fs.writeFileSync(path.join(stage, 'app', 'node_modules', 'ms', 'index.js'), "module.exports = n => String(n) + 'ms'\n")
    fs.mkdirSync(path.join(dataDir, 'slugs'), {recursive: true})
    execFileSync('tar', ['-czf', path.join(dataDir, 'slugs', `${slug.id}.tgz`), '-C', stage, 'app'])
    await api(home, 'POST', `/apps/${APP}/releases`, {description: 'Deploy e2e', slug: slug.id})
    routerPort = readDaemonJson(home)!.routerPort
  }, 120_000)

  afterAll(async () => {
    if (home) await removeFerryHome(home)
  }, 60_000)

  it('scale web=3: 30 requests through the router hit all three dynos; router lines in ferry logs', async () => {
    const scaled = await runFerry(['ps:scale', 'web=3', '--app', APP], {home})
    expect(scaled.code, scaled.stderr).toBe(0)
    await waitFor('three web dynos up', async () => {
      const dynos = await api(home, 'GET', `/apps/${APP}/dynos`)
      return dynos.filter((d: any) => d.type === 'web' && d.state === 'up').length === 3 ? true : undefined
    })
    const seen = await dynosAnswering(routerPort, 30)
    expect(seen).toEqual(new Set(['web.1', 'web.2', 'web.3']))

    const logs = await runFerry(['logs', '-n', '500', '--app', APP], {home})
    expect(logs.code, logs.stderr).toBe(0)
    const routerLines = logs.stdout.split('\n').filter(l => l.includes('heroku[router]: at=info'))
    expect(routerLines.length).toBeGreaterThanOrEqual(30)
    const ROUTER_LINE = new RegExp(String.raw`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00 heroku\[router\]: at=info method=GET path="/hit\d+" host=logsdemo\.localhost ` +
        String.raw`request_id=\S+ fwd="127\.0\.0\.1" dyno=web\.\d connect=\d+ms service=\d+ms status=200 bytes=\d+ protocol=http$`)
    expect(routerLines[0]).toMatch(ROUTER_LINE)
  }, 120_000)

  it('filters by --dyno and --source', async () => {
    const web1 = await runFerry(['logs', '-n', '1000', '--dyno', 'web.1', '--app', APP], {home})
    const lines = web1.stdout.trim().split('\n')
    expect(lines.length).toBeGreaterThan(0)
    for (const line of lines) expect(line).toMatch(/ (app|heroku)\[web\.1\]: /)
    const heroku = await runFerry(['logs', '-n', '1000', '--source', 'heroku', '--app', APP], {home})
    expect(heroku.stdout).toContain('heroku[router]')
    for (const line of heroku.stdout.trim().split('\n')) expect(line).toMatch(/ heroku\[/)
    const web = await runFerry(['logs', '-n', '1000', '-p', 'web', '--source', 'app', '--app', APP], {home})
    expect(web.stdout).toContain('node-hello listening on')
    for (const line of web.stdout.trim().split('\n')) expect(line).toMatch(/ app\[web\.\d\]: /)
  }, 60_000)

  it('logs --tail receives a line written after it started', async () => {
    const child = spawn(process.execPath, [BIN, 'logs', '--tail', '-n', '1', '--app', APP], {cwd: home, env: ferryEnv(home), stdio: ['ignore', 'pipe', 'pipe']})
    let out = ''
    child.stdout.setEncoding('utf8').on('data', d => {
      out += d
    })
    try {
      await waitFor('tail connected', async () => (out.length > 0 ? true : undefined), 30_000)
      await get(routerPort, '/after-tail-started')
      await waitFor('tailed router line', async () => (out.includes('path="/after-tail-started"') ? true : undefined), 30_000)
    } finally {
      child.kill('SIGINT')
    }

    expect(out.match(/path="\/after-tail-started"/g)!.length).toBe(1)
  }, 60_000)

  it('ferry run prints a config value and exits with the command status; ferry run cat echoes stdin', async () => {
    const r = await runFerry(['run', 'echo $FOO; exit 3', '--app', APP], {home})
    expect(r.stdout).toContain('bar-from-config')
    expect(r.code).toBe(3)
    const cat = await runFerry(['run', 'cat', '--app', APP], {home, input: 'echo me back\n'})
    expect(cat.code, cat.stderr).toBe(0)
    expect(cat.stdout).toBe('echo me back\n')
    // Heroku's action line, ended when the dyno's output starts.
    expect(cat.stderr).toMatch(new RegExp(`^Running cat on ${APP}\\.\\.\\. up, run\\.\\d+\\n$`))
    const env = await runFerry(['run', '-e', 'A=1;B=two', '--app', APP, '--', 'echo', '$A-$B'], {home})
    expect(env.stdout.trim()).toBe('1-two')
  }, 120_000)

  it('run:detached sends output to the logs', async () => {
    const r = await runFerry(['run:detached', 'echo detached-output-42', '--app', APP], {home})
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toMatch(new RegExp(`^Running echo detached-output-42 on ${APP}\\.\\.\\. done, run\\.\\d+ \\(\\w+\\)\\n$`))
    const name = /run\.\d{4}/.exec(r.stderr)![0]
    await waitFor('detached output in logs', async () => {
      const logs = await runFerry(['logs', '-n', '50', '--dyno', name, '--app', APP], {home})
      return logs.stdout.includes(`app[${name}]: detached-output-42`) ? true : undefined
    })
  }, 60_000)

  it('ferry open prints the web URL when not on a terminal', async () => {
    const r = await runFerry(['open', '--app', APP], {home})
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout.trim()).toBe(`http://${APP}.localhost:${routerPort}/`)
  })

  it.each([
    ['without preboot (requests wait for the new dynos)', false],
    ['with the preboot feature (old dynos serve until the new ones are up)', true],
  ])('a new release under a load loop of 2000 requests fails none of them, %s', async (_mode, preboot) => {
    const feature = await runFerry([preboot ? 'features:enable' : 'features:disable', 'preboot', '--app', APP], {home})
    expect(feature.code, feature.stderr).toBe(0)
    const features = await runFerry(['features', '--app', APP], {home})
    expect(features.stdout).toContain(`[${preboot ? '+' : ' '}] preboot`)
    const agent = new http.Agent({keepAlive: true, maxSockets: 4})
    let failed = 0
    let done = 0
    const statuses = new Map<number | string, number>()
    const one = () =>
      new Promise<void>(resolve => {
        const req = http.get({agent, headers: {host: `${APP}.localhost`}, host: '127.0.0.1', path: '/load', port: routerPort}, res => {
          res.resume()
          res.on('end', () => {
            if (res.statusCode !== 200) failed++
            statuses.set(res.statusCode!, (statuses.get(res.statusCode!) ?? 0) + 1)
            done++
            resolve()
          })
        })
        req.on('error', error => {
          failed++
          statuses.set(String(error), (statuses.get(String(error)) ?? 0) + 1)
          done++
          resolve()
        })
      })
    const worker = async (n: number) => {
      for (let i = 0; i < n; i++) await one()
    }

    const load = Promise.all([worker(500), worker(500), worker(500), worker(500)])
    await waitFor('some load', async () => (done > 200 ? true : undefined))
    const release = await api(home, 'GET', `/apps/${APP}/releases`)
    const slugId = release.at(-1).slug.id
    const created = await api(home, 'POST', `/apps/${APP}/releases`, {description: 'Deploy under load', slug: slugId})
    const replacedAt = await waitFor('new release serving', async () => {
      const dynos = await api(home, 'GET', `/apps/${APP}/dynos`)
      const web = dynos.filter((d: any) => d.type === 'web')
      return web.length === 3 && web.every((d: any) => d.state === 'up' && d.release.version === created.version) ? done : undefined
    })
    await load
    // The dynos were replaced while the loop was still running.
    expect(replacedAt).toBeLessThan(2000)
    agent.destroy()
    expect(done).toBe(2000)
    expect(failed, JSON.stringify([...statuses])).toBe(0)
  }, 180_000)

  it('logs survive platform:stop / start; a running --tail ends with a message on stop and never restarts the platform', async () => {
    const before = await runFerry(['logs', '-n', '5', '--source', 'heroku', '--dyno', 'router', '--app', APP], {home})
    const tail = spawn(process.execPath, [BIN, 'logs', '--tail', '-n', '3', '--app', APP], {cwd: home, env: ferryEnv(home), stdio: ['ignore', 'pipe', 'pipe']})
    let out = ''
    let err = ''
    tail.stdout.setEncoding('utf8').on('data', d => {
      out += d
    })
    tail.stderr.setEncoding('utf8').on('data', d => {
      err += d
    })
    const exited = new Promise<null | number>(resolve => tail.once('exit', code => resolve(code)))
    try {
      await waitFor('tail connected', async () => (out.length > 0 ? true : undefined), 30_000)
      const stop = await runFerry(['platform:stop'], {home})
      expect(stop.code, stop.stderr).toBe(0)
      // The tail says why it ends, exits 0, and the platform stays stopped (issue 16: it was restarted by the tail).
      expect(await exited).toBe(0)
      expect(err).toContain('The platform was stopped. The log tail ends; run `ferry logs --tail` again once it is started.')
      await new Promise(resolve => setTimeout(resolve, 1500))
      expect(readDaemonJson(home)).toBeUndefined()
      const start = await runFerry(['platform:start'], {home})
      expect(start.code, start.stderr).toBe(0)
      const after = await runFerry(['logs', '-n', '5', '--source', 'heroku', '--dyno', 'router', '--app', APP], {home})
      expect(after.code, after.stderr).toBe(0)
      expect(after.stdout.trim()).toBe(before.stdout.trim())
      expect(after.stdout).toContain('heroku[router]')
    } finally {
      tail.kill('SIGINT')
    }

    const lines = out.trim().split('\n')
    expect(new Set(lines).size).toBe(lines.length)
  }, 120_000)
})
