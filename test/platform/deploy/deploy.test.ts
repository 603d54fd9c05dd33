// The deploy pipeline through the real API server: git push (real git), builds API with source tarballs, release phase.
import {execFile, spawn} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {PassThrough} from 'node:stream'
import {promisify} from 'node:util'
import * as tar from 'tar'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {OneOffHandle, OneOffOptions} from '../../../src/platform/context.js'

import {runGit} from '../../helpers/index.js'
import {createApp as createAppIn, type Harness, json, startHarness, TOKEN} from '../server/harness.js'

const run = promisify(execFile)
let h: Harness
let tmp: string

const gitEnv = {
  ...process.env,
  GIT_AUTHOR_EMAIL: 'dev@example.com',
  GIT_AUTHOR_NAME: 'Dev',
  GIT_COMMITTER_EMAIL: 'dev@example.com',
  GIT_COMMITTER_NAME: 'Dev',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_TERMINAL_PROMPT: '0',
}

const createApp = (name: string) => createAppIn(h, name)

function repoUrl(app: string, token = TOKEN): string {
  return `http://heroku:${token}@127.0.0.1:${h.ctx.config.port}/${app}.git`
}

/** A git work tree with these files committed on `branch`. */
async function workTree(name: string, files: Record<string, string>, branch = 'main'): Promise<string> {
  const dir = join(tmp, name)
  mkdirSync(dir, {recursive: true})
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(join(dir, file, '..'), {recursive: true})
    writeFileSync(join(dir, file), content)
  }

  await run('git', ['init', '-q', '-b', branch], {cwd: dir, env: gitEnv})
  await run('git', ['add', '-A'], {cwd: dir, env: gitEnv})
  await run('git', ['commit', '-qm', `commit ${name}`], {cwd: dir, env: gitEnv})
  return dir
}

/** git push; resolves with exit code and combined output (never throws). */
function push(dir: string, url: string, ...args: string[]): Promise<{code: number; output: string}> {
  return runGit(dir, gitEnv, 'push', url, ...args)
}

async function releases(app: string): Promise<any[]> {
  return json(await h.request('GET', `/apps/${app}/releases`))
}

/** A tar.gz of `files` (entries relative), written to a temp file. */
async function tarball(name: string, files: Record<string, string>): Promise<string> {
  const dir = join(tmp, `src-${name}`)
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(join(dir, file, '..'), {recursive: true})
    writeFileSync(join(dir, file), content)
  }

  const file = join(tmp, `${name}.tgz`)
  await tar.c({cwd: dir, file, gzip: true, portable: true}, Object.keys(files))
  return file
}

async function uploadAndBuild(app: string, file: string, version = 'v1'): Promise<{build: any; output: string}> {
  const source = await json(await h.request('POST', '/sources'))
  const {readFile} = await import('node:fs/promises')
  const put = await fetch(source.source_blob.put_url, {body: await readFile(file), method: 'PUT'})
  expect(put.status).toBe(200)
  const created = await h.request('POST', `/apps/${app}/builds`, {body: {source_blob: {url: source.source_blob.get_url, version}}})
  expect(created.status).toBe(201)
  const build = await json(created)
  expect(build.status).toBe('pending')
  const output = await (await fetch(build.output_stream_url)).text()
  return {build: await json(await h.request('GET', `/apps/${app}/builds/${build.id}`)), output}
}

