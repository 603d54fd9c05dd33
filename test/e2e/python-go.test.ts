// e2e (issue 17): the Python and Go built-in buildpacks through `git push` with the real CLI and daemon: detected
// with no buildpack set, dependencies from PyPI / the Go proxy, served through the router; a second push uses the
// app's cache (no download); a broken build rejects the push and the previous release keeps serving.
import {execFileSync} from 'node:child_process'
import {copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {ferryEnv, makeFerryHome, readDaemonJson, removeFerryHome, ROOT, routerGet, runFerry, runGit} from '../helpers/index.js'
import {skipUnlessAvailable} from '../helpers/requires.js'

function has(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
}

const built = existsSync(join(ROOT, 'dist', 'commands', 'builds', 'create.js'))
const skip =
  skipUnlessAvailable('dist/ (the built CLI)', built, 'run npm run build') ||
  skipUnlessAvailable('python3 with pip', has('python3', ['-m', 'pip', '--version']), 'install python3 and python3-pip') ||
  skipUnlessAvailable('go', has('go', ['version']), 'install Go (https://go.dev/dl) and put it on PATH')

describe.skipIf(skip)('e2e: Python and Go apps', () => {
  let home: string
  let scratch: string

  /** A git work tree with examples/<example>'s tracked files, committed on main. */
  function workTree(example: string, name: string): string {
    const dir = join(scratch, name)
    const files = execFileSync('git', ['ls-files', `examples/${example}`], {cwd: ROOT, encoding: 'utf8'}).trim().split('\n')
    for (const file of files) {
      const target = join(dir, file.slice(`examples/${example}/`.length))
      mkdirSync(dirname(target), {recursive: true})
      copyFileSync(join(ROOT, file), target)
    }

    git(dir, 'init', '-q', '-b', 'main')
    commit(dir, {}, `${name} example`)
    return dir
  }

  function git(cwd: string, ...args: string[]): void {
    execFileSync('git', args, {cwd, env: ferryEnv(home)})
  }

  function commit(dir: string, files: Record<string, string>, message: string): void {
    for (const [file, content] of Object.entries(files)) writeFileSync(join(dir, file), content)
    git(dir, 'add', '-A')
    git(dir, 'commit', '-qm', message, '--allow-empty')
  }

  const push = (cwd: string) => runGit(cwd, ferryEnv(home), 'push', 'ferry', 'main')

  /** GET / through the router; retries while the dyno boots, until `expected` is in the body. */
  async function viaRouter(app: string, expected: string, timeoutMs = 20_000): Promise<string> {
    const {routerPort} = readDaemonJson(home)!
    const deadline = Date.now() + timeoutMs
    let last = ''
    while (Date.now() < deadline) {
      const got = await routerGet(routerPort, `${app}.localhost`).catch(error => ({body: (error as Error).message, status: 0}))
      if (got.status === 200 && got.body.includes(expected)) return got.body
      last = `${got.status} ${got.body}`
      await new Promise(r => setTimeout(r, 300))
    }

    throw new Error(`${app} did not answer "${expected}" through the router: ${last}`)
  }

  async function createApp(name: string, cwd: string): Promise<void> {
    const created = await runFerry(['apps:create', name], {cwd, home})
    expect(created.code, created.stderr).toBe(0)
  }

  beforeAll(() => {
    home = makeFerryHome()
    scratch = mkdtempSync(join(tmpdir(), 'ferry-e2e-python-go-'))
  })

  afterAll(async () => {
    await removeFerryHome(home)
    rmSync(scratch, {force: true, recursive: true})
  })

  it('python-flask: venv with Flask + gunicorn from PyPI, served; warm push restores the cached virtualenv, changed requirements install from the cached wheels; a missing package rejects the push', async () => {
    const dir = workTree('python-flask', 'python-flask')
    await createApp('py-e2e', dir)
    const cold = await push(dir)
    expect(cold.output).toContain('remote: -----> Python app detected')
    expect(cold.output).toMatch(/remote: -----> Using Python 3\.11\.\d+ \(\.python-version\)/)
    expect(cold.output).toContain('remote: -----> Installing dependencies with pip (requirements.txt)')
    expect(cold.output).toMatch(/remote: +Downloading flask-3\.1\.3/)
    expect(cold.code, cold.output).toBe(0)
    expect(await viaRouter('py-e2e', 'Hello from Flask on ferry (Python 3.11.')).toBeTruthy()

    commit(dir, {'app.py': execFileSync('sed', ['s/Hello from Flask/Hello again from Flask/', join(dir, 'app.py')], {encoding: 'utf8'})}, 'second')
    const warm = await push(dir)
    expect(warm.code, warm.output).toBe(0)
    expect(warm.output).toContain('remote:        Virtualenv restored from the build cache (same Python, requirements.txt and pip settings): nothing installed')
    expect(warm.output).not.toMatch(/Downloading|Successfully installed/)
    expect(await viaRouter('py-e2e', 'Hello again from Flask')).toBeTruthy()

    // Changed requirements go through pip again: offline, from the wheels of the earlier builds.
    commit(dir, {'requirements.txt': `${readFileSync(join(dir, 'requirements.txt'), 'utf8')}# reinstall\n`}, 'third')
    const changed = await push(dir)
    expect(changed.code, changed.output).toBe(0)
    expect(changed.output).toContain('remote:        Installed from the wheels cached by earlier builds (nothing downloaded):')
    expect(changed.output).toMatch(/remote: {8}Successfully installed .*flask-3\.1\.3/)
    expect(changed.output).not.toMatch(/Downloading/)

    commit(dir, {'requirements.txt': 'flask==3.1.3\nferry-no-such-package-zz9==1.0\n'}, 'broken')
    const broken = await push(dir)
    expect(broken.code).not.toBe(0)
    expect(broken.output).toContain('remote:  !     pip could not download or build the packages of requirements.txt')
    expect(await viaRouter('py-e2e', 'Hello again from Flask')).toBeTruthy()
  }, 120_000)

  it('go-hello: go build with github.com/google/uuid from the proxy, default web bin/go-hello; warm push downloads nothing; a compile error rejects the push', async () => {
    const dir = workTree('go-hello', 'go-hello')
    await createApp('go-e2e', dir)
    const cold = await push(dir)
    expect(cold.output).toContain('remote: -----> Go app detected')
    expect(cold.output).toContain('remote:        Main packages: example.com/go-hello')
    expect(cold.output).toContain('go: downloading github.com/google/uuid v1.6.0')
    expect(cold.output).toContain('remote:        Default types for buildpack -> web')
    expect(cold.code, cold.output).toBe(0)
    expect(await viaRouter('go-e2e', 'Hello from Go on ferry')).toBeTruthy()

    commit(dir, {'main.go': execFileSync('sed', ['s/Hello from Go/Hello again from Go/', join(dir, 'main.go')], {encoding: 'utf8'})}, 'second')
    const warm = await push(dir)
    expect(warm.code, warm.output).toBe(0)
    expect(warm.output).not.toContain('go: downloading')
    expect(await viaRouter('go-e2e', 'Hello again from Go')).toBeTruthy()

    commit(dir, {'main.go': 'package main\n\nfunc main() { undefinedThing() }\n'}, 'broken')
    const broken = await push(dir)
    expect(broken.code).not.toBe(0)
    expect(broken.output).toContain('undefined: undefinedThing')
    expect(broken.output).toContain('remote:  !     go build failed')
    expect(await viaRouter('go-e2e', 'Hello again from Go')).toBeTruthy()
  }, 120_000)
})
