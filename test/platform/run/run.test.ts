import {spawn} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import tls from 'node:tls'
import http from 'node:http'
import type {AddressInfo} from 'node:net'
import {PassThrough} from 'node:stream'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import type {Dyno} from '../../../src/api/types.js'
import type {OneOffHandle, OneOffOptions, PlatformContext} from '../../../src/platform/context.js'

import {openRendezvous, RendezvousOutput} from '../../../src/api/rendezvous.js'
import {runRoutes} from '../../../src/platform/server/routes/one-off-dynos.js'
import {dispatch, Router} from '../../../src/platform/server/http.js'

const TOKEN = 'tok'

function fakeHandle(options: OneOffOptions, started: OneOffHandle[]): OneOffHandle {
  const child = spawn('sh', ['-c', options.command], {env: {...process.env, ...options.env, FOO: 'from-config'}, stdio: ['pipe', 'pipe', 'pipe']})
  const output = new PassThrough()
  let open = 2
  for (const s of [child.stdout!, child.stderr!]) {
    s.pipe(output, {end: false})
    s.on('end', () => {
      if (--open === 0) output.end()
    })
  }

  const exit = new Promise<number>(resolve => child.on('exit', (code, signal) => resolve(code ?? 128 + (signal === 'SIGTERM' ? 15 : 9))))
  const now = new Date().toISOString()
  const dyno: Dyno = {
    app: {id: 'app-id', name: 'demo'},
    attach_url: null,
    command: options.command,
    created_at: now,
    id: 'dyno-id',
    name: 'run.1234',
    release: {id: 'rel', version: 3},
    size: 'Basic',
    state: 'up',
    type: options.type ?? 'run',
    updated_at: now,
  }
  const handle: OneOffHandle = {
    dyno,
    exit,
    output,
    stdin: child.stdin!,
    async stop() {
      child.kill('SIGTERM')
    },
  }
  started.push(handle)
  return handle
}

