// examples/ stay what README, tests and benches expect: valid Procfiles, the right buildpack markers, a failing build.
import {execFileSync, spawnSync} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'

import {parseProcfile} from '../../src/local/index.js'
import {ROOT} from './helpers.js'

const dir = (name: string) => path.join(ROOT, 'examples', name)
const procfileTypes = (name: string) => parseProcfile(readFileSync(path.join(dir(name), 'Procfile'), 'utf8'), `${name}/Procfile`).map(e => e.type)
const tracked = (name: string) => execFileSync('git', ['ls-files', `examples/${name}`], {cwd: ROOT, encoding: 'utf8'}).trim().split('\n')

describe('examples', () => {
  it('node-hello: one npm dependency with a lockfile, a start script, web + worker, node_modules not committed', () => {
    const pkg = JSON.parse(readFileSync(path.join(dir('node-hello'), 'package.json'), 'utf8'))
    expect(Object.keys(pkg.dependencies)).toEqual(['ms'])
    expect(pkg.scripts.start).toBe('node server.js')
    const lock = JSON.parse(readFileSync(path.join(dir('node-hello'), 'package-lock.json'), 'utf8'))
    expect(lock.packages['node_modules/ms'].version).toMatch(/^2\./)
    expect(procfileTypes('node-hello')).toEqual(['web', 'worker'])
    expect(tracked('node-hello').some(f => f.includes('node_modules'))).toBe(false)
    expect(readFileSync(path.join(dir('node-hello'), 'server.js'), 'utf8')).toMatch(/^\/\/ node-hello: /)
  })

  it('static-site: index.html and a stylesheet, nothing to build', () => {
    expect(tracked('static-site').map(f => path.basename(f)).sort()).toEqual(['README.md', 'index.html', 'style.css'])
  })

  it('procfile-worker and release-phase: Procfile-only apps (no package.json) with the expected types', () => {
    expect(existsSync(path.join(dir('procfile-worker'), 'package.json'))).toBe(false)
    expect(procfileTypes('procfile-worker')).toEqual(['web', 'worker'])
    expect(existsSync(path.join(dir('release-phase'), 'package.json'))).toBe(false)
    expect(procfileTypes('release-phase')).toEqual(['release', 'web'])
    const release = parseProcfile(readFileSync(path.join(dir('release-phase'), 'Procfile'), 'utf8'))[0].command
    const result = spawnSync('/bin/sh', ['-c', release], {encoding: 'utf8'})
    expect(result.status).toBe(0)
    expect(result.stdout).toContain('release-phase: migrations done')
  })

  it('broken-build: its build script fails', () => {
    const pkg = JSON.parse(readFileSync(path.join(dir('broken-build'), 'package.json'), 'utf8'))
    const result = spawnSync('/bin/sh', ['-c', pkg.scripts.build], {encoding: 'utf8'})
    expect(result.status).toBe(1)
    expect(result.stderr).toContain('failing on purpose')
  })
})
