// Chunked framing (RFC 9112 §7.1), tracked over a byte stream without decoding it: where a chunked message ends,
// with the chunk-line and trailer limits of rules.ts.
import {MAX_CHUNK_LINE, MAX_TRAILER_BYTES} from '../rules.js'
import {HttpParseError} from './syntax.js'

const enum ChunkState {
  Size,
  SizeLf,
  Ext,
  Data,
  DataCr,
  DataLf,
  TrailerLineStart,
  TrailerLine,
  TrailerLf,
  FinalLf,
  Done,
}

/**
 * Tracks chunked framing over a byte stream without decoding it: `feed` returns how many bytes of
 * `buf[start..]` belong to this message (all of them unless the message ended inside the buffer).
 */
export class ChunkedTracker {
  done = false
  private lineBytes = 0
  private remaining = 0
  private sawDigit = false
  private size = 0
  private state = ChunkState.Size
  private trailerBytes = 0

  constructor(private readonly errorStatus = 400) {}

  feed(buf: Buffer, start = 0, end = buf.length): number {
    let i = start
    while (i < end && this.state !== ChunkState.Done) {
      switch (this.state) {
        case ChunkState.Data: {
          const n = Math.min(this.remaining, end - i)
          i += n
          this.remaining -= n
          if (this.remaining === 0) this.state = ChunkState.DataCr
          continue
        }

        case ChunkState.DataCr: {
          if (buf[i++] !== 13) this.fail('Missing CRLF after chunk data')
          this.state = ChunkState.DataLf
          continue
        }

        case ChunkState.DataLf: {
          if (buf[i++] !== 10) this.fail('Missing CRLF after chunk data')
          this.state = ChunkState.Size
          this.size = 0
          this.sawDigit = false
          this.lineBytes = 0
          continue
        }

        case ChunkState.Ext: {
          const c = buf[i++]
          if (++this.lineBytes > MAX_CHUNK_LINE) this.fail('Chunk extension too long')
          if (c === 13) this.state = ChunkState.SizeLf
          else if (c === 10 || c === 0) this.fail('Bare LF in chunk size line')
          continue
        }

        case ChunkState.FinalLf: {
          if (buf[i++] !== 10) this.fail('Malformed chunked trailer')
          this.state = ChunkState.Done
          this.done = true
          continue
        }

        case ChunkState.Size: {
          const c = buf[i++]
          if (++this.lineBytes > MAX_CHUNK_LINE) this.fail('Chunk size line too long')
          const digit = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1
          if (digit >= 0) {
            if (this.size > 0x0F_FF_FF_FF_FF_FF) this.fail('Chunk size too large')
            this.size = (this.size * 16) + digit
            this.sawDigit = true
          } else if (!this.sawDigit) {
            this.fail('Invalid chunk size')
          } else if (c === 13) {
            this.state = ChunkState.SizeLf
          } else if (c === 59) {
            this.state = ChunkState.Ext
          } else {
            // No whitespace, signs or other junk around the size (a classic smuggling variant).
            this.fail('Invalid chunk size')
          }

          continue
        }

        case ChunkState.SizeLf: {
          if (buf[i++] !== 10) this.fail('Bare CR in chunk size line')
          if (this.size === 0) {
            this.state = ChunkState.TrailerLineStart
          } else {
            this.remaining = this.size
            this.state = ChunkState.Data
          }

          continue
        }

        case ChunkState.TrailerLf: {
          if (buf[i++] !== 10) this.fail('Bare CR in trailer')
          this.state = ChunkState.TrailerLineStart
          continue
        }

        case ChunkState.TrailerLine: {
          const c = buf[i++]
          if (++this.trailerBytes > MAX_TRAILER_BYTES) this.fail('Trailer too large')
          if (c === 13) this.state = ChunkState.TrailerLf
          else if (c === 10) this.fail('Bare LF in trailer')
          continue
        }

        case ChunkState.TrailerLineStart: {
          const c = buf[i++]
          if (c === 13) {
            this.state = ChunkState.FinalLf
          } else if (c === 10 || c === 32 || c === 9) {
            this.fail('Malformed trailer')
          } else {
            this.trailerBytes++
            this.state = ChunkState.TrailerLine
          }

          continue
        }

        default:
      }
    }

    return i - start
  }

  private fail(message: string): never {
    throw new HttpParseError(this.errorStatus, message)
  }
}
