// Build output: appended to a file and fanned out to live readers; a reader joining late gets the replay first.
import {createWriteStream, type WriteStream} from 'node:fs'
import {readFile} from 'node:fs/promises'

export interface OutputReader {
  /** Called with text (whole lines) in order. */
  onText: (text: string) => void
  /** Called once when the output is complete. */
  onEnd: () => void
}

export class BuildOutput {
  private done = false
  private readonly file: WriteStream
  private readonly readers = new Set<OutputReader>()
  private text = ''

  constructor(readonly path: string) {
    this.file = createWriteStream(path, {flags: 'a'})
    this.file.on('error', error => console.error(`[ferry] writing build output ${path} failed:`, error))
  }

  get finished(): boolean {
    return this.done
  }

  line(line: string): void {
    if (this.done) return
    const text = `${line}\n`
    this.text += text
    this.file.write(text)
    for (const reader of this.readers) reader.onText(text)
  }

  async end(): Promise<void> {
    if (this.done) return
    this.done = true
    for (const reader of this.readers) reader.onEnd()
    this.readers.clear()
    await new Promise<void>(resolve => {
      this.file.end(() => resolve())
    })
  }

  /** Replays what was written so far, then follows; returns an unsubscribe function. */
  follow(reader: OutputReader): () => void {
    if (this.text !== '') reader.onText(this.text)
    if (this.done) {
      reader.onEnd()
      return () => {}
    }

    this.readers.add(reader)
    return () => this.readers.delete(reader)
  }
}

/** Live outputs by key (build id); finished outputs are read from their files. */
export class OutputRegistry {
  private readonly live = new Map<string, BuildOutput>()

  create(key: string, path: string): BuildOutput {
    const output = new BuildOutput(path)
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

  /** Follows a live output, or replays a finished one from its file. */
  async follow(key: string, path: string, reader: OutputReader): Promise<() => void> {
    const output = this.live.get(key)
    if (output) return output.follow(reader)
    let text = ''
    try {
      text = await readFile(path, 'utf8')
    } catch {}

    // It may have gone live between the check and the read (a build started just now).
    const again = this.live.get(key)
    if (again) return again.follow(reader)
    if (text !== '') reader.onText(text)
    reader.onEnd()
    return () => {}
  }
}
