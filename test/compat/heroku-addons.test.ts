// The official `heroku` CLI (v11) managing add-ons on the local platform (issue 15): addons:create heroku-postgresql,
// addons, pg:info, addons:destroy, and an unknown service. pg:info reads the Heroku Data API
// (GET /client/v11/databases/{id}); HEROKU_DATA_HOST=127.0.0.1, which `ferry heroku:env` prints, sends it to the
// platform (the CLI keeps the API's scheme and port, so it reaches the same server). Needs postgresql on the host.
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {postgresBinDir} from '../../src/platform/addons/binaries.js'
import {makeFerryHome, removeFerryHome, runFerry} from '../helpers/index.js'
import {skipUnlessAvailable} from '../helpers/requires.js'
import {herokuAvailable, herokuEnv, runHeroku} from './heroku.js'

function postgresInstalled(): boolean {
  try {
    postgresBinDir()
    return true
  } catch {
    return false
  }
}

const skip =
  skipUnlessAvailable('the official heroku CLI', herokuAvailable, 'run scripts/install-heroku-cli.sh') ||
  skipUnlessAvailable('postgresql', postgresInstalled(), 'apt-get install postgresql (.ci/run does)')

describe.skipIf(skip)('official heroku CLI: add-ons', () => {
  let home: string
  let env: NodeJS.ProcessEnv
  const heroku = (args: string[]) => runHeroku(env, args)

  beforeAll(async () => {
    home = makeFerryHome('ferry-compat-addons-')
    expect((await runFerry(['platform:start'], {home})).code).toBe(0)
    expect((await runFerry(['apps:create', 'compat-db', '--no-remote'], {home})).code).toBe(0)
    // `ferry heroku:env` names the data API host: the platform answers it too.
    const printed = await runFerry(['heroku:env', '--json'], {home})
    expect(printed.code, printed.stderr).toBe(0)
    const dataHost = (JSON.parse(printed.stdout) as Record<string, string>).HEROKU_DATA_HOST
    expect(dataHost).toBe('127.0.0.1')
    env = {...herokuEnv(home), HEROKU_DATA_HOST: dataHost}
  })

  afterAll(async () => {
    if (home) await removeFerryHome(home)
  })

  it('addons:create heroku-postgresql creates and attaches a database (DATABASE_URL)', async () => {
    const created = await heroku(['addons:create', 'heroku-postgresql:essential-0', '-a', 'compat-db'])
    expect(created.code, created.stderr).toBe(0)
    expect(created.stderr).toMatch(/Creating heroku-postgresql:essential-0 on .*compat-db.*\.\.\. ~\$0\.007\/hour \(max \$5\/month\)/)
    expect(created.stdout).toMatch(/^Created postgresql-[a-z]+-\d+ as DATABASE_URL$/m)
    const config = await heroku(['config:get', 'DATABASE_URL', '-a', 'compat-db'])
    expect(config.stdout.trim()).toMatch(/^postgres:\/\/u[\da-f]+:[\da-f]+@127\.0\.0\.1:\d+\/d[\da-f]+$/)
  })

  it('addons lists it with its attachment, for the app and for every app', async () => {
    const list = await heroku(['addons', '-a', 'compat-db'])
    expect(list.code, list.stderr).toBe(0)
    expect(list.stdout).toMatch(/heroku-postgresql \(postgresql-[a-z]+-\d+\) +essential-0 +~\$0\.007\/hour +\$5\/month +created/)
    expect(list.stdout).toMatch(/└─ as DATABASE/)
    const all = await heroku(['addons', '--all'])
    expect(all.stdout).toMatch(/compat-db +postgresql-[a-z]+-\d+ +heroku-postgresql:essential-0/)
  })

  it('pg:info shows the database from the platform', async () => {
    const info = await heroku(['pg:info', '-a', 'compat-db'])
    expect(info.code, info.stderr).toBe(0)
    expect(info.stdout).toMatch(/^=== DATABASE_URL$/m)
    expect(info.stdout).toMatch(/^Status: +Available$/m)
    expect(info.stdout).toMatch(/^PG Version: +\d+\.\d+/m)
    expect(info.stdout).toMatch(/^Add-on: +postgresql-[a-z]+-\d+$/m)
  })

  it('an unknown service is refused with the platform message', async () => {
    const bad = await heroku(['addons:create', 'heroku-mysql', '-a', 'compat-db'])
    expect(bad.code).not.toBe(0)
    expect(bad.stderr).toMatch(/Couldn't find either the add-on service or the add-on plan/)
  })

  it('addons:destroy removes it and unsets DATABASE_URL', async () => {
    const destroyed = await heroku(['addons:destroy', 'DATABASE', '-a', 'compat-db', '--confirm', 'compat-db'])
    expect(destroyed.code, destroyed.stderr).toBe(0)
    expect(destroyed.stderr).toMatch(/Destroying postgresql-[a-z]+-\d+ on .*compat-db.*\.\.\. done/)
    expect((await heroku(['config', '--json', '-a', 'compat-db'])).stdout).not.toContain('DATABASE_URL')
    expect((await heroku(['addons', '-a', 'compat-db'])).stdout).toContain('No add-ons for app compat-db.')
  })
})
