// Starting the native child: where the ferry-router binary is, the public listening socket bound in this process
// (the child accepts on it; the port is never free while a child is replaced), and the child's real pid when bwrap
// runs it.
import type {ChildProcess} from 'node:child_process'

import {accessSync, constants, statSync} from 'node:fs'
import net from 'node:net'
import {constants as osConstants} from 'node:os'
import {join} from 'node:path'

import {packageRoot} from '../../paths.js'

/**
 * The built ferry-router binary: `dist/native/ferry-router` under the package root (the first directory up from
 * this module with a package.json), or $FERRY_ROUTER_BINARY when set; undefined when it is missing or not executable.
 */
export function nativeRouterBinary(env: NodeJS.ProcessEnv = process.env): string | undefined {
  // FERRY_ROUTER_BINARY: another build to use instead (e.g. an ASan/UBSan build when testing the C side:
  // `FERRY_ROUTER_BINARY=/tmp/ferry-router-asan npx vitest run test/platform/router`).
  let file = env.FERRY_ROUTER_BINARY
  if (!file) {
    const root = packageRoot(import.meta.url)
    if (root === undefined) return undefined
    file = join(root, 'dist', 'native', 'ferry-router')
  }

  try {
    accessSync(file, constants.X_OK)
    return statSync(file).isFile() ? file : undefined
  } catch {
    return undefined
  }
}

/** A bound (not yet listening) TCP socket: libuv's handle, which Node's own event loop never accepts on. */
export interface BoundSocket {
  close(): void
  readonly fd: number
}

interface TcpBinding {
  TCP: new (type: number) => BoundSocket & {
    bind(address: string, port: number): number
    bind6(address: string, port: number, flags: number): number
    getsockname(out: {port?: number}): number
  }
  constants: {SERVER: number}
}

/**
 * The errno name of a libuv error code (-98 → EADDRINUSE), as util.getSystemErrorName gives; node:util is not imported
 * here because its ES namespace loads parseArgs and MIMEType (~0.1 MB of an idle daemon).
 */
function errnoName(code: number): string {
  for (const [name, value] of Object.entries(osConstants.errno)) if (value === -code) return name
  return `error ${code}`
}

/**
 * Binds host:port (0 = a free port) in this process and returns the socket and the bound port; the child listens
 * and accepts on it (--listen-fd). A net.Server would accept connections here too (its listener is always polled),
 * so the socket is a bare libuv TCP handle, bound but never listened on by Node. Throws an EADDRINUSE error (like
 * net.Server's) when the port is taken.
 */
export function bindListener(host: string, port: number): {port: number; socket: BoundSocket} {
  // process.binding('tcp_wrap') (deprecated, still in Node's allow-list) is the only way to bind without listening.
  // eslint-disable-next-line n/no-deprecated-api
  const {TCP, constants: c} = (process as unknown as {binding(name: string): TcpBinding}).binding('tcp_wrap')
  const socket = new TCP(c.SERVER)
  const out: {port?: number} = {}
  // libuv keeps a failed bind's EADDRINUSE for later (bind returns 0): getsockname reports it.
  const code = (net.isIPv6(host) ? socket.bind6(host, port, 0) : socket.bind(host, port)) || socket.getsockname(out)
  if (code !== 0 || !out.port) {
    socket.close()
    const name = code === 0 ? 'EINVAL' : errnoName(code)
    const error: NodeJS.ErrnoException = new Error(`router: cannot listen on ${host}:${port}: ${name === 'EADDRINUSE' ? 'address already in use' : name}`)
    error.code = name
    throw error
  }

  return {port: out.port, socket}
}

/** The pid in bwrap's --info-fd JSON (fd 4 of `child`), once it is there; undefined if it never comes. */
export function readInfo(child: ChildProcess): Promise<number | undefined> {
  const stream = child.stdio[4] as NodeJS.ReadableStream
  let text = ''
  return new Promise(resolve => {
    stream.on('data', (chunk: Buffer) => {
      text += chunk.toString()
      const m = /"child-pid"\s*:\s*(\d+)/.exec(text)
      if (m) resolve(Number(m[1]))
    })
    stream.on('error', () => resolve(undefined))
    stream.on('end', () => resolve(undefined))
  })
}
