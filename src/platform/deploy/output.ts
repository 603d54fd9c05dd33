// Build output: written to a file and fanned out to live readers; a reader joining late gets a replay first.
// Bounded (issue 13 item 5: a build printing 512 MiB made `text += line` throw a RangeError and crashed the
// daemon): at most `maxBytes` per build reach the file and the readers (like Heroku's build log cap); past it one
// notice is shown, the rest is dropped except a small tail shown when the build ends (its last lines hold the
// error or "Launching... done"). The replay for late readers is a ring of the last `memoryBytes`.
import {closeSync, openSync, writeSync} from 'node:fs'
import {readFile} from 'node:fs/promises'

export interface OutputReader {
  /** Called with text (whole lines) in order. */
  onText: (text: string) => void
  /** Called once when the output is complete. */
  onEnd: () => void
}

export interface OutputLimits {
  /** Output kept (file) and shown (readers) per build; default 20 MB. */
  maxBytes: number
  /** Replay kept in memory for readers joining a running build; default 1 MB. */
  memoryBytes: number
}

export const DEFAULT_OUTPUT_LIMITS: OutputLimits = {maxBytes: 20 * 1024 * 1024, memoryBytes: 1024 * 1024}

/** Longest line kept whole (in characters); longer ones are cut with a marker. */
export const MAX_LINE = 64 * 1024

function human(bytes: number): string {
  return bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`
}

/** Lines of text with a byte budget: the oldest go first. O(1) amortized per line. */
class LineRing {
  bytes = 0
  dropped = 0
  droppedBytes = 0
  private head = 0
  private lines: string[] = []

  constructor(private readonly budget: number) {}

  push(text: string): void {
    this.lines.push(text)
    this.bytes += Buffer.byteLength(text)
    while (this.bytes > this.budget && this.head < this.lines.length - 1) {
      const size = Buffer.byteLength(this.lines[this.head])
      this.bytes -= size
      this.droppedBytes += size
      this.head++
      this.dropped++
    }

    if (this.head > 1024 && this.head * 2 > this.lines.length) {
      this.lines = this.lines.slice(this.head)
      this.head = 0
    }
  }

  text(): string {
    return this.lines.slice(this.head).join('')
  }
}

export class BuildOutput {
  private done = false
  private fd: number | undefined
  private readonly readers = new Set<OutputReader>()
  private readonly replay: LineRing
  private tail: LineRing | undefined
  private written = 0

  constructor(
    readonly path: string,
    private readonly limits: OutputLimits = DEFAULT_OUTPUT_LIMITS,
  ) {
    this.replay = new LineRing(limits.memoryBytes)
    // Synchronous appends: a reader that replays the file never misses what a buffered stream still held.
    try {
      this.fd = openSync(path, 'a', 0o600)
    } catch (error) {
      console.error(`[ferry] cannot write build output ${path}:`, error)
    }
  }

  get finished(): boolean {
    return this.done
  }

  line(line: string): void {
    if (this.done) return
    const text = `${line.length > MAX_LINE ? `${line.slice(0, MAX_LINE)} [line cut at ${MAX_LINE} characters]` : line}\n`
    if (this.tail) {
      this.tail.push(text)
      return
    }

    if (this.written + Buffer.byteLength(text) > this.limits.maxBytes) {
      this.deliver(`-----> Build output truncated: it passed the ${human(this.limits.maxBytes)} kept per build; the build goes on, and its last lines follow when it ends.\n`)
      this.tail = new LineRing(Math.min(64 * 1024, Math.max(1024, this.limits.maxBytes / 4)))
      this.tail.push(text)
      return
    }

    this.deliver(text)
  }

  async end(): Promise<void> {
    if (this.done) return
    if (this.tail) {
      const {dropped, droppedBytes} = this.tail
      if (dropped > 0) this.deliver(` !     ${dropped} lines (${human(droppedBytes)}) of build output were not kept.\n`)
      this.deliver(this.tail.text())
      this.tail = undefined
    }

    this.done = true
    for (const reader of this.readers) reader.onEnd()
    this.readers.clear()
    if (this.fd !== undefined) closeSync(this.fd)
    this.fd = undefined
  }

  /** Replays the recent output, then follows; returns an unsubscribe function. */
  follow(reader: OutputReader): () => void {
    const replay = this.replay.text()
    if (this.replay.dropped > 0) reader.onText(`-----> (${this.replay.dropped} earlier lines are not shown here; \`ferry builds:output\` has them once the build ends)\n`)
    if (replay !== '') reader.onText(replay)
    if (this.done) {
      reader.onEnd()
      return () => {}
    }

    this.readers.add(reader)
    return () => this.readers.delete(reader)
  }

  private deliver(text: string): void {
    if (text === '') return
    this.written += Buffer.byteLength(text)
    if (this.fd !== undefined) {
      try {
        writeSync(this.fd, text)
      } catch (error) {
        // A full disk must not fail the build or the daemon: the live readers still get the output.
        console.error(`[ferry] writing build output ${this.path} failed; the rest is not kept:`, error)
        closeSync(this.fd)
        this.fd = undefined
      }
    }

    this.replay.push(text)
    for (const reader of this.readers) reader.onText(text)
  }
}

/** Live outputs by key (build id); finished outputs are read from their files. */
export class OutputRegistry {
  private readonly live = new Map<string, BuildOutput>()

  constructor(private readonly limits: OutputLimits = DEFAULT_OUTPUT_LIMITS) {}

  create(key: string, path: string): BuildOutput {
    const output = new BuildOutput(path, this.limits)
    this.live.set(key, output)
    return output
  }

  async finish(key: string): Promise<void> {
    const output = this.live.get(key)
    if (!output) return
    await output.end()
    this.live.delete(key)
  }

  get(key: string): BuildOutput | undefined {
    return this.live.get(key)
  }

  /** Follows a live output, or replays a finished one from its file (bounded by maxBytes plus the tail). */
  async follow(key: string, path: string, reader: OutputReader): Promise<() => void> {
    const output = this.live.get(key)
    if (output) return output.follow(reader)
    let text = ''
    try {
      text = await readFile(path, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') text = ' !     The output of this build is no longer kept (ferry keeps it for the latest builds of each app).\n'
    }

    // It may have gone live between the check and the read (a build started just now).
    const again = this.live.get(key)
    if (again) return again.follow(reader)
    if (text !== '') reader.onText(text)
    reader.onEnd()
    return () => {}
  }
}
