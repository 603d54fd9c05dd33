// confined.ts: the daemon reads and writes files of a build dir without following links out of it (issue 13 item 7).
import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {confinedKind, ConfinedPathError, readConfined, writeConfined} from '../../../src/platform/builder/confined.js'

let tmp: string
let app: string
let outside: string

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'ferry-confined-'))
  app = join(tmp, 'build', 'app')
  outside = join(tmp, 'secret')
  mkdirSync(join(app, 'config', 'deep'), {recursive: true})
  mkdirSync(outside)
  writeFileSync(join(outside, 'token'), 'TOP-SECRET-TOKEN')
  writeFileSync(join(app, 'config', 'Procfile.prod'), 'web: node server.js\n')
  symlinkSync('config/Procfile.prod', join(app, 'Procfile'))
  symlinkSync('../Procfile.prod', join(app, 'config', 'deep', 'up'))
  symlinkSync(join(outside, 'token'), join(app, 'absolute'))
  symlinkSync('../../secret/token', join(app, 'relative-out'))
  symlinkSync('config/../../../secret/token', join(app, 'sneaky'))
  symlinkSync('/etc/passwd', join(app, 'app.json'))
  symlinkSync('loop-b', join(app, 'loop-a'))
  symlinkSync('loop-a', join(app, 'loop-b'))
  symlinkSync(outside, join(app, 'outdir'))
  execFileSync('mkfifo', [join(app, 'fifo')])
})

afterAll(() => rmSync(tmp, {force: true, recursive: true}))

describe('readConfined', () => {
  it('reads plain files and follows relative links that stay inside the build dir', async () => {
    expect(await readConfined(app, 'config/Procfile.prod')).toBe('web: node server.js\n')
    expect(await readConfined(app, 'Procfile')).toBe('web: node server.js\n')
    expect(await readConfined(app, 'config/deep/up')).toBe('web: node server.js\n')
    expect(await readConfined(app, 'missing')).toBeUndefined()
    expect(await readConfined(app, 'config/Procfile.prod/x')).toBeUndefined()
  })

  it.each([
    ['absolute', /absolute is a symbolic link to an absolute path \(.*secret\/token\)/],
    ['app.json', /app\.json is a symbolic link to an absolute path \(\/etc\/passwd\)/],
    ['relative-out', /relative-out \(via \.\.\/\.\.\/secret\/token\) points outside the app's directory/],
    ['sneaky', /points outside the app's directory/],
    ['outdir/token', /outdir is a symbolic link to an absolute path/],
    ['loop-a', /too many levels of symbolic links/],
    ['fifo', /fifo is not a regular file/],
    ['config', /config is a directory/],
  ])('refuses %s without reading outside', async (rel, message) => {
    const error = await readConfined(app, rel).catch((error_: unknown) => error_)
    expect(error).toBeInstanceOf(ConfinedPathError)
    expect((error as Error).message).toMatch(message)
    expect((error as Error).message).not.toContain('TOP-SECRET')
  })

  it('caps the size it reads', async () => {
    writeFileSync(join(app, 'big'), 'x'.repeat(2000))
    await expect(readConfined(app, 'big', 1000)).rejects.toThrow(/big is too large \(2000 bytes; at most 1000 are read\)/)
  })

  it('confinedKind answers file/dir/undefined and refuses links out', async () => {
    expect(await confinedKind(app, 'Procfile')).toBe('file')
    expect(await confinedKind(app, 'config')).toBe('dir')
    expect(await confinedKind(app, 'fifo')).toBeUndefined()
    expect(await confinedKind(app, 'nothing')).toBeUndefined()
    await expect(confinedKind(app, 'outdir')).rejects.toThrow(ConfinedPathError)
  })
})

describe('writeConfined', () => {
  it('creates directories and files inside the build dir', async () => {
    await writeConfined(app, '.profile.d/nodejs.sh', 'export A=1\n')
    expect(readFileSync(join(app, '.profile.d', 'nodejs.sh'), 'utf8')).toBe('export A=1\n')
    await writeConfined(app, '.profile.d/nodejs.sh', 'export A=2\n')
    expect(readFileSync(join(app, '.profile.d', 'nodejs.sh'), 'utf8')).toBe('export A=2\n')
  })

  it('replaces a link at the file itself instead of writing through it', async () => {
    mkdirSync(join(app, '.ferry'))
    symlinkSync(join(outside, 'victim'), join(app, '.ferry', 'static-server.mjs'))
    await writeConfined(app, '.ferry/static-server.mjs', 'server')
    expect(existsSync(join(outside, 'victim'))).toBe(false)
    expect(readFileSync(join(app, '.ferry', 'static-server.mjs'), 'utf8')).toBe('server')
  })

  it('refuses a linked directory on the way', async () => {
    symlinkSync(outside, join(app, '.profile-out'))
    await expect(writeConfined(app, '.profile-out/x.sh', 'evil')).rejects.toThrow(/\.profile-out must be a directory of the app \(it is a link or a file\)/)
    expect(existsSync(join(outside, 'x.sh'))).toBe(false)
  })
})
