// `ferry run`'s terminal side: the local terminal piped to an attached one-off dyno over the rendezvous protocol
// (raw mode on a TTY, Ctrl-C passed through, four within a second disconnect, like the heroku CLI).
import {openRendezvous, RendezvousOutput} from '../api/rendezvous.js'

/**
 * Pipes the terminal to the dyno until the server closes; resolves with the exit status (130 when interrupted).
 * `onUp` is called once, before the dyno's first output (or at the end when it wrote nothing).
 */
export async function attachTerminal(url: string, options: {local: boolean; onUp: () => void; tty: boolean}): Promise<number | undefined> {
  const {local, onUp, tty} = options
  const {closed, socket} = await openRendezvous(url, local ? 'exit_status=1' : '')
  const output = new RendezvousOutput()
  const mapCrLf = !process.stdout.isTTY
  let up = false
  socket.on('data', (chunk: Buffer) => {
    let text = output.push(chunk)
    if (!up) {
      up = true
      onUp()
    }

    if (mapCrLf) text = text.replaceAll('\r\n', '\n')
    if (text) process.stdout.write(text)
  })
  socket.on('error', () => {})
  const stdin = process.stdin
  let interrupted = false
  const onSignal = () => {
    interrupted = true
    socket.destroy()
  }

  const ctrlC: number[] = []
  const onInput = (chunk: Buffer) => {
    socket.write(chunk)
    if (!tty || !chunk.includes(3)) return
    // Like the heroku CLI: Ctrl-C goes to the dyno; four within a second force a disconnect.
    const now = Date.now()
    ctrlC.push(now)
    while (ctrlC.length > 0 && now - ctrlC[0] > 1000) ctrlC.shift()
    if (ctrlC.length >= 4) onSignal()
  }

  const onEnd = () => socket.write('\u0004')

  if (tty) stdin.setRawMode(true)
  stdin.on('data', onInput)
  if (!tty) stdin.on('end', onEnd)
  stdin.resume()
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    await closed
  } finally {
    if (tty) stdin.setRawMode(false)
    stdin.off('data', onInput)
    stdin.off('end', onEnd)
    stdin.pause()
    stdin.unref?.()
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }

  const rest = output.flush()
  if (rest) process.stdout.write(mapCrLf ? rest.replaceAll('\r\n', '\n') : rest)
  if (!up) onUp()
  if (interrupted) return 130
  return output.status
}
