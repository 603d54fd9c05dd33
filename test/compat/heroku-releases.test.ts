// The official `heroku` CLI's `releases:output` and `releases` against the local platform (issue 16): a deploy's
// output_stream_url holds only its release command's output (it printed the whole build log before), and a
// config change's release phase shows in `heroku releases` as Heroku words it.
// Skipped when the CLI is not installed (see test/compat/heroku-cli.test.ts), failed under CI=true.
import {execFileSync} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {ferryEnv, makeFerryHome, removeFerryHome, runFerry, runGit} from '../helpers/index.js'
import {skipUnlessAvailable} from '../helpers/requires.js'
import {herokuAvailable, herokuEnv, runHeroku} from './heroku.js'

const APP = 'hk-phase'

describe.skipIf(skipUnlessAvailable('the official heroku CLI', herokuAvailable, 'run scripts/install-heroku-cli.sh'))('official heroku CLI: release phase', () => {
  let home: string
  let env: NodeJS.ProcessEnv

  const heroku = (...args: string[]) => runHeroku(env, [...args, '-a', APP])

  beforeAll(async () => {
    home = makeFerryHome('ferry-compat-phase-')
    const dir = fs.mkdtempSync(path.join(home, 'src-'))
    fs.writeFileSync(path.join(dir, 'Procfile'), 'worker: sleep 1000\nrelease: echo "migrating for $DYNO"; test -z "$BREAK" || exit 5\n')
    const gitEnv = ferryEnv(home)
    execFileSync('git', ['init', '-q', '-b', 'main'], {cwd: dir, env: gitEnv})
    execFileSync('git', ['add', '-A'], {cwd: dir, env: gitEnv})
    execFileSync('git', ['commit', '-qm', 'release phase'], {cwd: dir, env: gitEnv})
    const created = await runFerry(['apps:create', APP], {cwd: dir, home})
    expect(created.code, created.stderr).toBe(0)
    const push = await runGit(dir, gitEnv, 'push', 'ferry', 'main')
    expect(push.code, push.output).toBe(0)
    env = herokuEnv(home)
  }, 180_000)

  afterAll(async () => {
    if (home) await removeFerryHome(home)
  })

  it("heroku releases:output shows only the release command's output", async () => {
    const output = await heroku('releases:output')
    expect(output.code, output.stderr).toBe(0)
    expect(output.stdout).toMatch(/^migrating for release\.\d+\n$/)
    const none = await heroku('releases:output', '2')
    expect(none.stderr).toContain('Release v2 has no release output available.')
  })

  it('heroku releases shows a config change whose release command failed; the previous release stays current', async () => {
    const set = await heroku('config:set', 'BREAK=1')
    expect(set.code, set.stderr).toBe(0)
    let releases = ''
    for (let i = 0; i < 100 && !/v4\s+Set BREAK config vars release command failed/.test(releases); i++) {
      await new Promise(r => setTimeout(r, 300))
      releases = (await heroku('releases')).stdout
    }

    expect(releases).toMatch(/v4\s+Set BREAK config vars release command failed/)
    expect(releases).toContain(`${APP} Releases - Current: v3`)
    const config = await heroku('config:get', 'BREAK')
    expect(config.stdout.trim()).toBe('')
  }, 60_000)
})
