// git's credential helper protocol for `ferry git:credentials <get|store|erase>`. git runs the helper twice per push
// (get, then store), so bin/run.js answers it without loading oclif (fastGitCredential in bin/fast-path.js): this module
// must stay free of oclif and of anything slow to import.
import {credentialsFor} from './credentials.js'
import {describeError} from './errors.js'

/** `key=value` lines of a credential request (git ends it with a blank line). */
export function parseCredentialRequest(text: string): Record<string, string> {
  const request: Record<string, string> = {}
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=')
    if (eq > 0) request[line.slice(0, eq)] = line.slice(eq + 1)
  }

  return request
}

/** What the helper prints for an operation: `get` → the credential for the platform git host; anything else → nothing. */
export async function gitCredential(operation: string, input: string): Promise<string> {
  if (operation !== 'get') return ''
  const request = parseCredentialRequest(input)
  const token = await credentialsFor(request.protocol, request.host)
  return token ? `protocol=${request.protocol}\nhost=${request.host}\nusername=ferry\npassword=${token}\n` : ''
}

/** The fast path's whole command (bin/fast-path.js): output, or FerryCommand's one-line error and exit code. */
export async function runGitCredential(operation: string, input: string): Promise<void> {
  try {
    process.stdout.write(await gitCredential(operation, input))
  } catch (error) {
    const {exit, message} = describeError(error)
    process.stderr.write(` ›   Error: ${message}\n`)
    process.exitCode = exit
  }
}
