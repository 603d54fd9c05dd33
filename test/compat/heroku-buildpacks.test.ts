// The official `heroku` CLI's buildpacks commands against the local platform: the buildpack registry lookup
// (HEROKU_BUILDPACK_REGISTRY_URL → GET /buildpacks/<ns>%2F<name>) and the buildpack-installations API.
// Skipped when the CLI is not installed (see test/compat/heroku-cli.test.ts).
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {makeFerryHome, removeFerryHome, runFerry} from '../helpers/index.js'
import {skipUnlessAvailable} from '../helpers/requires.js'
import {herokuAvailable, herokuEnv, runHeroku} from './heroku.js'

describe.skipIf(skipUnlessAvailable('the official heroku CLI', herokuAvailable, 'run scripts/install-heroku-cli.sh'))('official heroku CLI: buildpacks', () => {
  let home: string
  let env: NodeJS.ProcessEnv

  const heroku = (...args: string[]) => runHeroku(env, [...args, '-a', 'hk-bp'])

  beforeAll(async () => {
    home = makeFerryHome('ferry-compat-bp-')
    const created = await runFerry(['apps:create', 'hk-bp'], {cwd: home, home})
    expect(created.code, created.stderr).toBe(0)
    env = herokuEnv(home)
  })

  afterAll(async () => {
    if (home) await removeFerryHome(home)
  })

  it('lists, adds (registry names, --index), sets, removes and clears buildpacks', async () => {
    expect((await heroku('buildpacks')).stdout.trim()).toBe('hk-bp has no Buildpacks.')
    const added = await heroku('buildpacks:add', 'heroku/nodejs')
    expect(added.code, added.stderr).toBe(0)
    expect(added.stdout).toContain('Buildpack added. Next release on hk-bp will use heroku/nodejs.')
    expect((await heroku('buildpacks:add', '-i', '1', 'ferry/static')).code).toBe(0)
    const list = await heroku('buildpacks')
    expect(list.stdout).toContain('1. ferry/static\n2. heroku/nodejs')
    const ferry = await runFerry(['buildpacks', '--json', '-a', 'hk-bp'], {home})
    expect(JSON.parse(ferry.stdout)).toEqual([
      {buildpack: {name: 'ferry/static', url: 'ferry/static'}, ordinal: 0},
      {buildpack: {name: 'heroku/nodejs', url: 'heroku/nodejs'}, ordinal: 1},
    ])
    expect((await heroku('buildpacks:set', 'file:///opt/bp')).stdout).toContain('1. file:///opt/bp')
    expect((await heroku('buildpacks:remove', 'heroku/nodejs')).stdout).toContain('will use file:///opt/bp.')
    const cleared = await heroku('buildpacks:clear')
    expect(cleared.stdout).toContain('Buildpacks cleared. Next release on hk-bp will detect buildpacks normally.')
    expect((await heroku('buildpacks')).stdout.trim()).toBe('hk-bp has no Buildpacks.')
  })
})
