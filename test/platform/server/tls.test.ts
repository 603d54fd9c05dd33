// HTTP and HTTPS on one port (the API port): the first byte decides; a client that sends nothing is closed.
import http from 'node:http'
import https from 'node:https'
import net from 'node:net'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {ensureCertificate} from '../../../src/platform/run/tls.js'
import {acceptTls} from '../../../src/platform/server/tls.js'

describe('acceptTls', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-tls-'))
  let server: http.Server
  let port: number
  let cert: Buffer

  beforeAll(async () => {
    const material = ensureCertificate(dir)
    cert = (await material)!.cert
    server = http.createServer((req, res) => res.end(`${(req.socket as {encrypted?: boolean}).encrypted ? 'https' : 'http'} ${req.url}`))
    acceptTls(server, {firstByteTimeoutMs: 300, material})
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    port = (server.address() as net.AddressInfo).port
  })

  afterAll(async () => {
    server.closeAllConnections()
    await new Promise(resolve => server.close(resolve))
    fs.rmSync(dir, {force: true, recursive: true})
  })

  const get = (mod: typeof http | typeof https, options: https.RequestOptions) =>
    new Promise<string>((resolve, reject) => {
      mod.get({host: '127.0.0.1', port, ...options}, res => {
        let body = ''
        res.setEncoding('utf8').on('data', d => {
          body += d
        }).on('end', () => resolve(body))
      }).on('error', reject)
    })

  it('answers plain HTTP and HTTPS (verified against the platform certificate) on the same port, keep-alive too', async () => {
    expect(await get(http, {path: '/plain'})).toBe('http /plain')
    const agent = new https.Agent({ca: cert, keepAlive: true})
    expect(await get(https, {agent, path: '/one'})).toBe('https /one')
    expect(await get(https, {agent, path: '/two'})).toBe('https /two')
    agent.destroy()
    await expect(get(https, {path: '/untrusted'})).rejects.toThrow(/self.signed|certificate/i)
  })

  it('closes a client that sends nothing within the first-byte deadline', async () => {
    const socket = net.connect(port, '127.0.0.1')
    const closedAfter = await new Promise<number>(resolve => {
      const start = Date.now()
      socket.on('close', () => resolve(Date.now() - start))
    })
    expect(closedAfter).toBeLessThan(5000)
  })
})