async function runAttached(base: string, command: string, input?: string, body: Record<string, unknown> = {}) {
  const res = await fetch(`${base}/apps/demo/dynos`, {
    body: JSON.stringify({attach: true, command, force_no_tty: true, ...body}),
    headers: {Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json'},
    method: 'POST',
  })
  const dyno = (await res.json()) as Dyno
  expect(res.status).toBe(201)
  const session = await openRendezvous(dyno.attach_url!, 'exit_status=1')
  const out = new RendezvousOutput()
  let text = ''
  session.socket.on('data', d => {
    text += out.push(d)
  })
  if (input !== undefined) {
    session.socket.write(input)
    session.socket.write('\u0004')
  }

  await session.closed
  text += out.flush()
  return {dyno, status: out.status, text}
}

describe('one-off dynos', () => {
  let server: http.Server
  let base: string
  let close: () => Promise<void>
  let hasRelease = true
  const started: OneOffHandle[] = []
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ferry-run-'))

  beforeAll(async () => {
    const ctx = {
      config: {dataDir, host: '127.0.0.1'},
      desired: () => (hasRelease ? {release: {id: 'rel'}} : {release: null}),
      store: {findApp: (n: string) => (n === 'demo' ? {id: 'app-id', name: 'demo'} : null)},
      supervisor: {startOneOff: async (o: OneOffOptions) => fakeHandle(o, started)},
    } as unknown as PlatformContext
    const router = new Router()
    close = runRoutes(router, ctx).close
    server = http.createServer((req, res) => {
      void dispatch(req, res, {authenticate: r => r.headers.authorization === `Bearer ${TOKEN}`, router})
    })
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    for (const h of started) await h.stop()
    await close()
    server.close()
    rmSync(dataDir, {force: true, recursive: true})
  })

  it('runs an attached command: output, env, exit status via the marker', async () => {
    const r = await runAttached(base, 'echo $FOO $EXTRA; echo err >&2; exit 3', undefined, {env: {EXTRA: 'x1'}})
    expect(r.dyno.attach_url).toMatch(/^rendezvous:\/\/127\.0\.0\.1:\d+\/[\w-]{20,}$/)
    expect(r.dyno.name).toBe('run.1234')
    expect(r.text).toContain('from-config x1')
    expect(r.text).toContain('err')
    expect(r.text).not.toContain('rendezvous')
    expect(r.text).not.toContain('\uFFFF')
    expect(r.status).toBe(3)
  })

  it('pipes stdin; \\x04 is EOF without a TTY', async () => {
    const r = await runAttached(base, 'cat', 'hello stdin\n')
    expect(r.text).toBe('hello stdin\n')
    expect(r.status).toBe(0)
  })

  it('without force_no_tty the command gets a pseudo-terminal (prompts, Ctrl-C, window size)', async () => {
    const r = await runAttached(base, 'tty; stty size; exit 5', undefined, {env: {COLUMNS: '101', LINES: '33'}, force_no_tty: undefined})
    expect(r.dyno.command).toBe('tty; stty size; exit 5')
    expect(r.text).toMatch(/\/dev\/pts\/\d+\r\n/)
    expect(r.text).toContain('33 101')
    expect(r.status).toBe(5)
  })

  it('speaks TLS on the same port to clients that start a handshake (the official CLI), verified by the platform cert', async () => {
    const res = await fetch(`${base}/apps/demo/dynos`, {
      body: JSON.stringify({attach: true, command: 'echo over-tls; exit 2', force_no_tty: true}),
      headers: {Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json'},
      method: 'POST',
    })
    const url = new URL(((await res.json()) as Dyno).attach_url!)
    const ca = readFileSync(path.join(dataDir, 'run', 'tls', 'cert.pem'))
    const text = await new Promise<string>((resolve, reject) => {
      const socket = tls.connect({ca, host: '127.0.0.1', port: Number(url.port)}, () => {
        socket.write(`${url.pathname.slice(1)}\r\n`)
      })
      let out = ''
      socket.on('data', d => {
        out += d
      })
      socket.on('error', reject)
      socket.on('close', () => resolve(out))
    })
    expect(text).toMatch(/^rendezvous\r\nover-tls\n$/)
  })

  it('detached: attach_url is null', async () => {
    const res = await fetch(`${base}/apps/demo/dynos`, {
      body: JSON.stringify({command: 'true'}),
      headers: {Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json'},
      method: 'POST',
    })
    expect(res.status).toBe(201)
    expect(((await res.json()) as Dyno).attach_url).toBeNull()
  })

  it('409 without a release, 422 without a command, 404 for unknown apps, wrong secret is dropped', async () => {
    const post = (app: string, body: unknown) =>
      fetch(`${base}/apps/${app}/dynos`, {body: JSON.stringify(body), headers: {Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json'}, method: 'POST'})
    expect((await post('demo', {})).status).toBe(422)
    expect((await post('nope', {command: 'x'})).status).toBe(404)
    hasRelease = false
    expect((await post('demo', {command: 'x'})).status).toBe(409)
    hasRelease = true
    const ok = await fetch(`${base}/apps/demo/dynos`, {
      body: JSON.stringify({attach: true, command: 'true'}),
      headers: {Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json'},
      method: 'POST',
    })
    const url = new URL(((await ok.json()) as Dyno).attach_url!)
    const bogus = await openRendezvous(`rendezvous://127.0.0.1:${url.port}/not-the-secret`)
    let got = ''
    bogus.socket.on('data', d => {
      got += d
    })
    await bogus.closed
    expect(got).toBe('')
  })

  it('stops the dyno when the client disconnects', async () => {
    const res = await fetch(`${base}/apps/demo/dynos`, {
      body: JSON.stringify({attach: true, command: 'sleep 30', force_no_tty: true}),
      headers: {Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json'},
      method: 'POST',
    })
    const dyno = (await res.json()) as Dyno
    const session = await openRendezvous(dyno.attach_url!)
    await new Promise(r => setTimeout(r, 300))
    session.socket.destroy()
    const status = await started.at(-1)!.exit
    expect(status).toBe(143)
  })
})
