// Which dynos `ps:restart` / `ps:stop` act on: --dyno, --process-type, or the deprecated positional DYNO.
import {Flags} from '@oclif/core'

import {warn} from './input.js'

export const dynoTargetFlags = {
  dyno: Flags.string({char: 'd', description: 'name of the dyno (e.g. web.1)', exclusive: ['process-type']}),
  'process-type': Flags.string({char: 'p', description: 'name of the process type (e.g. web)', exclusive: ['dyno']}),
}

export type DynoTarget = {dyno: string} | {type: string} | undefined

/** The target from flags, else from the positional argument (`web.1` = a dyno, `web` = a process type) with a deprecation warning. */
export function dynoTarget(flags: {dyno?: string; 'process-type'?: string}, positional?: string): DynoTarget {
  if (flags.dyno) return {dyno: flags.dyno}
  if (flags['process-type']) return {type: flags['process-type']}
  if (!positional) return undefined
  warn('Passing DYNO as an argument is deprecated. Use --dyno (-d) or --process-type (-p) instead.')
  return positional.includes('.') ? {dyno: positional} : {type: positional}
}
