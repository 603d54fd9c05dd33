// The committed oclif.manifest.json must match what `npm run build` generates (npm test builds before vitest runs).
import {execFileSync} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'

import {ROOT} from '../helpers/index.js'

function committedManifest(): string | undefined {
  try {
    execFileSync('git', ['-C', ROOT, 'rev-parse', '--git-dir'], {stdio: 'ignore'})
  } catch {
    return undefined // not a git checkout (e.g. an npm tarball): nothing to compare with
  }

  try {
    return execFileSync('git', ['-C', ROOT, 'show', ':oclif.manifest.json'], {encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore']})
  } catch {
    return '' // in a checkout but never committed: that is a failure
  }
}

const committed = committedManifest()

describe('oclif.manifest.json', () => {
  it.skipIf(committed === undefined)('is committed and matches the build (run `npm run build` and commit oclif.manifest.json)', () => {
    expect(committed, 'oclif.manifest.json is not in the git index').not.toBe('')
    const built = JSON.parse(fs.readFileSync(path.join(ROOT, 'oclif.manifest.json'), 'utf8'))
    const inGit = JSON.parse(committed!)
    delete built.version
    delete inGit.version
    expect(Object.keys(inGit.commands).sort()).toEqual(Object.keys(built.commands).sort())
    expect(inGit).toEqual(built)
  })
})
