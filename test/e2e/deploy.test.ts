// e2e (issue 4): `git push ferry main` of the example apps with real git through the real CLI and daemon, builds:create
// without git, a classic buildpack fixture, and the bad-input cases. Needs `npm run build`.
// Push-to-release times are printed (no timing assertions; see the report / bench for figures).
import {execFileSync} from 'node:child_process'
import {copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {ferryEnv, makeFerryHome, readDaemonJson, readToken, removeFerryHome, ROOT, runGit, runFerry} from '../helpers/index.js'
import {skipUnlessAvailable} from '../helpers/requires.js'
import {viaRouter as viaRouterOf} from './language-apps.js'

const FIXTURE_BUILDPACK = join(ROOT, 'test', 'fixtures', 'buildpacks', 'hello-classic')
const timings: Record<string, number> = {}

describe.skipIf(skipUnlessAvailable('dist/ (the built CLI)', existsSync(join(ROOT, 'dist', 'commands', 'builds', 'create.js')), 'run npm run build'))('e2e: deploy pipeline', () => {
  let home: string
  let scratch: string

  /** A git work tree with the git-tracked files of examples/<name> (plus extra files), committed on `branch`. */
  function workTree(example: null | string, name: string, extra: Record<string, string> = {}, branch = 'main'): string {
    const dir = join(scratch, name)
    mkdirSync(dir, {recursive: true})
    if (example) {
      const files = execFileSync('git', ['ls-files', `examples/${example}`], {cwd: ROOT, encoding: 'utf8'}).trim().split('\n')
      for (const file of files) {
        const target = join(dir, file.slice(`examples/${example}/`.length))
        mkdirSync(dirname(target), {recursive: true})
        copyFileSync(join(ROOT, file), target)
      }
    }

    for (const [file, content] of Object.entries(extra)) {
      mkdirSync(dirname(join(dir, file)), {recursive: true})
      writeFileSync(join(dir, file), content)
    }

    const env = ferryEnv(home)
    execFileSync('git', ['init', '-q', '-b', branch], {cwd: dir, env})
    execFileSync('git', ['add', '-A'], {cwd: dir, env})
    execFileSync('git', ['commit', '-qm', `${name} example`], {cwd: dir, env})
    return dir
  }

  /** `git push <remote> <refspec>` with the CLI's environment (credential helper → platform token). */
  const gitPush = (cwd: string, ...args: string[]) => runGit(cwd, ferryEnv(home), 'push', ...args)

  async function createApp(name: string, cwd: string): Promise<void> {
    const created = await runFerry(['apps:create', name], {cwd, home})
    expect(created.code, created.stderr).toBe(0)
  }

  async function api(path: string): Promise<any> {
    const info = readDaemonJson(home)!
    const res = await fetch(info.url + path, {headers: {Authorization: `Bearer ${readToken(home)}`}})
    expect(res.status, path).toBe(200)
    return res.json()
  }

  async function releasesOf(app: string): Promise<any[]> {
    const r = await runFerry(['releases', '--json', '-a', app], {home})
    expect(r.code, r.stderr).toBe(0)
    return (JSON.parse(r.stdout) as any[]).sort((a, b) => a.version - b.version)
  }

  async function currentSlug(app: string): Promise<any> {
    const current = (await releasesOf(app)).find(r => r.current)
    return api(`/apps/${app}/slugs/${current.slug.id}`)
  }

  async function formationOf(app: string): Promise<Record<string, number>> {
    const list = await api(`/apps/${app}/formation`)
    return Object.fromEntries(list.map((f: any) => [f.type, f.quantity]))
  }

  /** GET / through the router with Host: <app>.localhost; retries while dynos boot. */
  const viaRouter = (app: string) => viaRouterOf(home, app)

  async function timedPush(label: string, cwd: string, ...args: string[]): Promise<{code: number; output: string}> {
    const started = Date.now()
    const result = await gitPush(cwd, ...args)
    timings[label] = Date.now() - started
    return result
  }

  beforeAll(() => {
    home = makeFerryHome()
    scratch = mkdtempSync(join(tmpdir(), 'ferry-e2e-deploy-'))
  })

  afterAll(async () => {
    console.log(`push-to-release times (ms): ${JSON.stringify(timings)}`)
    await removeFerryHome(home)
    rmSync(scratch, {force: true, recursive: true})
  })

  it('static-site: detected as static, served by the bundled file server', async () => {
    const dir = workTree('static-site', 'static-site')
    await createApp('site-e2e', dir)
    const push = await timedPush('static-site', dir, 'ferry', 'main')
    expect(push.output).toContain('remote: -----> Building on the ferry platform')
    expect(push.output).toContain('remote: -----> Static HTML app detected')
    expect(push.output).toMatch(/remote: -----> Launching\.\.\. done, v3/)
    expect(push.output).toMatch(/remote: {8}http:\/\/site-e2e\.localhost:\d+\/ deployed to ferry/)
    expect(push.code, push.output).toBe(0)
    expect((await currentSlug('site-e2e')).process_types).toEqual({web: 'node .ferry/static-server.mjs .'})
    expect(await formationOf('site-e2e')).toEqual({web: 1})
    expect(await viaRouter('site-e2e')).toContain('<')
  })

  it('node-hello: npm dependencies from the registry, Procfile web + worker, served', async () => {
    const dir = workTree('node-hello', 'node-hello')
    await createApp('node-e2e', dir)
    const push = await timedPush('node-hello', dir, 'ferry', 'main')
    expect(push.output).toContain('remote: -----> Node.js app detected')
    expect(push.output).toContain('remote:        Installing node modules (package-lock.json)')
    expect(push.code, push.output).toBe(0)
    const slug = await currentSlug('node-e2e')
    expect(slug.process_types).toEqual({web: 'npm start', worker: 'node worker.js'})
    expect(slug.buildpack_provided_description).toBe('Node.js')
    expect(await formationOf('node-e2e')).toEqual({web: 1, worker: 0})
    expect((await releasesOf('node-e2e')).at(-1).description).toMatch(/^Deploy [\da-f]{8}$/)
    expect(await viaRouter('node-e2e')).not.toBe('')
  }, 300_000)

  it('procfile-worker with app.json formation; a non-main branch and an invalid Procfile are rejected', async () => {
    const dir = workTree('procfile-worker', 'procfile-worker', {'app.json': JSON.stringify({formation: {web: {quantity: 1}, worker: {quantity: 2}}})})
    await createApp('worker-e2e', dir)
    const push = await timedPush('procfile-worker', dir, 'ferry', 'main')
    expect(push.code, push.output).toBe(0)
    expect(push.output).toContain('remote: -----> Procfile app detected')
    expect(await formationOf('worker-e2e')).toEqual({web: 1, worker: 2})

    const feature = await gitPush(dir, 'ferry', 'main:feature')
    expect(feature.code).not.toBe(0)
    expect(feature.output).toMatch(/only the main and master branches deploy/)

    writeFileSync(join(dir, 'Procfile'), 'web: node server.mjs\nweb: again\n')
    execFileSync('git', ['commit', '-qam', 'break Procfile'], {cwd: dir, env: ferryEnv(home)})
    const invalid = await gitPush(dir, 'ferry', 'main')
    expect(invalid.code).not.toBe(0)
    expect(invalid.output).toMatch(/Procfile line 2: process type "web" is defined twice/)
    expect(invalid.output).toContain('[remote rejected]')
    expect((await releasesOf('worker-e2e')).find(r => r.current).version).toBe(3)
  })

  it('release-phase: the release command runs before the release becomes current', async () => {
    const dir = workTree('release-phase', 'release-phase')
    await createApp('phase-e2e', dir)
    const push = await timedPush('release-phase', dir, 'ferry', 'main')
    expect(push.output).toContain('remote: -----> Running release command...')
    expect(push.output).toContain('release-phase: migrations done')
    expect(push.code, push.output).toBe(0)
    const latest = (await releasesOf('phase-e2e')).at(-1)
    expect(latest).toMatchObject({current: true, status: 'succeeded', version: 3})
    expect(await formationOf('phase-e2e')).toEqual({web: 1})

    writeFileSync(join(dir, 'Procfile'), 'web: node server.mjs\nrelease: echo "migration broke" && exit 7\n')
    execFileSync('git', ['commit', '-qam', 'failing release'], {cwd: dir, env: ferryEnv(home)})
    const failed = await gitPush(dir, 'ferry', 'main')
    expect(failed.code).not.toBe(0)
    expect(failed.output).toContain('migration broke')
    const releases = await releasesOf('phase-e2e')
    expect(releases.at(-1)).toMatchObject({status: 'failed', version: 4})
    expect(releases.find(r => r.current).version).toBe(3)
    const output = await runFerry(['builds:output', '-a', 'phase-e2e'], {home})
    expect(output.stdout).toContain('migration broke')
  })

  it('broken-build: the push is rejected and the previous release stays current', async () => {
    const dir = workTree('broken-build', 'broken-build')
    await createApp('broken-e2e', dir)
    const push = await timedPush('broken-build', dir, 'ferry', 'main')
    expect(push.code).not.toBe(0)
    expect(push.output).toContain('remote:  !     npm run build failed')
    expect(push.output).toContain('[remote rejected]')
    expect((await releasesOf('broken-e2e')).map(r => r.version)).toEqual([1, 2])
    const builds = await runFerry(['builds', '--json', '-a', 'broken-e2e'], {home})
    expect(JSON.parse(builds.stdout)[0].status).toBe('failed')
  })

  it('a classic buildpack from a directory runs detect/compile/release with ENV_DIR and CACHE_DIR', async () => {
    const dir = workTree(null, 'classic', {'hello.txt': 'hi'})
    await createApp('classic-e2e', dir)
    const added = await runFerry(['buildpacks:add', FIXTURE_BUILDPACK, '-a', 'classic-e2e'], {home})
    expect(added.code, added.stderr).toBe(0)
    expect(added.stdout).toContain(`Next release on classic-e2e will use ${FIXTURE_BUILDPACK}.`)
    expect((await runFerry(['config:set', 'GREETING=bonjour', '-a', 'classic-e2e'], {home})).code).toBe(0)
    const push = await timedPush('classic-buildpack', dir, 'ferry', 'main')
    expect(push.code, push.output).toBe(0)
    expect(push.output).toContain('remote: -----> HelloClassic app detected')
    expect(push.output).toContain('remote:        greeting from ENV_DIR: bonjour')
    expect(push.output).toContain('remote:        cached compile runs: 1')
    expect((await currentSlug('classic-e2e')).process_types).toEqual({web: 'bin/hello-web'})
    expect(await viaRouter('classic-e2e')).toBe('bonjour from hello-classic\n')

    // The cache survives to the next build and builds:cache:purge empties it.
    const again = await runFerry(['builds:create', '--dir', dir, '-a', 'classic-e2e'], {home})
    expect(again.code, again.stderr).toBe(0)
    expect(again.stderr).toContain('cached compile runs: 2')
    expect((await runFerry(['builds:cache:purge', '-a', 'classic-e2e'], {home})).code).toBe(0)
    const purged = await runFerry(['builds:create', '--dir', dir, '-a', 'classic-e2e'], {home})
    expect(purged.stderr).toContain('cached compile runs: 1')
  })

  it('builds:create --dir deploys without git; a failing build exits 1', async () => {
    expect((await runFerry(['apps:create', 'upload-e2e'], {cwd: scratch, home})).code).toBe(0)
    const started = Date.now()
    const ok = await runFerry(['builds:create', '--dir', join(ROOT, 'examples', 'procfile-worker'), '--version', '1.0.0', '-a', 'upload-e2e'], {home})
    timings['builds:create procfile-worker'] = Date.now() - started
    expect(ok.code, ok.stderr).toBe(0)
    expect(ok.stderr).toContain('-----> Launching... done, v3')
    expect((await releasesOf('upload-e2e')).at(-1)).toMatchObject({current: true, description: 'Deploy 1.0.0'})
    const list = await runFerry(['builds', '-a', 'upload-e2e'], {home})
    expect(list.stdout).toContain('=== upload-e2e Builds')
    expect(list.stdout).toMatch(/succeeded\s+dev@ferry\.local\s+1\.0\.0/)
    const info = await runFerry(['builds:info', '-a', 'upload-e2e'], {home})
    expect(info.stdout).toMatch(/Status:\s+succeeded/)

    const bad = await runFerry(['builds:create', '--dir', join(ROOT, 'examples', 'broken-build'), '-a', 'upload-e2e'], {home})
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain('Build failed')
    const none = await runFerry(['builds:create', '--dir', join(scratch, 'nothing-here'), '-a', 'upload-e2e'], {home})
    expect(none.code).toBe(1)
    expect((await releasesOf('upload-e2e')).find(r => r.current).version).toBe(3)
  })

  it('unknown apps and wrong tokens are refused by the git endpoint', async () => {
    const {url} = readDaemonJson(home)!
    const dir = workTree(null, 'stranger', {Procfile: 'web: x'})
    const unknown = await gitPush(dir, `${url.replace('http://', `http://x:${readToken(home)}@`)}/no-such-app.git`, 'main')
    expect(unknown.code).not.toBe(0)
    expect(unknown.output).toMatch(/not found|404/i)
    const wrong = await gitPush(dir, `${url.replace('http://', 'http://x:wrong@')}/site-e2e.git`, 'main')
    expect(wrong.code).not.toBe(0)
    expect(wrong.output).toMatch(/Authentication failed|401/)
  })

  it('ferry git:clone fetches the deployed code with the token', async () => {
    const target = join(scratch, 'cloned-site')
    const cloned = await runFerry(['git:clone', '-a', 'site-e2e', target], {home})
    expect(cloned.code, cloned.stderr).toBe(0)
    expect(existsSync(join(target, 'index.html'))).toBe(true)
    expect(execFileSync('git', ['log', '--format=%s'], {cwd: target, encoding: 'utf8'}).trim()).toBe('static-site example')
  })
})
