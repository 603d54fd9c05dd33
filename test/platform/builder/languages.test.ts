// The Python and Go built-ins' checks that need no registry: detection order, version files, go.mod's go line.
import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:http'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import type {StepContext} from '../../../src/platform/builder/buildpack.js'

import {DETECTION_ORDER} from '../../../src/platform/builder/buildpacks/builtin.js'
import {binaryName, compareGoVersions} from '../../../src/platform/builder/buildpacks/go.js'
import {venvKey} from '../../../src/platform/builder/buildpacks/python-venv-cache.js'
import {choosePython, installedPythons, requestedPython} from '../../../src/platform/builder/buildpacks/python-versions.js'
import {buildSlug} from '../../../src/platform/builder/index.js'

let root: string

function app(files: Record<string, string>): string {
  const dir = join(root, 'work', 'app')
  mkdirSync(dir, {recursive: true})
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), {recursive: true})
    writeFileSync(join(dir, name), content)
  }

  return dir
}

async function build(files: Record<string, string>, configVars: Record<string, string> = {}): Promise<{error?: Error; lines: string[]}> {
  app(files)
  const lines: string[] = []
  try {
    const work = {cacheDir: join(root, 'cache'), slugPath: join(root, 'slug.tgz'), workDir: join(root, 'work')}
    await buildSlug({...work, buildpacks: [], configVars, isolation: 'none', onOutput: l => lines.push(l), timeoutMs: 60_000})
    return {lines}
  } catch (error) {
    return {error: error as Error, lines}
  }
}

function runs(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
}

const hasGo = runs('go', ['version'])
const hasPip = runs('python3', ['-m', 'pip', '--version'])

