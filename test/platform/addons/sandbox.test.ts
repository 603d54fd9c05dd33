// The sandbox the add-on servers run in (src/platform/addons/proc.ts): as root, a bubblewrap user namespace where the
// server is uid 1000, writes only its own data directory and cannot see the platform's data dir (token, database,
// other add-ons). Checked with a shell in the same sandbox the servers get, and on a running redis-server.
import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {collect, sandboxed} from '../../../src/platform/addons/proc.js'
import {redisCommand, RedisInstance} from '../../../src/platform/addons/redis.js'
import {bwrapUsable, skipUnlessAvailable} from '../../helpers/requires.js'

const root = process.getuid?.() === 0
const skip =
  !root ||
  skipUnlessAvailable('bwrap (bubblewrap)', bwrapUsable(), 'apt-get install bubblewrap') ||
  skipUnlessAvailable('redis-server', spawnSync('redis-server', ['--version']).status === 0, 'apt-get install redis-server')

describe.skipIf(skip)('add-on server sandbox (daemon as root)', () => {
  // Not under /tmp, which the sandbox replaces as a whole anyway: like ~/.local/share/ferry, the data dir must be hidden by itself.
  const platform = mkdtempSync(join('/var/tmp', 'ferry-addon-sandbox-'))
  const data = join(platform, 'addons', 'postgres')
  mkdirSync(data, {recursive: true})
  writeFileSync(join(platform, 'token'), 'secret-token\n', {mode: 0o600})
  afterAll(() => rmSync(platform, {force: true, recursive: true}))

  const sh = async (script: string) => {
    const how = sandboxed({args: ['-c', script], command: '/bin/sh', dataDir: data, hide: [platform]})
    return collect(how.file, how.args, {gid: how.gid, uid: how.uid})
  }

  it('runs as uid 1000 in a user namespace (postgres refuses uid 0)', async () => {
    expect(await sh('id -u')).toEqual({code: 0, output: '1000\n'})
  })

  it('writes its own data directory and nothing else', async () => {
    expect((await sh(`echo ok > ${data}/probe && cat ${data}/probe`)).output).toBe('ok\n')
    expect((await sh('touch /usr/ferry-probe')).code).not.toBe(0)
    expect((await sh('touch /etc/ferry-probe')).code).not.toBe(0)
    // The platform's data dir is an empty in-memory tmpfs in there: a write never reaches the host.
    await sh(`touch ${platform}/ferry-probe`)
    expect(existsSync(join(platform, 'ferry-probe'))).toBe(false)
  })

  it("does not see the platform's data dir (token, ferry.db, other add-ons)", async () => {
    const read = await sh(`cat ${platform}/token`)
    expect(read.code).not.toBe(0)
    expect(read.output).toMatch(/No such file/)
    expect((await sh(`ls ${platform}`)).output.trim()).toBe('addons')
  })

  it('a redis password cannot move where redis writes (protected configs) nor load modules', async () => {
    const instance = new RedisInstance(platform, '00000000-0000-4000-8000-000000000001', 'pw-for-test', 0)
    try {
      await instance.start()
      expect(await redisCommand(instance.port, 'pw-for-test', ['CONFIG SET dir /etc'])).toMatch(/-ERR .*protected config/i)
      expect(await redisCommand(instance.port, 'pw-for-test', ['MODULE LOAD /tmp/x.so'])).toMatch(/-ERR .*MODULE command not allowed/i)
    } finally {
      await instance.destroy()
    }
  })
})
