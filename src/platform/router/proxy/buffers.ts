// The Node router's shared read buffers: every socket reads into one of two buffers through `onread` (no Buffer
// allocation and no stream 'data' event per read). A read's bytes are a view of the buffer, valid only until the
// read callback returns: whatever is kept past it is copied (ownBytes()).

/** Where every dyno socket reads into (one at a time: the callback runs synchronously after each read). */
export const READ_BUFFER = Buffer.allocUnsafe(64 * 1024)
/** Where every client socket reads into (see acceptClient() in connection.ts). */
export const CLIENT_READ_BUFFER = Buffer.allocUnsafe(64 * 1024)
export const EMPTY = Buffer.alloc(0)

/** A copy of bytes that are a view of a shared read buffer (they must outlive the read callback). */
export function ownBytes(buf: Buffer): Buffer {
  return buf.length === 0 ? EMPTY : Buffer.from(buf)
}
