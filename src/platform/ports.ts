// Loopback ports: probing a free one (the daemon's API and router, the add-on servers), waiting for a server to answer.
import type {AddressInfo} from 'node:net'

import {connect, createServer} from 'node:net'

/** Resolves with the port bound on 127.0.0.1 (0 = any free port), or rejects (EADDRINUSE …). The probe is closed again. */
export function probePort(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(port, '127.0.0.1', () => {
      const bound = (probe.address() as AddressInfo).port
      probe.close(() => resolve(bound))
    })
  })
}

/** A port held bound on 127.0.0.1 until release(): nothing else (the daemon's own API server included) can take it. */
export interface PortReservation {
  port: number
  release(): Promise<void>
}

/** Binds `port` (0 = any free port) and keeps it bound; rejects like listen (EADDRINUSE …). */
export function reservePort(port: number): Promise<PortReservation> {
  return new Promise((resolve, reject) => {
    const holder = createServer()
    holder.once('error', reject)
    holder.listen(port, '127.0.0.1', () => {
      let released: Promise<void> | undefined
      resolve({
        port: (holder.address() as AddressInfo).port,
        release() {
          released ??= new Promise(done => holder.close(() => done()))
          return released
        },
      })
    })
  })
}

/** The port used last time when it is still free (URLs in config vars stay valid), else any free one. */
export async function choosePort(remembered: number | undefined): Promise<number> {
  if (remembered) {
    try {
      return await probePort(remembered)
    } catch {}
  }

  return probePort(0)
}

/** Polls `ready` every 50 ms until it resolves true; rejects after `timeoutMs` with `what` in the message. */
export async function waitUntil(ready: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await ready().catch(() => false)) return
    await new Promise(resolve => setTimeout(resolve, 50))
  }

  throw new Error(`${what} did not become ready within ${Math.round(timeoutMs / 1000)} s`)
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export function accepts(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}
