// Parsing `KEY=value` arguments of config:set before any request is made.
import {InputError} from './errors.js'

const KEY_RE = /^[A-Za-z_]\w*$/

export function validateConfigKey(key: string): void {
  if (!KEY_RE.test(key)) {
    throw new InputError(`"${key}" is not a valid config var name: use letters, digits and underscores, starting with a letter or underscore.`)
  }
}

/** `A=1 B=two=2` → {A: '1', B: 'two=2'} (split at the first `=`). */
export function parseConfigPairs(args: string[]): Record<string, string> {
  if (args.length === 0) throw new InputError('Usage: ferry config:set KEY1=VALUE1 [KEY2=VALUE2 ...]: at least one KEY=VALUE pair is required.')
  const vars: Record<string, string> = {}
  for (const arg of args) {
    const eq = arg.indexOf('=')
    if (eq === -1) throw new InputError(`${arg} is invalid. Must be in the format FOO=bar.`)
    if (eq === 0) throw new InputError(`${arg} is invalid: the key is empty. Must be in the format FOO=bar.`)
    const key = arg.slice(0, eq)
    validateConfigKey(key)
    vars[key] = arg.slice(eq + 1)
  }

  return vars
}
