// What `ferry run` and `run:detached` share: their argument and flags, the command line sent to the API, the `-e` env
// parsing (heroku CLI rules) and starting a detached one-off dyno.
import type {Api} from '../api/client.js'
import type {Dyno} from '../api/types.js'

import {Args, Flags} from '@oclif/core'

import {InputError} from './errors.js'
import {action} from './output.js'

export const commandArg = {command: Args.string({description: 'command to run', required: true})}

/** The flags of the one-off dyno both commands start. */
export const oneOffFlags = {
  env: Flags.string({char: 'e', description: 'environment variables to set (use ";" to split several)', multiple: true}),
  size: Flags.string({char: 's', description: 'dyno size'}),
  type: Flags.string({description: 'process type (default run)'}),
}

export interface OneOffRequest {command: string; env: Record<string, string>; size?: string; type?: string}

/** The one-off dyno a command line asks for; without a command, an input error showing `usage`. */
export function oneOffRequest(argv: unknown[], flags: {env?: string[]; size?: string; type?: string}, usage: string): OneOffRequest {
  const args = argv as string[]
  if (args.length === 0) throw new InputError(`Usage: ${usage}.`)
  return {command: buildCommand(args), env: parseEnvFlags(flags.env), size: flags.size, type: flags.type}
}

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
export async function startDetached(api: Api, app: string, request: OneOffRequest): Promise<Dyno> {
  return action(`Running ${request.command} on ${app}`, () => api.oneOffDynos.create(app, {...request, attach: false}), dyno => `${dyno.name} (${dyno.size})`)
}

/** Where a detached dyno's output goes. */
export const detachedHint = (app: string, dyno: Dyno) => `Run ferry logs --app ${app} --dyno ${dyno.name} to view the output.`
