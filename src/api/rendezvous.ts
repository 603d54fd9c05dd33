// Client side of the rendezvous protocol (shared/platform-api.md §3.15) for `ferry run`: connect to the
// attach_url, send `<secret>[?query]\r\n`, drop the greeting line, then pipe I/O. Plain TCP for
// `rendezvous://` on loopback; TLS when the host is not a loopback address (Heroku).
import net from 'node:net'
import tls from 'node:tls'

export const EXIT_STATUS_MARKER = '\uFFFF heroku-command-exit-status:'

export interface RendezvousSession {
  /** Resolves when the server closes the connection. */
  closed: Promise<void>
  socket: net.Socket
}

/** Opens an attach_url; `query` is appended to the secret (`exit_status=1` asks ferry's server for the marker). */
export function openRendezvous(attachUrl: string, query = ''): Promise<RendezvousSession> {
  const url = new URL(attachUrl)
  if (url.protocol !== 'rendezvous:') throw new Error(`Unsupported attach URL ${attachUrl}: expected rendezvous://`)
  const port = Number(url.port || 5000)
  const host = url.hostname
  const loopback = host === '127.0.0.1' || host === 'localhost' || host === '::1' || host === '[::1]'
  const request = `${url.pathname.replace(/^\//, '')}${url.search ? url.search + (query ? `&${query}` : '') : query ? `?${query}` : ''}\r\n`
  return new Promise((resolve, reject) => {
    const socket: net.Socket = loopback ? net.connect({host, port}) : tls.connect({host, port, servername: host})
    const onError = (error: Error) => reject(error)
    socket.once('error', onError)
    socket.once(loopback ? 'connect' : 'secureConnect', () => {
      socket.off('error', onError)
      socket.setNoDelay(true)
      socket.write(request)
      const closed = new Promise<void>(r => {
        socket.on('close', () => r())
      })
      resolve({closed, socket})
    })
  })
}

/**
 * Splits a stream of output chunks into what to print and the exit status marker (when present),
 * dropping the greeting line. Call `push(chunk)` for each chunk; `status` holds the code once seen.
 */
export class RendezvousOutput {
  status: number | undefined
  private greeted = false
  private held = ''

  /** Returns the text to print now. */
  push(chunk: Buffer | string): string {
    let text = this.held + (typeof chunk === 'string' ? chunk : chunk.toString('utf8'))
    this.held = ''
    if (!this.greeted) {
      const nl = text.indexOf('\n')
      if (nl === -1) {
        this.held = text
        return ''
      }

      if (text.slice(0, nl).replace(/\r$/, '') === 'rendezvous') text = text.slice(nl + 1)
      this.greeted = true
    }

    let out = ''
    for (;;) {
      const idx = text.indexOf('\uFFFF')
      if (idx === -1) return out + text
      const nl = text.indexOf('\n', idx)
      if (nl === -1) {
        // The marker line is not complete yet: hold it back.
        this.held = text.slice(idx)
        return out + text.slice(0, idx)
      }

      const line = text.slice(idx, nl)
      if (line.startsWith(EXIT_STATUS_MARKER)) {
        const m = /^\s*(\d+)/.exec(line.slice(EXIT_STATUS_MARKER.length))
        if (m) this.status = Number(m[1])
        out += text.slice(0, idx)
      } else {
        out += text.slice(0, nl + 1)
      }

      text = text.slice(nl + 1)
    }
  }

  /** What is left at the end of the stream. */
  flush(): string {
    const rest = this.held
    this.held = ''
    if (!this.greeted) return rest.replace(/^rendezvous\r?\n?/, '')
    const m = new RegExp(`${EXIT_STATUS_MARKER}\\s*(\\d+)`).exec(rest)
    if (m) {
      this.status = Number(m[1])
      return rest.slice(0, m.index)
    }

    return rest
  }
}
