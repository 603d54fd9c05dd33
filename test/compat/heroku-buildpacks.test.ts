// The official `heroku` CLI's buildpacks commands against the local platform: the buildpack registry lookup
// (HEROKU_BUILDPACK_REGISTRY_URL → GET /buildpacks/<ns>%2F<name>) and the buildpack-installations API.
// Skipped when the CLI is not installed (see test/compat/heroku-cli.test.ts).
import {spawn} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {makeFerryHome, readDaemonJson, readToken, removeFerryHome, ROOT, runFerry} from '../helpers/index.js'

const herokuBin = process.env.FERRY_HEROKU_CLI ?? path.join(ROOT, 'node_modules', '.cache', 'heroku-cli', 'node_modules', '.bin', 'heroku')

describe.skipIf(!fs.existsSync(herokuBin))('official heroku CLI: buildpacks', () => {
  let home: string
  let env: NodeJS.ProcessEnv

  function heroku(...args: string[]): Promise<{code: null | number; stderr: string; stdout: string}> {
    return new Promise((resolve, reject) => {
      const child = spawn(herokuBin, [...args, '-a', 'hk-bp'], {env, stdio: ['ignore', 'pipe', 'pipe']})
      let stdout = ''
      let stderr = ''
      child.stdout.setEncoding('utf8').on('data', d => {
        stdout += d
      })
      child.stderr.setEncoding('utf8').on('data', d => {
        stderr += d
      })
      child.on('error', reject)
      child.on('close', code => resolve({code, stderr, stdout}))
    })
  }

  beforeAll(async () => {
    home = makeFerryHome('ferry-compat-bp-')
    const created = await runFerry(['apps:create', 'hk-bp'], {cwd: home, home})
    expect(created.code, created.stderr).toBe(0)
    const hh = path.join(home, 'heroku-home')
    fs.mkdirSync(path.join(hh, '.cache', 'heroku'), {recursive: true})
    fs.writeFileSync(path.join(hh, '.cache', 'heroku', 'terms-of-service'), '')
    fs.writeFileSync(path.join(hh, 'gitconfig'), '')
    const host = `http://127.0.0.1:${readDaemonJson(home)!.port}`
    env = {
      DISABLE_TELEMETRY: 'true',
      GIT_CONFIG_GLOBAL: path.join(hh, 'gitconfig'),
      HEROKU_API_KEY: readToken(home),
      HEROKU_BUILDPACK_REGISTRY_URL: host,
      HEROKU_DISABLE_AUTOUPDATE: '1',
      HEROKU_HOST: host,
      HEROKU_PARTICLEBOARD_URL: host,
      HEROKU_SKIP_NEW_VERSION_CHECK: 'true',
      HOME: hh,
      NO_COLOR: '1',
      PATH: process.env.PATH,
      XDG_CACHE_HOME: path.join(hh, '.cache'),
      XDG_CONFIG_HOME: path.join(hh, '.config'),
      XDG_DATA_HOME: path.join(hh, '.local', 'share'),
    }
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
