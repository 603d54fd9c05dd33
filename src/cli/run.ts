// What `ferry run` and `run:detached` share: the command line sent to the API, the `-e` env parsing (heroku CLI
// rules) and starting a detached one-off dyno.
import type {Api} from '../api/client.js'
import type {Dyno} from '../api/types.js'

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

/** Starts a one-off dyno whose output goes to the logs: `Running CMD on APP... done, run.N (Basic)` on stderr. */
export async function startDetached(api: Api, app: string, body: {command: string; env: Record<string, string>; size?: string; type?: string}): Promise<Dyno> {
  process.stderr.write(`Running ${body.command} on ${app}... `)
  const dyno = await api.oneOffDynos.create(app, {...body, attach: false})
  process.stderr.write(`done, ${dyno.name} (${dyno.size})\n`)
  return dyno
}
