// e2e (issue 16): the release phase runs for every new release of a slug with a `release` process type — config
// changes and rollbacks as well as deploys — in a one-off `release.N` dyno with the NEW release's config; the release
// is pending meanwhile (config:set answers at once), becomes current only when the command succeeds, and on failure
// the previous release stays current with its config vars. `releases:output` shows only the release command's
// output, which also reaches `ferry logs` as app[release.N]. The real CLI (bin/run.js) against a real daemon.
// The release command asks a gate server of this test whether to succeed, so the test decides when and how it ends.
import {execFileSync} from 'node:child_process'
import {copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {createServer, type Server, type ServerResponse} from 'node:http'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {redisServerBinary} from '../../src/platform/addons/binaries.js'
import {ferryEnv, makeFerryHome, removeFerryHome, ROOT, runFerry, runGit} from '../helpers/index.js'
import {skipUnlessAvailable} from '../helpers/requires.js'

const APP = 'phase-all'

function redisInstalled(): boolean {
  try {
    redisServerBinary()
    return true
  } catch {
    return false
  }
}

// Prints the config it sees, then (when GATE is set) succeeds only if the gate answers 200.
const RELEASE_SCRIPT = `echo "release-phase: MARK=\${MARK:-unset}"
if [ -n "$REDIS_URL" ]; then echo "release-phase: redis attached"; fi
if [ -n "$GATE" ]; then
  node -e 'fetch(process.env.GATE).then(r => { console.log("release-phase: gate " + r.status); process.exit(r.ok ? 0 : 3) }, e => { console.log(String(e)); process.exit(4) })'
fi
`

describe.skipIf(skipUnlessAvailable('dist/ (the built CLI)', existsSync(join(ROOT, 'dist', 'commands', 'builds', 'create.js')), 'run npm run build'))('e2e: release phase on every release', () => {
  let home: string
  let dir: string
  let gate: Server
  let gateUrl: string
  let gateStatus = 200
  const held: ServerResponse[] = []
  let hold = false

  const ferry = async (...args: string[]) => {
    const result = await runFerry([...args, '-a', APP], {home})
    expect(result.code, `ferry ${args.join(' ')}: ${result.stderr}`).toBe(0)
    return result
  }

  const releases = async (): Promise<any[]> => (JSON.parse((await ferry('releases', '--json')).stdout) as any[]).sort((a, b) => a.version - b.version)
  const release = async (version: number) => (await releases()).find(r => r.version === version)
  const config = async () => JSON.parse((await ferry('config', '--json')).stdout)

  async function settled(version: number): Promise<any> {
    const deadline = Date.now() + 60_000
    while (Date.now() < deadline) {
      const found = await release(version)
      if (found && found.status !== 'pending') return found
      await new Promise(r => setTimeout(r, 300))
    }

    throw new Error(`v${version} still pending after 60 s`)
  }

  beforeAll(async () => {
    gate = createServer((_req, res) => {
      if (hold) held.push(res)
      else res.writeHead(gateStatus).end()
    })
    await new Promise<void>(resolve => gate.listen(0, '127.0.0.1', resolve))
    gateUrl = `http://127.0.0.1:${(gate.address() as {port: number}).port}/`
    home = makeFerryHome('ferry-e2e-phase-')
    dir = mkdtempSync(join(tmpdir(), 'ferry-e2e-phase-src-'))
    copyFileSync(join(ROOT, 'examples', 'release-phase', 'server.mjs'), join(dir, 'server.mjs'))
    writeFileSync(join(dir, 'release.sh'), RELEASE_SCRIPT)
    writeFileSync(join(dir, 'Procfile'), 'web: node server.mjs\nrelease: sh release.sh\n')
    const env = ferryEnv(home)
    execFileSync('git', ['init', '-q', '-b', 'main'], {cwd: dir, env})
    execFileSync('git', ['add', '-A'], {cwd: dir, env})
    execFileSync('git', ['commit', '-qm', 'release phase'], {cwd: dir, env})
    expect((await runFerry(['apps:create', APP], {cwd: dir, home})).code).toBe(0)
    const push = await runGit(dir, env, 'push', 'ferry', 'main')
    expect(push.code, push.output).toBe(0)
    expect(push.output).toContain('release-phase: MARK=unset')
    expect(push.output).toMatch(/Launching\.\.\. done, v3/)
  }, 180_000)

  afterAll(async () => {
    for (const res of held) res.destroy()
    gate?.close()
    if (home) await removeFerryHome(home)
    if (dir) rmSync(dir, {force: true, recursive: true})
  })

  it("a deploy's release output holds only its release command's lines (not the build log)", async () => {
    expect(await release(3)).toMatchObject({current: true, status: 'succeeded'})
    expect((await ferry('releases:output', 'v3')).stdout).toBe('release-phase: MARK=unset\n')
    expect((await ferry('builds:output')).stdout).toContain('release-phase: MARK=unset')
  })

  it('config:set answers while the release command runs; the release becomes current only when it succeeds', async () => {
    hold = true
    const set = await ferry('config:set', 'MARK=one', `GATE=${gateUrl}`)
    expect(set.stderr + set.stdout).toMatch(/done, v4/)
    expect(await release(4)).toMatchObject({current: false, status: 'pending'})
    expect((await ferry('releases')).stdout).toMatch(/v4\s+Set MARK, GATE config vars release command executing/)
    expect((await releases()).find(r => r.current).version).toBe(3)
    // The release command runs with the NEW config: it reached the gate.
    const deadline = Date.now() + 60_000
    while (held.length === 0 && Date.now() < deadline) await new Promise(r => setTimeout(r, 200))
    expect(held.length).toBe(1)
    hold = false
    for (const res of held.splice(0)) res.writeHead(200).end()
    expect(await settled(4)).toMatchObject({current: true, status: 'succeeded'})

    const output = await ferry('releases:output', 'v4')
    expect(output.stdout).toBe('release-phase: MARK=one\nrelease-phase: gate 200\n')
    const logs = await ferry('logs', '-n', '200')
    expect(logs.stdout).toMatch(/app\[release\.\d+\]: release-phase: MARK=one/)
    expect(logs.stdout).toMatch(/app\[api\]: Release v4 created by user/)
  }, 120_000)

  it('a config change whose release command fails is not deployed: v4 stays current with its config vars', async () => {
    gateStatus = 500
    const set = await ferry('config:set', 'MARK=two', 'EXTRA=x')
    expect(set.stderr + set.stdout).toMatch(/done, v5/)
    expect(await settled(5)).toMatchObject({current: false, status: 'failed'})
    expect((await ferry('releases')).stdout).toMatch(/v5\s+Set MARK, EXTRA config vars release command failed/)
    expect((await releases()).find(r => r.current).version).toBe(4)
    expect(await config()).toEqual({GATE: gateUrl, MARK: 'one'})
    expect((await ferry('releases:output', 'v5')).stdout).toBe('release-phase: MARK=two\nrelease-phase: gate 500\n')
    expect((await ferry('logs', '-n', '200')).stdout).toMatch(/app\[api\]: Release v5 command failed by user/)
  }, 120_000)

  it('rollbacks run the release phase of the target with its config; a failing one keeps the current release and config', async () => {
    // v3 has no GATE: its release command succeeds with the gate still answering 500.
    await ferry('releases:rollback', 'v3')
    expect(await settled(6)).toMatchObject({current: true, description: 'Rollback to v3', status: 'succeeded'})
    expect(await config()).toEqual({})
    expect((await ferry('releases:output', 'v6')).stdout).toBe('release-phase: MARK=unset\n')

    // v4's config has the GATE, which says no now.
    await ferry('releases:rollback', 'v4')
    expect(await settled(7)).toMatchObject({current: false, description: 'Rollback to v4', status: 'failed'})
    expect((await releases()).find(r => r.current).version).toBe(6)
    expect(await config()).toEqual({})
  }, 120_000)

  const noRedis = skipUnlessAvailable('redis-server', redisInstalled(), 'apt-get install redis-server (.ci/run does)')
  it.skipIf(noRedis)('an add-on attach release runs the release phase with the add-on config var before it becomes current', async () => {
    await ferry('addons:create', 'heroku-redis:mini')
    expect(await settled(8)).toMatchObject({current: true, status: 'succeeded'})
    expect((await ferry('releases:output', 'v8')).stdout).toBe('release-phase: MARK=unset\nrelease-phase: redis attached\n')
  }, 120_000)

  it("a config change made during a deploy's release phase waits for it and keeps the deployed code", async () => {
    gateStatus = 200
    await ferry('config:set', `GATE=${gateUrl}`)
    const before = (await releases()).at(-1)
    expect(await settled(before.version)).toMatchObject({current: true})
    writeFileSync(join(dir, 'version.txt'), 'two\n')
    execFileSync('git', ['add', '-A'], {cwd: dir, env: ferryEnv(home)})
    execFileSync('git', ['commit', '-qm', 'second deploy'], {cwd: dir, env: ferryEnv(home)})
    hold = true
    const pushing = runGit(dir, ferryEnv(home), 'push', 'ferry', 'main')
    const deadline = Date.now() + 90_000
    while (held.length === 0 && Date.now() < deadline) await new Promise(r => setTimeout(r, 200))
    expect(held.length).toBe(1)
    const deploy = before.version + 1
    expect(await release(deploy)).toMatchObject({status: 'pending'})
    const set = await ferry('config:set', 'MARK=late')
    expect(set.stderr + set.stdout).toMatch(new RegExp(`done, v${deploy + 1}`))
    expect(await release(deploy + 1)).toMatchObject({status: 'pending'})
    hold = false
    for (const res of held.splice(0)) res.writeHead(200).end()
    const pushed = await pushing
    expect(pushed.code, pushed.output).toBe(0)
    const change = await settled(deploy + 1)
    expect(change).toMatchObject({current: true, status: 'succeeded'})
    const deployed = await release(deploy)
    expect(deployed.slug.id).not.toBe(before.slug.id)
    // Made while the old code was current, run after the deploy: it carries the deployed slug, not the old one.
    expect(change.slug.id).toBe(deployed.slug.id)
    expect((await ferry('releases:output', `v${deploy + 1}`)).stdout).toContain('release-phase: MARK=late\n')
  }, 180_000)

  it('releases:output of a release without a release command says so, like heroku', async () => {
    const out = await ferry('releases:output', 'v2')
    expect(out.stdout).toBe('')
    expect(out.stderr).toContain('Release v2 has no release output available.')
  })
})
