// Interleaved, prefixed output: `14:03:11 web.1   | line`, name and time coloured per process when colour is on.
import {StringDecoder} from 'node:string_decoder'

const PALETTE = [36, 33, 32, 35, 34, 31, 96, 93, 92, 95, 94, 91]

export interface OutputSink {
  write(text: string): unknown
}

/** Colour is on for a TTY unless NO_COLOR is set (any value) or FORCE_COLOR=0; FORCE_COLOR≠0 turns it on. */
export function colorEnabled(stream: {isTTY?: boolean}, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false'
  return Boolean(stream.isTTY) && env.TERM !== 'dumb'
}

export function formatClock(date: Date): string {
  const two = (n: number) => String(n).padStart(2, '0')
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`
}

export class PrefixedOutput {
  private readonly width: number
  private readonly colors = new Map<string, number>()

  constructor(
    private readonly sink: OutputSink,
    names: string[],
    private readonly color: boolean,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.width = Math.max('system'.length, ...names.map(n => n.length))
    for (const [i, name] of names.entries()) this.colors.set(name, PALETTE[i % PALETTE.length])
  }

  /** Writes one line (without its newline) under `name`. */
  line(name: string, text: string): void {
    const prefix = `${formatClock(this.now())} ${name.padEnd(this.width)} |`
    const code = this.colors.get(name) ?? 1
    this.sink.write(`${this.color ? `\u001B[${code}m${prefix}\u001B[0m` : prefix} ${text}\n`)
  }

  /** A line splitter for one stream of one process; call `end()` when the stream closes to flush a partial line. */
  splitter(name: string): {push(chunk: Buffer | string): void; end(): void} {
    let pending = ''
    const decoder = new StringDecoder('utf8')
    return {
      end: () => {
        pending += decoder.end()
        if (pending !== '') this.line(name, pending)
        pending = ''
      },
      push: chunk => {
        pending += typeof chunk === 'string' ? chunk : decoder.write(chunk)
        const parts = pending.split('\n')
        pending = parts.pop()!
        for (const part of parts) this.line(name, part.endsWith('\r') ? part.slice(0, -1) : part)
      },
    }
  }
}
