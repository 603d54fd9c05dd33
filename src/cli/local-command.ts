// What `ferry local` and `ferry local:run` share: bad input (LocalError) becomes one line on stderr and exit 1.
import {Command} from '@oclif/core'

import {describeInputError, LocalError} from '../local/index.js'

export abstract class LocalCommand extends Command {
  async catch(error: Error & {exitCode?: number}): Promise<any> {
    const message = describeInputError(error)
    if (message === undefined) return super.catch(error)
    process.stderr.write(` ›   Error: ${message}\n`)
    return this.exit(1)
  }
}

/** Parses a --port flag value (range checks happen where the port is used). */
export function portFlag(value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new LocalError('Invalid', `Invalid --port "${value}"; use a number from 1024 to 65535.`)
  return Number(value)
}
