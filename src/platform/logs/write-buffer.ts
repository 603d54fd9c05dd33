// Lines on their way to disk: each row is encoded into a buffer as it arrives (off the JS heap until written),
// grouped by the segment file it goes to; a flush takes the pending chunks and writes them in order.
import type {Entry} from './entry.js'

import {parseRows} from './entry.js'

/** Bytes of the buffers rows are encoded into. */
const CHUNK_BUFFER_BYTES = 64 * 1024

export interface PendingChunk {
  /** The buffer being filled (bytes 0..used). */
  buf: Buffer
  /** Full buffers before `buf`. */
  full: Buffer[]
  segment: number
  used: number
}

export class WriteBuffer {
  /** Bytes buffered and not yet on disk. */
  bytes = 0
  /** Chunks not yet taken by a flush. */
  private pending: PendingChunk[] = []
  /** Chunks taken by the flush in progress (not all on disk yet). */
  private writing: PendingChunk[] = []

  get empty(): boolean {
    return this.pending.length === 0
  }

  /** Encodes a row bound for `segment`; returns its bytes. */
  add(segment: number, row: string): number {
    let chunk = this.pending.at(-1)
    if (!chunk || chunk.segment !== segment) {
      chunk = {buf: Buffer.allocUnsafe(Math.max(CHUNK_BUFFER_BYTES, row.length * 3)), full: [], segment, used: 0}
      this.pending.push(chunk)
    } else if (chunk.buf.length - chunk.used < row.length * 3) {
      chunk.full.push(chunk.buf.subarray(0, chunk.used))
      chunk.buf = Buffer.allocUnsafe(Math.max(CHUNK_BUFFER_BYTES, row.length * 3))
      chunk.used = 0
    }

    const bytes = chunk.buf.write(row, chunk.used)
    chunk.used += bytes
    this.bytes += bytes
    return bytes
  }

  /** Takes the pending chunks for a flush; they stay readable (unflushed()) until finished(). */
  take(): PendingChunk[] {
    const chunks = this.pending
    this.pending = []
    this.writing = chunks
    return chunks
  }

  finished(): void {
    this.writing = []
  }

  /** Forgets the pending lines (the app is purged). */
  clear(): void {
    this.pending = []
    this.bytes = 0
  }

  /** Whether a segment still has lines buffered or being written. */
  busy(segment: number): boolean {
    return [...this.pending, ...this.writing].some(chunk => chunk.segment === segment)
  }

  /** Lines stored but not (all) written to disk yet, oldest first: the chunks being written, then the pending ones. */
  unflushed(): Entry[] {
    const out: Entry[] = []
    for (const chunk of [...this.writing, ...this.pending]) {
      for (const buf of [...chunk.full, chunk.buf.subarray(0, chunk.used)]) parseRows(buf.toString('utf8'), out)
    }

    return out
  }
}

/** A chunk's bytes as one buffer. */
export function chunkData(chunk: PendingChunk): Buffer {
  const last = chunk.buf.subarray(0, chunk.used)
  return chunk.full.length === 0 ? last : Buffer.concat([...chunk.full, last])
}
