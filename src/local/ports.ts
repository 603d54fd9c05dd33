// Checks before starting that the ports web processes will bind are free, so the error names the port instead of a crash log.
import {createServer} from 'node:net'

import {conflict} from './errors.js'
import {ProcessSpec} from './formation.js'

/** Resolves true when nothing listens on `port` (checked on the dual-stack wildcard address, as apps usually bind). */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE' || error.code === 'EACCES') resolve(false)
      else reject(error)
    })
    server.listen({exclusive: true, port}, () => server.close(() => resolve(true)))
  })
}

/** Throws a Conflict naming the first busy port of a `web` process (only web receives HTTP, like on Heroku). */
export async function assertPortsFree(specs: ProcessSpec[]): Promise<void> {
  for (const spec of specs.filter(s => s.type === 'web')) {
    if (!(await portFree(spec.port))) {
      throw conflict(`Port ${spec.port} is already in use (needed by ${spec.name}). Stop the program listening on it or choose another base port with --port.`)
    }
  }
}
