// The README's walkthrough runs as written: every ```sh walkthrough block under "## Quick start" and "## Walkthrough",
// in order, in one
// bash (so `cd` and $URL carry over), from this checkout, with `ferry` = a wrapper script on PATH that runs
// bin/run.js, a temp FERRY_HOME and HOME (so `~/hello` is in the temp dir) and PORT set to a free port (the base
// port `ferry local` uses). Lines that run until Ctrl-C (`ferry logs --tail`, `ferry local …`) run under
// `timeout -s INT 8` and must be stopped by it (exit 124), i.e. they ran without failing until the interrupt.
// Needs `npm run build` and network access to the npm registry (the build installs `ms`, so does step 9).
import {spawn} from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {BIN, ferryEnv, makeFerryHome, removeFerryHome, ROOT, routerGet, runFerry} from '../helpers/index.js'

/**
 * The ```sh walkthrough blocks of README.md's "## Quick start" and "## Walkthrough" sections, in README order: a
 * reader types them in sequence in one shell, so they must work that way (the quick start must not leave the reader
 * somewhere the walkthrough's first command fails).
 */
export function walkthroughBlocks(readme: string): string[] {
  return ['## Quick start', '## Walkthrough'].flatMap(heading => {
    const start = readme.indexOf(`\n${heading}`)
    if (start === -1) throw new Error(`README.md has no "${heading}" section`)
    const end = readme.indexOf('\n## ', start + 3)
    const section = readme.slice(start, end === -1 ? undefined : end)
    return [...section.matchAll(/^```sh walkthrough\n([\s\S]*?)^```$/gm)].map(m => m[1])
  })
}

const LONG_RUNNING = /^ferry (logs\b.*(--tail|-t\b)|local(\s|$))/

