// Parsing ps:scale arguments (`web=3`, `worker+1`, `web=2:Standard-1X`) before any request is made. Only the form is
// checked: how many dynos a backend allows is its own rule (the local platform's cap, Heroku's account limits).
import type {FormationUpdate} from '../api/types.js'

import {InputError} from './errors.js'

const SCALE_RE = /^([\w-]+)([=+-])(\d+)(?::([\w-]+))?$/

export function parseScaleArgs(args: string[]): FormationUpdate[] {
  return args.map(arg => {
    const m = SCALE_RE.exec(arg)
    if (!m) throw new InputError(`${arg} is invalid: use TYPE=N, TYPE+N or TYPE-N with a whole number N (e.g. web=2 worker+1 web=1:Basic).`)
    const [, type, op, digits, size] = m
    const n = Number(digits)
    const update: FormationUpdate = {quantity: op === '=' ? String(n) : `${op}${n}`, type}
    if (size) update.size = size.replace(/^Shield-/, 'Private-')
    return update
  })
}
