// What the built CLI loads: heavy modules stay out of a command's start-up unless the command needs them — simple-git
// only when the app comes from a git remote, never undici (Node's fetch: ~120 ms here; the CLI's one transport is
// node:http, streams included). The CLI runs against a stub Platform API (FERRY_API_URL), with a loader hook recording
// every import.
import {execFileSync, spawn} from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import type {AddressInfo} from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {BIN, ferryEnv} from '../helpers/index.js'

const RECORDER = fileURLToPath(new URL('fixtures/record-imports.mjs', import.meta.url))
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-imports-'))
let server: http.Server
let url: string

beforeAll(async () => {
  fs.mkdirSync(path.join(tmp, 'home'))
  fs.writeFileSync(path.join(tmp, 'gitconfig'), '')
  server = http.createServer((req, res) => {
    const json = (body: unknown) => {
      res.writeHead(200, {'content-type': 'application/json'})
      res.end(JSON.stringify(body))
    }

    if (req.url === '/apps/demo/config-vars') return json({GREETING: 'hi'})
    if (req.url === '/apps/demo/log-sessions') return json({logplex_url: `${url}/streams/logs`})
    if (req.url === '/apps/demo/builds/b1') return json({id: 'b1', output_stream_url: `${url}/streams/build`})
    if (req.url === '/streams/logs') {
      res.writeHead(200, {'content-type': 'text/event-stream'})
      return res.end('id: 1\ndata: 2026-12-07T21:00:00.000000+00:00 app[web.1]: hello\n\n')
    }

    if (req.url === '/streams/build') {
      res.writeHead(200, {'content-type': 'text/plain'})
      res.write('-----> Building\n')
      return res.end('-----> Done\n')
    }

    res.writeHead(404, {'content-type': 'application/json'})
    res.end(JSON.stringify({id: 'not_found', message: `no stub for ${req.method} ${req.url}`}))
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  await new Promise(resolve => server.close(resolve))
  fs.rmSync(tmp, {force: true, recursive: true})
})

/** Runs bin/run.js with the recorder; its output and the modules it loaded. */
async function ferry(args: string[], cwd = tmp): Promise<{code: number | null; loaded: string[]; stderr: string; stdout: string}> {
  const record = path.join(tmp, `imports-${Date.now()}-${Math.random()}`)
  const env = ferryEnv(tmp, {FERRY_API_KEY: 'key', FERRY_API_URL: url, RECORD_IMPORTS: record})
  const child = spawn(process.execPath, ['--import', RECORDER, BIN, ...args], {cwd, env, stdio: ['ignore', 'pipe', 'pipe']})
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', chunk => {
    stdout += chunk
  })
  child.stderr.on('data', chunk => {
    stderr += chunk
  })
  const code = await new Promise<number | null>(resolve => child.on('close', resolve))
  return {code, loaded: fs.readFileSync(record, 'utf8').split('\n'), stderr, stdout}
}

const loads = (loaded: string[], what: RegExp) => loaded.some(m => what.test(m))
const SIMPLE_GIT = /\/node_modules\/simple-git\//
const UNDICI = /^builtin:NativeModule internal\/deps\/undici/

describe('start-up imports of the built CLI', () => {
  it('a command given --app loads neither simple-git nor undici', async () => {
    const r = await ferry(['config', '-a', 'demo', '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual({GREETING: 'hi'})
    expect(loads(r.loaded, /\/dist\/commands\/config\/index\.js$/)).toBe(true)
    expect(loads(r.loaded, SIMPLE_GIT)).toBe(false)
    expect(loads(r.loaded, UNDICI)).toBe(false)
  })

  it('the app from the git remote loads simple-git then (and still not undici)', async () => {
    const repo = path.join(tmp, 'repo')
    const env = ferryEnv(tmp)
    execFileSync('git', ['init', '-q', repo], {env})
    execFileSync('git', ['-C', repo, 'remote', 'add', 'ferry', `${url}/demo.git`], {env})
    const r = await ferry(['config', '--json'], repo)
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual({GREETING: 'hi'})
    expect(loads(r.loaded, SIMPLE_GIT)).toBe(true)
    expect(loads(r.loaded, UNDICI)).toBe(false)
  })

  it('the streams (a log session, build output) go over node:http too: no undici', async () => {
    const logs = await ferry(['logs', '-a', 'demo'])
    expect(logs.code, logs.stderr).toBe(0)
    expect(logs.stdout).toMatch(/app\[web\.1]: hello\n$/)
    expect(loads(logs.loaded, UNDICI)).toBe(false)
    const build = await ferry(['builds:output', 'b1', '-a', 'demo'])
    expect(build.code, build.stderr).toBe(0)
    expect(build.stdout).toBe('-----> Building\n-----> Done\n')
    expect(loads(build.loaded, UNDICI)).toBe(false)
  })
})
