import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {chooseBackend, connectBackend, netrcPassword, parseBackend, Settings} from '../../src/api/backends.js'
import {BackendError} from '../../src/api/errors.js'
import {configDir, dataDir} from '../../src/api/paths.js'

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-backends-'))
afterAll(() => fs.rmSync(tmp, {force: true, recursive: true}))

const envFor = (name: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => {
  const home = path.join(tmp, name)
  fs.mkdirSync(path.join(home, 'home'), {recursive: true})
  return {FERRY_HOME: home, HOME: path.join(home, 'home'), ...extra}
}

describe('api/backends', () => {
  describe('paths', () => {
    it('puts everything under FERRY_HOME when set', () => {
      expect(configDir({FERRY_HOME: '/x'})).toBe('/x/config')
      expect(dataDir({FERRY_HOME: '/x'})).toBe('/x/data')
    })

    it('uses XDG dirs otherwise', () => {
      expect(configDir({HOME: '/h'})).toBe('/h/.config/ferry')
      expect(configDir({HOME: '/h', XDG_CONFIG_HOME: '/c'})).toBe('/c/ferry')
      expect(dataDir({HOME: '/h'})).toBe('/h/.local/share/ferry')
      expect(dataDir({HOME: '/h', XDG_DATA_HOME: '/d'})).toBe('/d/ferry')
    })
  })

  describe('backend resolution', () => {
    it('defaults to local', async () => {
      expect(await chooseBackend(envFor('default'))).toMatchObject({kind: 'local', name: 'local', source: 'default'})
    })

    it('uses FERRY_API_URL with FERRY_API_KEY', async () => {
      const env = envFor('url', {FERRY_API_KEY: 'k1', FERRY_API_URL: 'http://127.0.0.1:9/'})
      const choice = await chooseBackend(env)
      expect(choice).toMatchObject({kind: 'url', source: 'env', url: 'http://127.0.0.1:9'})
      expect(await connectBackend(choice, {env})).toEqual({token: 'k1', url: 'http://127.0.0.1:9'})
    })

    it('resolves heroku with an overridable URL and HEROKU_API_KEY first', async () => {
      const env = envFor('heroku', {FERRY_BACKEND: 'heroku', FERRY_HEROKU_API_URL: 'http://127.0.0.1:7', HEROKU_API_KEY: 'hk'})
      const choice = await chooseBackend(env)
      expect(await connectBackend(choice, {env})).toEqual({token: 'hk', url: 'http://127.0.0.1:7'})
    })

    it('falls back to a stored login, then to ~/.netrc for heroku', async () => {
      const env = envFor('netrc', {FERRY_HEROKU_API_URL: 'http://127.0.0.1:7'})
      fs.writeFileSync(path.join(env.HOME!, '.netrc'), 'machine git.heroku.com\n  login a\n  password nope\nmachine api.heroku.com\n  login me@example.com\n  password netrc-token\n')
      expect(netrcPassword('api.heroku.com', env)).toBe('netrc-token')
      const choice = parseBackend('heroku', env)
      expect((await connectBackend(choice, {env})).token).toBe('netrc-token')
      const settings = await Settings.load(env)
      settings.setToken('http://127.0.0.1:7', 'stored-token')
      expect((await connectBackend(choice, {env})).token).toBe('stored-token')
      expect(fs.statSync(settings.path).mode & 0o777).toBe(0o600) // holds tokens
    })

    it('remembers backends:use in settings under FERRY_HOME/config', async () => {
      const env = envFor('use')
      const settings = await Settings.load(env)
      settings.backend = 'https://ferry.example.com/'
      expect(settings.path.startsWith(path.join(env.FERRY_HOME!, 'config'))).toBe(true)
      expect(await chooseBackend(env)).toMatchObject({kind: 'url', name: 'https://ferry.example.com', source: 'settings'})
      expect(await chooseBackend(env, 'local')).toMatchObject({kind: 'local', source: 'flag'})
    })

    it('fails clearly without a token for a remote backend', async () => {
      const env = envFor('notoken', {FERRY_HEROKU_API_URL: 'http://127.0.0.1:7'})
      const error = await connectBackend(parseBackend('heroku', env), {env}).catch(error_ => error_)
      expect(error).toBeInstanceOf(BackendError)
      expect(error.message).toMatch(/HEROKU_API_KEY/)
    })

    it('rejects unknown backend names as input errors', () => {
      expect(() => parseBackend('mars')).toThrow(/unknown backend "mars"/)
      expect(() => parseBackend('ftp://x')).toThrow(BackendError)
    })
  })
})