describe('Python and Go built-ins', () => {
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'ferry-lang-'))
  })

  afterEach(() => {
    rmSync(root, {force: true, recursive: true})
  })

  it('detection order follows Heroku: Node.js before Python before Go, then static and Procfile-only', () => {
    const names = DETECTION_ORDER.map(b => b.name)
    expect(names.indexOf('heroku/nodejs')).toBeLessThan(names.indexOf('heroku/python'))
    expect(names.indexOf('heroku/python')).toBeLessThan(names.indexOf('heroku/go'))
    expect(names.slice(-2)).toEqual(['ferry/static', 'ferry/procfile'])
  })

  it('reads .python-version and runtime.txt; rejects what is not a Python 3 version', async () => {
    expect(await requestedPython(app({}))).toBeUndefined()
    expect(await requestedPython(app({'runtime.txt': 'python-3.11.7\n'}))).toEqual({file: 'runtime.txt', version: '3.11.7'})
    expect(await requestedPython(app({'.python-version': '# pyenv\n3.12\n'}))).toEqual({file: '.python-version', version: '3.12'})
    await expect(requestedPython(app({'.python-version': 'pypy3.10\n'}))).rejects.toThrow(/\.python-version says "pypy3\.10": write a Python 3 version/)
  })

  it('a Python version the host cannot satisfy fails the build naming the installed ones', async () => {
    const installed = await installedPythons(process.env)
    const {error, lines} = await build({'.python-version': '3.99\n', 'requirements.txt': ''})
    expect(lines).toContain('-----> Python app detected')
    expect(error?.message).toBe(`Python 3.99 (asked for in .python-version) is not installed on this platform. Installed: ${installed.map(i => i.version).join(', ') || 'none'}. Change .python-version to one of these.`)
    if (installed.length > 0) {
      const wanted = installed.at(-1)!.version.split('.').slice(0, 2).join('.')
      expect((await choosePython(app({'.python-version': `${wanted}\n`}), process.env)).version.startsWith(`${wanted}.`)).toBe(true)
    }
  })

  it.skipIf(!hasPip && !process.env.CI)('Django: collectstatic runs with the config vars, DISABLE_COLLECTSTATIC skips it, no Procfile warns', async () => {
    // A stand-in `django` package in the app (importable from the app dir, as the real one is from the venv).
    const files = {
      'django/__init__.py': '',
      'manage.py': 'import os, sys\nopen("collected.txt", "w").write(" ".join(sys.argv[1:]) + " " + os.environ.get("SECRET_KEY", "-"))\nprint("1 static file copied")\n',
      'requirements.txt': '',
    }
    const first = await build(files, {SECRET_KEY: 'k1'})
    expect(first.error).toBeUndefined()
    expect(first.lines).toContain('-----> $ python manage.py collectstatic --noinput')
    expect(first.lines).toContain('       1 static file copied')
    expect(first.lines.some(l => l.includes('Warning: this Django app has no Procfile'))).toBe(true)
    expect(readFileSync(join(root, 'work', 'app', 'collected.txt'), 'utf8')).toBe('collectstatic --noinput k1')
    expect(readFileSync(join(root, 'work', 'app', '.profile.d', 'python.sh'), 'utf8')).toContain('export PATH="$HOME/.heroku/python/bin:$PATH"')

    rmSync(join(root, 'work'), {force: true, recursive: true})
    const skipped = await build({...files, Procfile: 'web: true'}, {DISABLE_COLLECTSTATIC: '1'})
    expect(skipped.error).toBeUndefined()
    expect(skipped.lines).toContain('-----> Skipping Django collectstatic (DISABLE_COLLECTSTATIC is set)')
    expect(existsSync(join(root, 'work', 'app', 'collected.txt'))).toBe(false)
    expect(skipped.lines.some(l => l.includes('no Procfile'))).toBe(false)
  }, 60_000)

  it.skipIf(!hasPip && !process.env.CI)('the PIP_INDEX_URL config var is the index pip asks', async () => {
    const asked: string[] = []
    const server = createServer((req, res) => {
      asked.push(req.url ?? '')
      res.writeHead(404).end()
    })
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    const {port} = server.address() as {port: number}
    try {
      const {error} = await build({'requirements.txt': 'ferry-private-pkg==1.0\n'}, {PIP_INDEX_URL: `http://127.0.0.1:${port}/simple`})
      expect(error?.message).toMatch(/^pip could not download or build the packages of requirements\.txt/)
      expect(asked).toContain('/simple/ferry-private-pkg/')
    } finally {
      server.close()
    }
  }, 60_000)

  it.skipIf(!hasPip && !process.env.CI)('the virtualenv comes back from the build cache only for the same requirements and pip settings', async () => {
    const restored = '       Virtualenv restored from the build cache (same Python, requirements.txt and pip settings): nothing installed'
    // A marker file inside the venv: only a copy from the cache brings it back.
    const again = async (files: Record<string, string>, configVars: Record<string, string> = {}) => {
      rmSync(join(root, 'work'), {force: true, recursive: true})
      const {error, lines} = await build(files, configVars)
      expect(error).toBeUndefined()
      return {marked: existsSync(join(root, 'work', 'app', '.heroku', 'python', 'marker')), restored: lines.includes(restored)}
    }

    const reqs = {'requirements.txt': '# nothing yet\n'}
    expect(await again(reqs)).toEqual({marked: false, restored: false})
    writeFileSync(join(root, 'cache', 'python', 'venv', 'marker'), '')
    expect(await again(reqs)).toEqual({marked: true, restored: true})
    expect(existsSync(join(root, 'work', 'app', '.heroku', 'python', 'bin', 'python'))).toBe(true)
    // Another pip setting, other requirement lines, lines naming other files: pip runs (and a new venv is cached).
    expect(await again(reqs, {PIP_EXTRA_INDEX_URL: 'http://127.0.0.1:9/simple'})).toEqual({marked: false, restored: false})
    writeFileSync(join(root, 'cache', 'python', 'venv', 'marker'), '')
    expect(await again({'requirements.txt': '# nothing yet, still\n'})).toEqual({marked: false, restored: false})
    writeFileSync(join(root, 'cache', 'python', 'venv', 'marker'), '')
    expect(await again({'other.txt': '', 'requirements.txt': '-r other.txt\n'})).toEqual({marked: false, restored: false})
  }, 120_000)

  it('a virtualenv is reused only for requirement lines whose meaning is all in their text', async () => {
    const key = async (text: string) => {
      const ctx = {buildDir: app({'requirements.txt': text}), workDir: join(root, 'work')} as StepContext
      return venvKey(ctx, ['-r', 'requirements.txt'], {path: '/usr/bin/python3', version: '3.11.2'}, {PIP_NO_INPUT: '1'})
    }

    const pinned = 'flask==3.1.3 \\\n    --hash=sha256:aa\ngunicorn>=23 ; python_version >= "3.8"  # web server\n'
    expect(await key(pinned)).toMatch(/^[\da-f]{64}$/)
    expect(await key(pinned)).toBe(await key(pinned))
    expect(await key(pinned.replace('23', '22'))).not.toBe(await key(pinned))
    for (const pointer of ['-r other.txt', '-e .', '.', './pkg', 'pkg @ file:///tmp/pkg', 'https://example.com/pkg.whl', '--find-links wheels\nflask']) {
      expect(await key(`flask==3.1.3\n${pointer}\n`), pointer).toBeUndefined()
    }
  })

  it('go versions and binary names', () => {
    expect(compareGoVersions('1.22', '1.26.8')).toBe(-1)
    expect(compareGoVersions('1.26.8', '1.26.8')).toBe(0)
    expect(compareGoVersions('1.27', '1.26.8')).toBe(1)
    expect(compareGoVersions('1.26.9', '1.26.8')).toBe(1)
    expect(binaryName('example.com/go-hello')).toBe('go-hello')
    expect(binaryName('example.com/tool/v2')).toBe('tool')
    expect(binaryName('example.com/x/cmd/server')).toBe('server')
  })

  it.skipIf(!hasGo && !process.env.CI)('a go.mod asking for a newer Go than the platform has fails with what to change', async () => {
    const {error, lines} = await build({'go.mod': 'module example.com/future\n\ngo 1.999\n', 'main.go': 'package main\nfunc main() {}\n'})
    expect(lines).toContain('-----> Go app detected')
    expect(error?.message).toMatch(/^go\.mod requires go 1\.999, but this platform has go1\.\d+[\d.]* and does not download toolchains\. Lower the go line in go\.mod/)
  })
})