/** One bash script: a marker line before each block; long-running lines bounded by `timeout -s INT`. */
export function walkthroughScript(blocks: string[]): string {
  const lines = ['set -eo pipefail', 'exec 2>&1']
  for (const [i, block] of blocks.entries()) {
    lines.push(`echo "@@@ step ${i + 1}"`)
    for (const line of block.split('\n')) {
      const command = line.replace(/\s+#\s.*$/, '').trim()
      lines.push(LONG_RUNNING.test(command) ? `timeout -s INT 8 ${command} || [ $? -eq 124 ]` : line)
    }
  }

  lines.push('echo "@@@ done"')
  return lines.join('\n') + '\n'
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

const home = makeFerryHome('ferry-walkthrough-')

describe('README walkthrough', () => {
  afterAll(() => removeFerryHome(home))

  it('extracts the blocks and bounds the long-running lines', () => {
    const blocks = walkthroughBlocks(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'))
    expect(blocks.length).toBeGreaterThanOrEqual(8)
    const script = walkthroughScript(blocks)
    expect(script).toContain('git push ferry main')
    expect(script).toMatch(/^timeout -s INT 8 ferry logs --tail \|\| \[ \$\? -eq 124 \]$/m)
    expect(script).toMatch(/^timeout -s INT 8 ferry local web=1 worker=1 \|\| \[ \$\? -eq 124 \]$/m)
    expect(walkthroughScript(['ferry local:run -- node -v'])).not.toContain('timeout')
  })

  it('runs as written', async () => {
    const blocks = walkthroughBlocks(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'))
    const bin = path.join(home, 'bin')
    fs.mkdirSync(bin)
    fs.writeFileSync(path.join(bin, 'ferry'), `#!/bin/sh\nexec '${process.execPath}' '${BIN}' "$@"\n`, {mode: 0o755})
    const localPort = await freePort()
    const userNpmrc = path.join(os.homedir(), '.npmrc')
    const env = ferryEnv(home, {
      // keep the developer's npm configuration (registry, CA) for `npm install` with the temp HOME
      ...(!process.env.NPM_CONFIG_USERCONFIG && fs.existsSync(userNpmrc) ? {NPM_CONFIG_USERCONFIG: userNpmrc} : {}),
      PATH: `${bin}${path.delimiter}${process.env.PATH}`,
      PORT: String(localPort),
    })

    const {code, output} = await new Promise<{code: null | number; output: string}>((resolve, reject) => {
      const child = spawn('bash', ['-c', walkthroughScript(blocks)], {cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe']})
      let output = ''
      child.stdout.setEncoding('utf8').on('data', d => {
        output += d
      })
      child.stderr.setEncoding('utf8').on('data', d => {
        output += d
      })
      const timer = setTimeout(() => child.kill('SIGKILL'), 150_000)
      child.on('error', reject)
      child.on('close', c => {
        clearTimeout(timer)
        resolve({code: c, output})
      })
    })
    // FERRY_WALKTHROUGH_TRANSCRIPT=file keeps the full output (to refresh the README's sample outputs).
    if (process.env.FERRY_WALKTHROUGH_TRANSCRIPT) fs.writeFileSync(process.env.FERRY_WALKTHROUGH_TRANSCRIPT, output)
    const steps = output.split(/^@@@ step \d+\n/m).slice(1)
    const failedAt = steps.length
    expect(code, `walkthrough step ${failedAt} failed (exit ${code}):\n${steps.at(-1) ?? output}`).toBe(0)
    expect(output).toMatch(/^@@@ done$/m)
    expect(steps).toHaveLength(blocks.length)
    const [quick, create, push, open, scale, config, logs, releases, run, local] = steps

    expect(quick).toMatch(/^Creating demo\.\.\. done$/m)
    expect(quick).toMatch(/^GREETING: +hello world$/m)
    expect(quick).toMatch(/Started local platform at http:\/\/127\.0\.0\.1:\d+/)
    expect(quick).toContain('=== demo Config Vars')
    expect(quick).toMatch(/=== demo Releases - Current: v\d+/)
    expect(quick).toMatch(/^Running: +yes$/m)

    expect(create).toMatch(/^Creating hello\.\.\. done$/m)
    expect(create).toMatch(/^http:\/\/hello\.localhost:\d+\/ \| http:\/\/127\.0\.0\.1:\d+\/hello\.git$/m)
    expect(push).toContain('remote: -----> Node.js app detected')
    expect(push).toMatch(/remote: -----> Launching\.\.\. done, v3/)
    expect(push).toMatch(/\* \[new branch\] +main -> main/)
    expect(open).toMatch(/^http:\/\/hello\.localhost:\d+\/$/m)
    expect(open).toContain('"message":"Hello from web.1","dyno":"web.1"')
    expect(scale).toContain('now running web at 2:Basic, worker at 1:Basic')
    expect(scale).toMatch(/^web\.1: (up|starting) /m)
    expect(scale).toMatch(/^web\.2: (up|starting) /m)
    expect(scale).toMatch(/^worker\.1: (up|starting) /m)
    expect(scale.match(/^Hello from web\.[12] \(pid \d+, up .*\)$/gm)).toHaveLength(4)
    expect(config).toContain('done, v4')
    expect(config).toMatch(/^GREETING: +Howdy$/m)
    expect(config).toMatch(/"message":"Howdy from web\.[12]"/)
    expect(logs).toMatch(/app\[api\]: Release v4 created/)
    expect(logs).toMatch(/heroku\[router\]: at=info method=GET path="\/" .*status=200/)
    expect(logs).toMatch(/app\[worker\.1\]: worker\.1 heartbeat \d+/)
    expect(releases).toMatch(/=== hello Releases - Current: v4/)
    expect(releases).toMatch(/^ +v3 +Deploy [\da-f]{8} /m)
    expect(releases).toContain('Rolling back hello to v3... done, v5')
    expect(releases).toMatch(/"message":"Hello from web\.[12]","dyno":"web\.[12]","greeting":null/)
    expect(run).toMatch(/^I am run\.\d+ in \/app$/m)
    expect(run).toMatch(/^server\.js$/m)
    expect(local).toMatch(new RegExp(`^\\d\\d:\\d\\d:\\d\\d web\\.1 +\\| node-hello listening on ${localPort} `, 'm'))
    expect(local).toMatch(/worker\.1 +\| worker\.1 started/)
    expect(local).toMatch(/system +\| Received SIGINT/)

    // After the walkthrough (rollback restarted everything): web.1, web.2 and worker.1 come up, from v5.
    let dynos: Array<{name: string; release: {version: number}; state: string}> = []
    for (let i = 0; i < 60; i++) {
      const ps = await runFerry(['ps', '--json', '-a', 'hello'], {home})
      expect(ps.code, ps.stderr).toBe(0)
      dynos = JSON.parse(ps.stdout)
      if (dynos.length === 3 && dynos.every(d => d.state === 'up')) break
      await new Promise(r => setTimeout(r, 500))
    }

    expect(dynos.map(d => `${d.name} ${d.state} v${d.release.version}`).sort()).toEqual(['web.1 up v5', 'web.2 up v5', 'worker.1 up v5'])
    // …and the rolled-back code and config (v3: no GREETING) answer through the router.
    const url = /^(http:\/\/hello\.localhost:\d+\/)$/m.exec(open)![1]
    const {hostname, port} = new URL(url)
    const answer = (await routerGet(Number(port), hostname)).body
    expect(JSON.parse(answer)).toMatchObject({greeting: null, message: expect.stringMatching(/^Hello from web\.[12]$/)})
  }, 180_000)
})
