// `npm run demo` (scripts/demo.mjs) works as the README's first line promises: with a temp FERRY_HOME and no stdin it
// autostarts the platform, deploys examples/node-hello as demo-hello with git push, scales it to web=2 worker=1
// and prints the URL, `ferry ps` and the next steps; a second run recreates the app cleanly. The platform it
// started is stopped by pid afterwards. Needs `npm run build` and the npm registry (the build installs `ms`).
import fs from 'node:fs'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {ferryEnv, makeFerryHome, readDaemonJson, removeFerryHome, ROOT, routerGet, runCommand, runFerry} from '../helpers/index.js'

const home = makeFerryHome('ferry-demo-')

function npmRunDemo(): Promise<{code: null | number; stderr: string; stdout: string}> {
  return runCommand('npm', ['run', 'demo'], {cwd: ROOT, env: ferryEnv(home), timeoutMs: 120_000})
}

function viaRouter(port: number): Promise<{body: string; status: number}> {
  return routerGet(port, 'demo-hello.localhost').catch(error => ({body: (error as Error).message, status: 0}))
}

describe('npm run demo', () => {
  afterAll(() => removeFerryHome(home))

  it('deploys node-hello with git push, scales it to web=2 worker=1 and says what to do next; reruns cleanly', async () => {
    const first = await npmRunDemo()
    expect(first.code, first.stderr + first.stdout).toBe(0)
    expect(first.stderr).toMatch(/Started local platform at http:\/\/127\.0\.0\.1:\d+/)
    expect(first.stderr).toContain('remote: -----> Node.js app detected')
    expect(first.stderr).toMatch(/remote: -----> Launching\.\.\. done, v3/)
    const url = /^demo-hello is running at (http:\/\/demo-hello\.localhost:(\d+)\/)$/m.exec(first.stdout)
    expect(url, first.stdout).not.toBeNull()
    expect(first.stdout).toContain('answered by web.1 and web.2')
    for (const dyno of ['web.1', 'web.2', 'worker.1']) expect(first.stdout).toMatch(new RegExp(`^${dyno.replace('.', '\\.')}: up `, 'm'))
    expect(first.stdout).toContain(`curl ${url![1]}`)
    expect(first.stdout).toContain('ferry platform:stop')
    expect(first.stdout).toMatch(/alias ferry="node .*bin\/run\.js"/)

    // The demo's repository is under FERRY_HOME, not in this checkout, and has the ferry remote.
    const repo = path.join(home, 'demo', 'node-hello')
    expect(fs.readFileSync(path.join(repo, '.git', 'config'), 'utf8')).toMatch(/\[remote "ferry"\]/)
    const daemon = readDaemonJson(home)!
    expect(Number(url![2])).toBe(daemon.routerPort)
    const answer = await viaRouter(daemon.routerPort)
    expect(answer.status).toBe(200)
    expect(JSON.parse(answer.body).dyno).toMatch(/^web\.[12]$/)

    // Rerun: the same platform (no second start), demo-hello destroyed and created again, deployed as v3 again.
    const second = await npmRunDemo()
    expect(second.code, second.stderr + second.stdout).toBe(0)
    expect(second.stderr).not.toContain('Started local platform')
    expect(second.stderr).toContain('Destroying the previous demo-hello')
    expect(second.stderr).toMatch(/remote: -----> Launching\.\.\. done, v3/)
    expect(readDaemonJson(home)!.pid).toBe(daemon.pid)
    const apps = await runFerry(['apps', '--json'], {home})
    expect(JSON.parse(apps.stdout).map((a: {name: string}) => a.name)).toEqual(['demo-hello'])
  }, 240_000)
})
