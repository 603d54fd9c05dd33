// The bundled static file server listens on loopback only (issue 13, low item: it bound 0.0.0.0, so a static
// site was reachable from the network, around the router).
import {spawn} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, expect, it} from 'vitest'

import {STATIC_SERVER_SOURCE} from '../../../src/platform/builder/buildpacks/static-server.js'

const dir = mkdtempSync(join(tmpdir(), 'ferry-static-'))
afterAll(() => rmSync(dir, {force: true, recursive: true}))

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as {port: number}
  await new Promise(resolve => server.close(resolve))
  return port
}

/** Local addresses (hex, as in /proc/net/tcp{,6}) of the sockets listening on `port`. */
function listeners(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0')
  const found: string[] = []
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/)
      if (state === '0A' && local?.endsWith(`:${hexPort}`)) found.push(local.split(':')[0])
    }
  }

  return found
}

it('binds 127.0.0.1:$PORT, not every interface', async () => {
  writeFileSync(join(dir, 'server.mjs'), STATIC_SERVER_SOURCE)
  writeFileSync(join(dir, 'index.html'), 'hi')
  const port = await freePort()
  const child = spawn(process.execPath, [join(dir, 'server.mjs'), dir], {env: {PATH: process.env.PATH, PORT: String(port)}, stdio: ['ignore', 'pipe', 'inherit']})
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('listening') && resolve())
      child.on('exit', code => reject(new Error(`static server exited with ${code}`)))
    })
    expect(listeners(port)).toEqual(['0100007F'])
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('hi')
  } finally {
    child.kill('SIGKILL')
  }
})
