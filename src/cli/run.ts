// What `ferry run` shares: the command line sent to the API and the `-e` env parsing (heroku CLI rules).
import {InputError} from './errors.js'

/** One argument is sent verbatim; several are space-joined, those with a space or `"` double-quoted. */
export function buildCommand(args: string[]): string {
  if (args.length === 1) return args[0]
  return args.map(a => (/[\s"]/.test(a) ? `"${a.replaceAll('"', String.raw`\"`)}"` : a)).join(' ')
}

/** `-e "A=1;B=2"` (repeatable) → {A: '1', B: '2'}. */
export function parseEnvFlags(values: string[] = []): Record<string, string> {
  const env: Record<string, string> = {}
  for (const value of values) {
    for (const pair of value.split(';')) {
      if (pair.trim() === '') continue
      const eq = pair.indexOf('=')
      const key = eq === -1 ? '' : pair.slice(0, eq).trim()
      if (!/^\w+$/.test(key)) throw new InputError(`Invalid --env value "${pair}": use KEY=value (several separated by ";").`)
      env[key] = pair.slice(eq + 1)
    }
  }

  return env
}
