// Parsing `KEY=value` arguments of config:set before any request is made. Only the argument's form is checked here:
// which names a backend accepts is the backend's rule (the local platform's, or Heroku's), answered with its message.
import {InputError} from './errors.js'

/** `A=1 B=two=2` → {A: '1', B: 'two=2'} (split at the first `=`). */
export function parseConfigPairs(args: string[]): Record<string, string> {
  if (args.length === 0) throw new InputError('Usage: ferry config:set KEY1=VALUE1 [KEY2=VALUE2 ...]: at least one KEY=VALUE pair is required.')
  const vars: Record<string, string> = {}
  for (const arg of args) {
    const eq = arg.indexOf('=')
    if (eq === -1) throw new InputError(`${arg} is invalid. Must be in the format FOO=bar.`)
    if (eq === 0) throw new InputError(`${arg} is invalid: the key is empty. Must be in the format FOO=bar.`)
    vars[arg.slice(0, eq)] = arg.slice(eq + 1)
  }

  return vars
}
