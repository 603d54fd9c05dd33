// src/platform/proc.ts: a zombie or a reused pid is not running; a listener belongs to the process holding its socket.
import {spawn} from 'node:child_process'
import {createServer, type AddressInfo, type Server} from 'node:net'
import {afterEach, describe, expect, it} from 'vitest'

import {isRunning, ownsListener, processStartTime} from '../../src/platform/proc.js'

const pids: number[] = []
const servers: Server[] = []

afterEach(async () => {
  for (const pid of pids.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {}
  }

  await Promise.all(servers.splice(0).map(s => new Promise(resolve => s.close(resolve))))
})

const listen = (server: Server) => new Promise<number>(resolve => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)))

describe('process facts from /proc', () => {
  it('a zombie (exited, not reaped by its parent) is not running, though kill(pid, 0) still succeeds', async () => {
    // `sleep 0` exits at once; its parent became `sleep 30`, which never waits for it.
    const parent = spawn('/bin/sh', ['-c', 'sleep 0 & echo $!; exec sleep 30'], {stdio: ['ignore', 'pipe', 'ignore']})
    pids.push(parent.pid!)
    const zombie = Number(await new Promise<string>(resolve => parent.stdout.once('data', d => resolve(String(d).trim()))))
    for (let i = 0; i < 100 && processStartTime(zombie) !== undefined; i++) await new Promise(r => setTimeout(r, 20))
    expect(() => process.kill(zombie, 0)).not.toThrow()
    expect(isRunning(zombie)).toBe(false)
    expect(isRunning(parent.pid!)).toBe(true)
  })

  it('a pid with another start time than recorded is another process', () => {
    const start = processStartTime(process.pid)!
    expect(isRunning(process.pid, start)).toBe(true)
    expect(isRunning(process.pid, String(Number(start) + 1))).toBe(false)
    expect(isRunning(0)).toBe(false)
    expect(isRunning(-1)).toBe(false)
  })

  it('owns a listener only when every socket listening on the port is held by that process', async () => {
    const server = createServer()
    servers.push(server)
    const port = await listen(server)
    expect(ownsListener(process.pid, processStartTime(process.pid), port)).toBe(true)
    expect(ownsListener(process.pid, 'not-my-start', port)).toBe(false)
    const other = spawn('sleep', ['30'], {stdio: 'ignore'})
    pids.push(other.pid!)
    expect(ownsListener(other.pid!, undefined, port)).toBe(false)
    // A second listener on the same port (another address) held by someone else could take the connections.
    const rogue = spawn(process.execPath, ['-e', `require('net').createServer().listen(${port}, '127.0.0.2', () => console.log('up'))`], {stdio: ['ignore', 'pipe', 'ignore']})
    pids.push(rogue.pid!)
    await new Promise(resolve => rogue.stdout.once('data', resolve))
    expect(ownsListener(process.pid, undefined, port)).toBe(false)
    rogue.kill('SIGKILL')
    await new Promise(resolve => rogue.once('exit', resolve))
    expect(ownsListener(process.pid, undefined, port)).toBe(true)
    await new Promise(resolve => server.close(resolve))
    expect(ownsListener(process.pid, undefined, port)).toBe(false)
  })
})
