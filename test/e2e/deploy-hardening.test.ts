// e2e (issue 13, deploy pipeline): attacks through `git push ferry main` against the real CLI and daemon.
// Item 5: unbounded build output; item 6: .slugignore patterns freezing the daemon; item 7: repository symlinks
// out of the build; item 14: a release reported done that cannot run. Needs `npm run build`.
import {execFileSync} from 'node:child_process'
import {chmodSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {ferryEnv, isAlive, makeFerryHome, readDaemonJson, readToken, removeFerryHome, routerGet, runGit, runFerry} from '../helpers/index.js'

/** Small caps so a test build can pass them (the defaults are 20 MB kept, 1 MB replay, 20 builds). */
const LIMITS = {FERRY_BUILD_LOGS_KEPT: '2', FERRY_BUILD_OUTPUT_MAX_BYTES: String(64 * 1024), FERRY_BUILD_OUTPUT_MEMORY_BYTES: String(16 * 1024)}

describe('e2e: deploy pipeline under attack', () => {
  let home: string
  let scratch: string

  /** A git work tree with `files` (string: content; {link}: a symlink) committed on main. */
  function workTree(name: string, files: Record<string, string | {link: string}>): string {
    const dir = join(scratch, name)
    mkdirSync(dir, {recursive: true})
    for (const [file, content] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, file)), {recursive: true})
      if (typeof content === 'string') writeFileSync(join(dir, file), content)
      else symlinkSync(content.link, join(dir, file))
    }

    const env = ferryEnv(home)
    execFileSync('git', ['init', '-q', '-b', 'main'], {cwd: dir, env})
    execFileSync('git', ['add', '-A'], {cwd: dir, env})
    execFileSync('git', ['commit', '-qm', name], {cwd: dir, env})
    return dir
  }

  const gitPush = (cwd: string) => runGit(cwd, ferryEnv(home), 'push', 'ferry', 'main')

  async function createApp(name: string, cwd: string): Promise<void> {
    const created = await runFerry(['apps:create', name], {cwd, home})
    expect(created.code, created.stderr).toBe(0)
  }

  async function versions(app: string): Promise<number[]> {
    const r = await runFerry(['releases', '--json', '-a', app], {home})
    expect(r.code, r.stderr).toBe(0)
    return (JSON.parse(r.stdout) as any[]).map(r => r.version).sort((a, b) => a - b)
  }

  beforeAll(async () => {
    home = makeFerryHome()
    scratch = mkdtempSync(join(tmpdir(), 'ferry-e2e-hardening-'))
    const started = await runFerry(['apps'], {env: LIMITS, home})
    expect(started.code, started.stderr).toBe(0)
  })

  afterAll(async () => {
    await removeFerryHome(home)
    rmSync(scratch, {force: true, recursive: true})
  })

  describe('item 7: the daemon never follows repository symlinks out of the build', () => {
    it('Procfile -> $FERRY_HOME/data/run/token: the push fails clearly and the token appears nowhere', async () => {
      const token = readToken(home)
      const dir = workTree('procfile-token', {Procfile: {link: join(home, 'data', 'run', 'token')}, 'server.js': ''})
      await createApp('link-token', dir)
      const push = await gitPush(dir)
      expect(push.code).not.toBe(0)
      expect(push.output).toMatch(/remote: {2}! {5}Procfile is a symbolic link to an absolute path \(.*\/run\/token\); ferry follows only relative links/)
      expect(push.output).toContain('[remote rejected]')
      expect(push.output).not.toContain(token)
      const output = await runFerry(['builds:output', '-a', 'link-token'], {home})
      expect(output.stdout + output.stderr).toContain('Procfile is a symbolic link')
      expect(output.stdout + output.stderr).not.toContain(token)
      const {url} = readDaemonJson(home)!
      const builds = (await (await fetch(`${url}/apps/link-token/builds`, {headers: {Authorization: `Bearer ${token}`}})).json()) as Array<{output_stream_url: string}>
      const streamed = await (await fetch(builds[0].output_stream_url)).text()
      expect(streamed).toContain('Procfile is a symbolic link')
      expect(streamed).not.toContain(token)
      expect(await versions('link-token')).toEqual([1, 2])
    })

    it('app.json -> /etc/passwd and a relative link climbing out are refused; nothing of them is shown', async () => {
      const passwd = workTree('appjson-passwd', {'Procfile': 'web: node server.js\n', 'app.json': {link: '/etc/passwd'}})
      await createApp('link-passwd', passwd)
      const push = await gitPush(passwd)
      expect(push.code).not.toBe(0)
      expect(push.output).toContain('app.json is a symbolic link to an absolute path (/etc/passwd)')
      expect(push.output).not.toMatch(/root:x:0:0/)

      // builds/<id>/app/../../../run/token is the token file.
      const climb = workTree('appjson-climb', {'Procfile': 'web: node server.js\n', 'app.json': {link: '../../../run/token'}})
      await createApp('link-climb', climb)
      const climbed = await gitPush(climb)
      expect(climbed.code).not.toBe(0)
      expect(climbed.output).toContain("app.json (via ../../../run/token) points outside the app's directory")
      expect(climbed.output).not.toContain(readToken(home))
      expect(await versions('link-climb')).toEqual([1, 2])
    })

    it('the daemon does not write through a linked .ferry dir (static site) and a Procfile linked inside the app still deploys', async () => {
      const target = join(scratch, 'outside-dir')
      mkdirSync(target)
      const site = workTree('static-link', {'.ferry': {link: target}, 'index.html': '<h1>hi</h1>'})
      await createApp('link-static', site)
      const push = await gitPush(site)
      expect(push.code).not.toBe(0)
      expect(push.output).toContain('.ferry must be a directory of the app (it is a link or a file); ferry does not write through links.')
      expect(existsSync(join(target, 'static-server.mjs'))).toBe(false)

      const inside = workTree('procfile-inside', {'Procfile': {link: 'config/Procfile.prod'}, 'config/Procfile.prod': 'worker: sleep 1000\n'})
      await createApp('link-inside', inside)
      const ok = await gitPush(inside)
      expect(ok.code, ok.output).toBe(0)
      expect(ok.output).toContain('Procfile declares types     -> worker')
    })
  })

  describe('item 5: build output is bounded in memory and on disk, old build logs are pruned', () => {
    it('a build printing 30 MB (and a 3 MB line without newline): the daemon survives, the output is truncated with a notice', async () => {
      const buildpack = join(scratch, 'flood-buildpack')
      mkdirSync(join(buildpack, 'bin'), {recursive: true})
      const scripts = {
        compile: "#!/bin/sh\nhead -c 30000000 /dev/zero | tr '\\0' x | fold -w 100\nhead -c 3000000 /dev/zero | tr '\\0' y\necho\necho compile finished\n",
        detect: '#!/bin/sh\necho Flood\n',
        release: "#!/bin/sh\necho '--- {}'\n",
      }
      for (const [name, text] of Object.entries(scripts)) {
        writeFileSync(join(buildpack, 'bin', name), text)
        chmodSync(join(buildpack, 'bin', name), 0o755)
      }

      const dir = workTree('flood', {Procfile: 'worker: sleep 1000\n'})
      await createApp('flood', dir)
      expect((await runFerry(['buildpacks:add', buildpack, '-a', 'flood'], {home})).code).toBe(0)
      const {pid} = readDaemonJson(home)!
      const push = await gitPush(dir)
      expect(push.code, push.output.slice(-2000)).toBe(0)
      expect(push.output).toContain('remote: -----> Build output truncated: it passed the 64.0 KB kept per build; the build goes on, and its last lines follow when it ends.')
      expect(push.output).toMatch(/remote: {2}! {5}\d+ lines \(\d+\.\d MB\) of build output were not kept\./)
      expect(push.output).toContain('remote: compile finished')
      expect(push.output).toContain('remote: -----> Launching... done, v3')
      expect(push.output.length).toBeLessThan(200_000)
      expect(readDaemonJson(home)!.pid).toBe(pid)
      expect(isAlive(pid)).toBe(true)

      const builds = JSON.parse((await runFerry(['builds', '--json', '-a', 'flood'], {home})).stdout) as Array<{id: string}>
      const first = builds[0].id
      const log = join(home, 'data', 'builds', `${first}.log`)
      expect(statSync(log).size).toBeLessThan((64 + 16 + 1) * 1024)
      const shown = await runFerry(['builds:output', first, '-a', 'flood'], {home})
      expect(shown.stdout + shown.stderr).toContain('-----> Build output truncated')
      expect((shown.stdout + shown.stderr).trimEnd()).toMatch(/Launching\.\.\. done, v3\n.*deployed to ferry$/)

      // Two more builds: with 2 logs kept per app, the first one's file is deleted and builds:output says so.
      for (let i = 0; i < 2; i++) {
        execFileSync('git', ['commit', '-q', '--allow-empty', '-m', `again ${i}`], {cwd: dir, env: ferryEnv(home)})
        expect((await gitPush(dir)).code).toBe(0)
      }

      expect(existsSync(log)).toBe(false)
      const pruned = await runFerry(['builds:output', first, '-a', 'flood'], {home})
      expect(pruned.stdout + pruned.stderr).toContain('The output of this build is no longer kept')
      const logs = JSON.parse((await runFerry(['builds', '--json', '-a', 'flood'], {home})).stdout).map((b: {id: string}) => join(home, 'data', 'builds', `${b.id}.log`))
      // Newest first.
      expect(logs.map((file: string) => existsSync(file))).toEqual([true, true, false])
    })
  })

  describe('item 6: a pathological .slugignore pattern does not freeze the daemon', () => {
    it('**/*a*a*a*a*a*a*a*a*a*a*b against 250-character names: the build finishes and the API answers throughout', async () => {
      const files: Record<string, string> = {'.slugignore': '**/*a*a*a*a*a*a*a*a*a*a*b\n*.psd\n', Procfile: 'worker: sleep 1000\n', 'art.psd': 'x'}
      for (let i = 0; i < 40; i++) files[`names/${'a'.repeat(240)}${String(i).padStart(4, '0')}`] = 'x'
      files[`names/${'a'.repeat(240)}b`] = 'removed'
      const dir = workTree('slugignore', files)
      await createApp('slugignore', dir)
      const {url} = readDaemonJson(home)!
      const token = readToken(home)
      let slowest = 0
      const polling = {on: true}
      const poller = (async () => {
        while (polling.on) {
          const started = Date.now()
          const res = await fetch(`${url}/apps/slugignore`, {headers: {Authorization: `Bearer ${token}`}, signal: AbortSignal.timeout(5000)})
          expect(res.status).toBe(200)
          await res.arrayBuffer()
          slowest = Math.max(slowest, Date.now() - started)
          await new Promise(resolve => setTimeout(resolve, 50))
        }
      })()
      const push = await gitPush(dir)
      polling.on = false
      await poller
      expect(push.code, push.output).toBe(0)
      expect(push.output).toContain('remote: -----> Deleting 2 files matching .slugignore patterns.')
      // A backtracking RegExp spends hours on one of these names; the API must never wait for the matcher.
      expect(slowest).toBeLessThan(2000)
    }, 60_000)
  })

  describe('item 14: a release is reported done only once its slug is unpacked', () => {
    /** The body of GET / through the router once it is `want` (dynos boot in the background). */
    async function served(app: string, want: string): Promise<string> {
      const {routerPort} = readDaemonJson(home)!
      let last = ''
      for (let i = 0; i < 90 && last !== want; i++) {
        const got = await routerGet(routerPort, `${app}.localhost`).catch(() => ({body: '', status: 0}))
        last = got.status === 200 ? got.body : `${got.status}`
        if (last !== want) await new Promise(resolve => setTimeout(resolve, 300))
      }

      return last
    }

    const server = (text: string) => `require('http').createServer((q, r) => r.end(${JSON.stringify(text)})).listen(process.env.PORT)\n`

    it('the unpack dir is unusable (as on a full disk): the push fails clearly, v3 stays current and keeps serving', async () => {
      const dir = workTree('unpack', {Procfile: 'web: node server.js\n', 'server.js': server('one')})
      await createApp('unpack', dir)
      expect((await gitPush(dir)).code).toBe(0)
      expect(await served('unpack', 'one')).toBe('one')

      // Fault: releases/ (where slugs are unpacked) becomes a file, so extracting the next slug fails.
      const releasesDir = join(home, 'data', 'releases')
      renameSync(releasesDir, `${releasesDir}.saved`)
      writeFileSync(releasesDir, '')
      writeFileSync(join(dir, 'server.js'), server('two'))
      execFileSync('git', ['commit', '-qam', 'two'], {cwd: dir, env: ferryEnv(home)})
      let push
      try {
        push = await gitPush(dir)
      } finally {
        rmSync(releasesDir)
        renameSync(`${releasesDir}.saved`, releasesDir)
      }

      expect(push.code).not.toBe(0)
      expect(push.output).not.toContain('Launching... done')
      expect(push.output).toMatch(/remote: {2}! {5}Release v4 cannot run, so it failed; the previous release stays current\. Free disk space under the data dir and push again\./)
      expect(push.output).toContain('[remote rejected]')
      const releases = JSON.parse((await runFerry(['releases', '--json', '-a', 'unpack'], {home})).stdout) as Array<{current: boolean; status: string; version: number}>
      expect(releases.find(r => r.version === 4)).toMatchObject({current: false, status: 'failed'})
      expect(releases.find(r => r.current)?.version).toBe(3)
      expect(await served('unpack', 'one')).toBe('one')

      // With the disk usable again the same code deploys.
      execFileSync('git', ['commit', '-q', '--allow-empty', '-m', 'again'], {cwd: dir, env: ferryEnv(home)})
      const again = await gitPush(dir)
      expect(again.code, again.output).toBe(0)
      expect(again.output).toContain('Launching... done, v5')
      expect(await served('unpack', 'two')).toBe('two')
    }, 90_000)
  })
})