describe('deploy pipeline', () => {
  beforeAll(async () => {
    h = await startHarness()
    tmp = mkdtempSync(join(tmpdir(), 'ferry-deploy-'))
  })

  afterAll(async () => {
    await h.close()
    rmSync(tmp, {force: true, recursive: true})
  })

  it('git push main deploys: remote: output, build, slug, release "Deploy <sha>", formation', async () => {
    await createApp('pushy')
    const dir = await workTree('pushy', {Procfile: 'web: ./web.sh\nworker: ./work.sh\n', 'app.json': '{"formation": {"worker": {"quantity": 2}}}', 'web.sh': 'echo hi'})
    const result = await push(dir, repoUrl('pushy'), 'main')
    expect(result.output).toContain('remote: -----> Building on the ferry platform')
    expect(result.output).toContain('remote: -----> Procfile app detected')
    expect(result.output).toMatch(/remote: -----> Launching\.\.\. done, v3/)
    expect(result.output).toContain('remote:        http://pushy.localhost:5999/ deployed to ferry')
    expect(result.code).toBe(0)
    const {stdout: sha} = await run('git', ['rev-parse', 'HEAD'], {cwd: dir})
    const list = await releases('pushy')
    const last = list.at(-1)
    expect(last).toMatchObject({current: true, description: `Deploy ${sha.trim().slice(0, 8)}`, status: 'succeeded', version: 3})
    const slug = await json(await h.request('GET', `/apps/pushy/slugs/${last.slug.id}`))
    expect(slug.process_types).toEqual({web: './web.sh', worker: './work.sh'})
    expect(slug.checksum).toMatch(/^SHA256:[\da-f]{64}$/)
    expect(slug.commit).toBe(sha.trim())
    const formation = await json(await h.request('GET', '/apps/pushy/formation'))
    expect(Object.fromEntries(formation.map((f: any) => [f.type, f.quantity]))).toEqual({web: 1, worker: 2})
    const builds = await json(await h.request('GET', '/apps/pushy/builds'))
    expect(builds).toHaveLength(1)
    expect(builds[0]).toMatchObject({release: {id: last.id}, slug: {id: last.slug.id}, status: 'succeeded'})
    const replay = await (await fetch(builds[0].output_stream_url)).text()
    expect(replay).toContain('-----> Procfile app detected')
    expect(h.supervisor.converges).toContain(last.app.id)

    // A force push of an unrelated history deploys too, and the app can be cloned back with the token.
    const other = await workTree('pushy2', {Procfile: 'web: ./v2.sh\n'})
    const forced = await push(other, repoUrl('pushy'), '--force', 'main')
    expect(forced.code).toBe(0)
    expect((await releases('pushy')).at(-1).version).toBe(4)
    await run('git', ['clone', '-q', repoUrl('pushy'), join(tmp, 'clone')], {env: gitEnv})
    const {stdout: log} = await run('git', ['log', '--format=%s'], {cwd: join(tmp, 'clone')})
    expect(log.trim()).toBe('commit pushy2')

    // Rollback (store) works with deployed slugs: a new release carrying v3's slug.
    const rolled = await json(await h.request('POST', '/apps/pushy/releases', {body: {release: '3'}}))
    expect(rolled).toMatchObject({current: true, description: 'Rollback to v3', slug: {id: last.slug.id}, version: 5})
  })

  it('rejects other branches, a failing build, an invalid Procfile; the release stays current', async () => {
    await createApp('strict')
    const dir = await workTree('strict', {Procfile: 'web: ok'}, 'feature')
    const branch = await push(dir, repoUrl('strict'), 'feature')
    expect(branch.code).not.toBe(0)
    expect(branch.output).toMatch(/only the main and master branches deploy/)
    expect(branch.output).toContain('[remote rejected]')

    const none = await workTree('strict-none', {'README.md': 'hi'})
    const undetected = await push(none, repoUrl('strict'), 'main')
    expect(undetected.code).not.toBe(0)
    expect(undetected.output).toContain('remote:  !     No default language could be detected for this app.')

    const bad = await workTree('strict-bad', {Procfile: 'web: a\nnot a line\n'})
    const invalid = await push(bad, repoUrl('strict'), 'main')
    expect(invalid.code).not.toBe(0)
    expect(invalid.output).toMatch(/Procfile line 2/)

    const broken = await workTree('strict-broken', {'package.json': JSON.stringify({name: 'b', scripts: {build: 'exit 2'}})})
    const failed = await push(broken, repoUrl('strict'), 'main')
    expect(failed.code).not.toBe(0)
    expect(failed.output).toMatch(/npm run build failed/)
    const list = await releases('strict')
    expect(list.map(r => r.version)).toEqual([1, 2])
    const builds = await json(await h.request('GET', '/apps/strict/builds'))
    expect(builds.map((b: any) => b.status)).toEqual(['failed', 'failed', 'failed'])
  })

  it('answers 401 with Basic realm to a wrong or missing token and 404 for unknown apps', async () => {
    await createApp('locked')
    const anon = await fetch(`${h.url}/locked.git/info/refs?service=git-receive-pack`)
    expect(anon.status).toBe(401)
    expect(anon.headers.get('www-authenticate')).toBe('Basic realm="ferry"')
    const dir = await workTree('locked', {Procfile: 'web: x'})
    const wrong = await push(dir, repoUrl('locked', 'wrong-token'), 'main')
    expect(wrong.code).not.toBe(0)
    expect((await releases('locked')).length).toBe(2)
    const missing = await fetch(`${h.url}/nope-app.git/info/refs?service=git-upload-pack`, {headers: {Authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}`}})
    expect(missing.status).toBe(404)
  })

  it('runs the release phase before the release becomes current; a failing one leaves the previous release', async () => {
    await createApp('phased')
    const calls: Array<OneOffOptions & {release?: unknown}> = []
    const supervisor = h.supervisor as any
    const original = supervisor.startOneOff
    supervisor.startOneOff = async (options: OneOffOptions & {release?: any}): Promise<OneOffHandle> => {
      calls.push(options)
      const output = new PassThrough()
      const child = spawn('bash', ['-c', options.command], {env: {...options.release.env, PATH: process.env.PATH}})
      child.stdout.pipe(output, {end: false})
      child.stderr.pipe(output, {end: false})
      const exit = new Promise<number>(resolve => child.on('close', code => {
        output.end()
        resolve(code ?? 1)
      }))
      return {dyno: {} as any, exit, output, stdin: child.stdin, stop: async () => void child.kill()}
    }

    try {
      await h.request('PATCH', '/apps/phased/config-vars', {body: {DB: 'ok'}})
      const good = await workTree('phased', {Procfile: 'web: x\nrelease: echo "migrating $DB"\n'})
      const ok = await push(good, repoUrl('phased'), 'main')
      expect(ok.code).toBe(0)
      expect(ok.output).toContain('remote: -----> Running release command...')
      expect(ok.output).toContain('remote:        migrating ok')
      expect(calls[0]).toMatchObject({attach: true, command: 'echo "migrating $DB"', type: 'release'})
      let list = await releases('phased')
      expect(list.at(-1)).toMatchObject({current: true, status: 'succeeded', version: 4})
      const formation = await json(await h.request('GET', '/apps/phased/formation'))
      expect(formation.map((f: any) => f.type)).toEqual(['web'])

      const bad = await workTree('phased-bad', {Procfile: 'web: y\nrelease: echo "migration failed"; exit 3\n'})
      const failed = await push(bad, repoUrl('phased'), '--force', 'main')
      expect(failed.code).not.toBe(0)
      expect(failed.output).toContain('migration failed')
      expect(failed.output).toMatch(/Release command failed \(exit status 3\)/)
      list = await releases('phased')
      expect(list.at(-1)).toMatchObject({current: false, status: 'failed', version: 5})
      expect(list.find((r: any) => r.current).version).toBe(4)
    } finally {
      supervisor.startOneOff = original
    }
  })

  it('builds from an uploaded source tarball and streams the output; rejects bad tarballs', async () => {
    await createApp('tarred')
    const good = await tarball('good', {Procfile: 'web: node .ferry/static-server.mjs public', 'public/index.html': '<p>hi</p>'})
    const {build, output} = await uploadAndBuild('tarred', good, '1.2.3')
    expect(output).toContain('-----> Building on the ferry platform')
    expect(output).toContain('-----> Node.js app detected'.replace('Node.js', 'Static HTML'))
    expect(build.status).toBe('succeeded')
    expect(build.source_blob.version).toBe('1.2.3')
    expect((await releases('tarred')).at(-1)).toMatchObject({description: 'Deploy 1.2.3', version: 3})

    // ../ paths, absolute paths and symlinks that leave the source dir are refused before anything is extracted.
    const evilDir = join(tmp, 'evil')
    mkdirSync(evilDir, {recursive: true})
    symlinkSync('/etc', join(evilDir, 'link'))
    writeFileSync(join(evilDir, 'Procfile'), 'web: x')
    const linkTar = join(tmp, 'link.tgz')
    await tar.c({cwd: evilDir, file: linkTar, gzip: true}, ['Procfile', 'link'])
    const linked = await uploadAndBuild('tarred', linkTar)
    expect(linked.build.status).toBe('failed')
    expect(linked.output).toMatch(/Source tarball rejected: link "link" points outside/)

    const dotdot = join(tmp, 'dotdot.tgz')
    await tar.c({cwd: evilDir, file: dotdot, gzip: true, preservePaths: true}, ['../evil/Procfile'])
    const escaped = await uploadAndBuild('tarred', dotdot)
    expect(escaped.build.status).toBe('failed')
    expect(escaped.output).toMatch(/leaves the source directory/)

    const absolute = join(tmp, 'abs.tgz')
    await tar.c({file: absolute, gzip: true, preservePaths: true}, [join(evilDir, 'Procfile')])
    const abs = await uploadAndBuild('tarred', absolute)
    expect(abs.build.status).toBe('failed')
    expect(abs.output).toMatch(/absolute path/)
    expect((await releases('tarred')).at(-1).version).toBe(3)
  })

  it('refuses oversized uploads, manages buildpacks and the build cache, resolves registry names', async () => {
    await createApp('bpapp')
    const source = await json(await h.request('POST', '/sources'))
    const limit = h.config.sourceMaxBytes
    h.config.sourceMaxBytes = 1000
    try {
      const put = await fetch(source.source_blob.put_url, {body: Buffer.alloc(5000), method: 'PUT'})
      expect(put.status).toBe(413)
    } finally {
      h.config.sourceMaxBytes = limit
    }

    const forged = await fetch(source.source_blob.put_url.replace(/\/[^/]+$/, '/0000'), {body: 'x', method: 'PUT'})
    expect(forged.status).toBe(404)

    const put = await h.request('PUT', '/apps/bpapp/buildpack-installations', {body: {updates: [{buildpack: 'urn:buildpack:heroku/nodejs'}, {buildpack: '/opt/bp'}]}})
    expect(await json(put)).toEqual([
      {buildpack: {name: 'heroku/nodejs', url: 'heroku/nodejs'}, ordinal: 0},
      {buildpack: {name: '/opt/bp', url: '/opt/bp'}, ordinal: 1},
    ])
    expect((await h.request('PUT', '/apps/bpapp/buildpack-installations', {body: {updates: [{buildpack: 'relative/dir/x'}]}})).status).toBe(422)
    const registry = await fetch(`${h.url}/buildpacks/heroku%2Fnodejs`)
    expect(await json(registry)).toMatchObject({blob_url: 'urn:buildpack:heroku/nodejs', name: 'nodejs', namespace: 'heroku'})
    const purge = await h.request('DELETE', '/apps/bpapp/build-cache')
    expect(purge.status).toBe(202)
  })

  it('runs one build per app: a second push while building is rejected clearly, the API answers 409', async () => {
    await createApp('busy')
    const bp = join(tmp, 'slow-bp')
    const marker = join(tmp, 'slow-bp-go')
    mkdirSync(join(bp, 'bin'), {recursive: true})
    writeFileSync(join(bp, 'bin', 'detect'), '#!/bin/sh\necho Slow\n', {mode: 0o755})
    writeFileSync(join(bp, 'bin', 'compile'), `#!/bin/sh\nwhile [ ! -f ${marker} ]; do sleep 0.1; done\necho "       slow done"\n`, {mode: 0o755})
    await h.request('PUT', '/apps/busy/buildpack-installations', {body: {updates: [{buildpack: bp}]}})
    const first = await workTree('busy1', {Procfile: 'web: one'})
    const second = await workTree('busy2', {Procfile: 'web: two'})
    const pushing = push(first, repoUrl('busy'), 'main')
    for (let i = 0; i < 200; i++) {
      const builds = await json(await h.request('GET', '/apps/busy/builds'))
      if (builds.length > 0) break
      await new Promise(resolve => setTimeout(resolve, 50))
    }

    const rejected = await push(second, repoUrl('busy'), 'main')
    expect(rejected.code).not.toBe(0)
    expect(rejected.output).toContain('A build is already running for busy; wait for it to finish and try again.')
    const source = await json(await h.request('POST', '/sources'))
    await fetch(source.source_blob.put_url, {body: 'x', method: 'PUT'})
    const api = await h.request('POST', '/apps/busy/builds', {body: {source_blob: {url: source.source_blob.get_url}}})
    expect(api.status).toBe(409)
    writeFileSync(marker, '')
    const done = await pushing
    expect(done.code, done.output).toBe(0)
    expect(done.output).toContain('slow done')
    expect((await releases('busy')).map(r => r.version)).toEqual([1, 2, 3])
  })

  it('marks builds and release phases interrupted by a restart as failed', async () => {
    const app = await createApp('crashy')
    const {store} = h.ctx
    const build = store.createBuild({appId: app.id, sourceBlob: {url: 'x'}})
    const slug = store.createSlug({appId: app.id, processTypes: {release: 'x', web: 'y'}})
    const release = store.createRelease({appId: app.id, description: 'Deploy x', slugId: slug.id, status: 'pending'})
    const deploy = await h.ctx.deploy()
    expect(deploy.recoverInterrupted()).toBe(1)
    expect(store.getBuild(app.id, build.id).status).toBe('failed')
    expect(store.getRelease(app.id, release.id).status).toBe('failed')
    expect(store.currentRelease(app.id)?.version).toBe(2)
    // A config change whose release phase a restart interrupted: failed, and its config vars are put back.
    store.setReleaseStatus(store.createRelease({appId: app.id, description: 'Deploy y', slugId: slug.id, status: 'pending'}).id, 'succeeded')
    const change = store.updateConfigVars(app.id, {MARK: 'new'}).release!
    expect(change.status).toBe('pending')
    expect(deploy.recoverInterrupted()).toBe(0)
    expect(store.getRelease(app.id, change.id).status).toBe('failed')
    expect(store.configVars(app.id)).toEqual({})
  })

  it('cancels a running build (DELETE /builds/:id) and answers 409 once it is over', async () => {
    await createApp('cancel-me')
    const bp = join(tmp, 'forever-bp')
    mkdirSync(join(bp, 'bin'), {recursive: true})
    writeFileSync(join(bp, 'bin', 'detect'), '#!/bin/sh\necho Forever\n', {mode: 0o755})
    writeFileSync(join(bp, 'bin', 'compile'), '#!/bin/sh\necho "       compiling forever"\nsleep 600\n', {mode: 0o755})
    await h.request('PUT', '/apps/cancel-me/buildpack-installations', {body: {updates: [{buildpack: bp}]}})
    const dir = await workTree('cancel-me', {Procfile: 'web: x'})
    const pushing = push(dir, repoUrl('cancel-me'), 'main')
    let build: any
    for (let i = 0; i < 200 && !build; i++) {
      build = (await json(await h.request('GET', '/apps/cancel-me/builds')))[0]
      if (!build) await new Promise(resolve => setTimeout(resolve, 50))
    }

    const output = await fetch(build.output_stream_url)
    const reader = output.body!.getReader()
    let seen = ''
    while (!seen.includes('compiling forever')) seen += new TextDecoder().decode((await reader.read()).value)
    const cancelled = await h.request('DELETE', `/apps/cancel-me/builds/${build.id}`)
    expect(cancelled.status).toBe(200)
    const result = await pushing
    expect(result.code).not.toBe(0)
    expect(result.output).toContain('The build was cancelled.')
    expect((await json(await h.request('GET', `/apps/cancel-me/builds/${build.id}`))).status).toBe('failed')
    expect((await h.request('DELETE', `/apps/cancel-me/builds/${build.id}`)).status).toBe(409)
    await reader.cancel()
  })

  it('builds from an http(s) source URL and checks source_blob.checksum', async () => {
    await createApp('fetched')
    const file = await tarball('fetched', {Procfile: 'web: ./serve'})
    const {createServer} = await import('node:http')
    const {readFileSync} = await import('node:fs')
    const server = createServer((_req, res) => res.end(readFileSync(file)))
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(server.address() as any).port}/app.tgz`
    try {
      const wrong = await h.request('POST', '/apps/fetched/builds', {body: {source_blob: {checksum: `SHA256:${'0'.repeat(64)}`, url}}})
      expect(wrong.status).toBe(422)
      const created = await json(await h.request('POST', '/apps/fetched/builds', {body: {source_blob: {url, version: 'remote'}}}))
      await (await fetch(created.output_stream_url)).text()
      const build = await json(await h.request('GET', `/apps/fetched/builds/${created.id}`))
      expect(build.status).toBe('succeeded')
      expect(build.source_blob.checksum).toMatch(/^SHA256:[\da-f]{64}$/)
    } finally {
      server.close()
    }
  })
})
