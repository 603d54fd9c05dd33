// The platform's one git runner: every git it runs is isolated from the operator's git configuration, keeps TLS trust.
import {execFile} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {promisify} from 'node:util'
import {afterAll, describe, expect, it} from 'vitest'

import {gitEnv, runGit} from '../../../src/platform/git/run.js'

const root = mkdtempSync(join(tmpdir(), 'ferry-git-run-'))
afterAll(() => rmSync(root, {force: true, recursive: true}))

describe('git runner environment policy', () => {
  it('passes PATH, language, temp dir and the CA variables only; HOME is the platform git home; no system or global config', () => {
    const env = gitEnv('/data/run/git-home', {GIT_DIR: '/data/repos/a.git'}, {
      CURL_CA_BUNDLE: '/ca/curl.pem',
      GIT_CONFIG_GLOBAL: '/home/op/.gitconfig',
      GIT_SSL_CAINFO: '/ca/git.pem',
      GIT_SSL_CAPATH: '/ca/dir',
      HOME: '/home/op',
      LANG: 'C.UTF-8',
      PATH: '/opt/bin:/usr/bin',
      SECRET: 'x',
      SSL_CERT_DIR: '/ca/certs',
      SSL_CERT_FILE: '/ca/cert.pem',
      TMPDIR: '/var/tmp',
      XDG_CONFIG_HOME: '/home/op/.config',
    })
    expect(env).toEqual({
      CURL_CA_BUNDLE: '/ca/curl.pem',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_DIR: '/data/repos/a.git',
      GIT_SSL_CAINFO: '/ca/git.pem',
      GIT_SSL_CAPATH: '/ca/dir',
      GIT_TERMINAL_PROMPT: '0',
      HOME: '/data/run/git-home',
      LANG: 'C.UTF-8',
      PATH: '/opt/bin:/usr/bin',
      SSL_CERT_DIR: '/ca/certs',
      SSL_CERT_FILE: '/ca/cert.pem',
      TMPDIR: '/var/tmp',
    })
  })

  it("does not see the operator's global git config (a real git run)", async () => {
    // The daemon's own HOME has a ~/.gitconfig and an XDG git config: a git started by the platform reads neither.
    const operatorHome = join(root, 'operator')
    mkdirSync(join(operatorHome, '.config', 'git'), {recursive: true})
    writeFileSync(join(operatorHome, '.gitconfig'), '[ferrytest]\n\tmarker = from-home\n')
    writeFileSync(join(operatorHome, '.config', 'git', 'config'), '[ferrytest]\n\txdg = from-xdg\n')
    // Control: git with the operator's environment sees the marker, so the checks below can fail.
    const plain = await promisify(execFile)('git', ['config', '--get', 'ferrytest.marker'], {env: {HOME: operatorHome, PATH: process.env.PATH}})
    expect(plain.stdout.trim()).toBe('from-home')
    const saved = process.env.HOME
    process.env.HOME = operatorHome
    try {
      const home = join(root, 'git-home')
      expect((await runGit(['config', '--get', 'ferrytest.marker'], {home})).code).toBe(1)
      expect((await runGit(['config', '--get', 'ferrytest.xdg'], {home})).code).toBe(1)
      expect((await runGit(['--version'], {home})).stdout).toMatch(/^git version/)
    } finally {
      process.env.HOME = saved
    }
  })
})
