// The README's quick start must work exactly as written: run its ```sh block with `ferry` = this checkout's bin/run.js.
import {execFile} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {promisify} from 'node:util'
import {afterAll, describe, expect, it} from 'vitest'

import {BIN, ferryEnv, makeFerryHome, removeFerryHome, ROOT} from '../helpers/index.js'

const home = makeFerryHome()

function quickStart(): string {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')
  const section = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('\n## ', readme.indexOf('## Quick start') + 3))
  const block = /```sh\n([\s\S]*?)```/.exec(section)
  if (!block) throw new Error('README.md has no ```sh block under "## Quick start"')
  return block[1]
}

describe('README quick start', () => {
  afterAll(() => removeFerryHome(home))

  it('runs as written', async () => {
    const script = `set -euo pipefail\nferry() { node '${BIN}' "$@"; }\n${quickStart()}`
    const work = path.join(home, 'work')
    fs.mkdirSync(work)
    const {stderr, stdout} = await promisify(execFile)('bash', ['-c', script], {cwd: work, env: ferryEnv(home), timeout: 120_000})
    expect(stderr).toMatch(/Started local platform at http:\/\/127\.0\.0\.1:\d+/)
    expect(stdout).toContain('=== demo Config Vars')
    expect(stdout).toMatch(/=== demo Releases - Current: v\d+/)
    expect(stdout).toMatch(/^Running: +yes$/m)
  })
})
