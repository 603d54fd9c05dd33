// Reading from the user: whole stdin (tokens, credential requests) and a confirmation prompt on a TTY.
import {createInterface} from 'node:readline/promises'

export async function readStdin(stream: NodeJS.ReadStream = process.stdin): Promise<string> {
  if (stream.isTTY) return ''
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(Buffer.from(chunk))
  return Buffer.concat(chunks).toString('utf8')
}

/** Asks a question on stderr and returns the answer (TTY only). */
export async function prompt(question: string): Promise<string> {
  const rl = createInterface({input: process.stdin, output: process.stderr})
  try {
    return (await rl.question(question)).trim()
  } finally {
    rl.close()
  }
}

/** A warning on stderr, heroku style. */
export function warn(text: string): void {
  process.stderr.write(` ›   Warning: ${text}\n`)
}
