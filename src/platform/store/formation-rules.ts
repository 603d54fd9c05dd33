// Formation rules shared by the store and the API: dyno sizes, quantity parsing, limits (platform-api.md §3.11).
import {invalidError} from './errors.js'

export const MAX_QUANTITY_PER_TYPE = 100
export const DEFAULT_SIZE = 'Basic'
export {PROCESS_TYPE_RE} from '../../procfile.js'

/** Dyno sizes with stable ids (dyno_size {id, name}). */
export const DYNO_SIZES: ReadonlyArray<{id: string; name: string}> = [
  {id: '6a3a6d1d-2a52-4a5a-9a7f-0b1c1e0f0001', name: 'Eco'},
  {id: '6a3a6d1d-2a52-4a5a-9a7f-0b1c1e0f0002', name: 'Basic'},
  {id: '6a3a6d1d-2a52-4a5a-9a7f-0b1c1e0f0003', name: 'Standard-1X'},
  {id: '6a3a6d1d-2a52-4a5a-9a7f-0b1c1e0f0004', name: 'Standard-2X'},
  {id: '6a3a6d1d-2a52-4a5a-9a7f-0b1c1e0f0005', name: 'Performance-M'},
  {id: '6a3a6d1d-2a52-4a5a-9a7f-0b1c1e0f0006', name: 'Performance-L'},
]

export function dynoSize(name: string): {id: string; name: string} {
  return DYNO_SIZES.find(s => s.name === name) ?? {id: DYNO_SIZES[1].id, name}
}

/** Normalises a size given as a name (case-insensitive) or an id; unknown → 422. */
export function normalizeSize(value: string): string {
  const v = value.trim().toLowerCase()
  const found = DYNO_SIZES.find(s => s.name.toLowerCase() === v || s.id === v)
  if (!found) {
    throw invalidError(`Unknown dyno size "${value}". Use one of: ${DYNO_SIZES.map(s => s.name).join(', ')}.`)
  }

  return found.name
}

/** The new quantity for an update: integer or string; "+N"/"-N" relative (floored at 0); capped per type. */
export function resolveQuantity(type: string, current: number, quantity: number | string): number {
  let next: number
  if (typeof quantity === 'number') {
    if (!Number.isInteger(quantity) || quantity < 0) {
      throw invalidError(`Invalid quantity ${quantity} for ${type}: must be a whole number of 0 or more.`)
    }

    next = quantity
  } else {
    const m = /^\s*([+-]?)(\d{1,9})\s*$/.exec(quantity)
    if (!m) throw invalidError(`Invalid quantity "${quantity}" for ${type}: use a number (2), or a relative change (+1, -1).`)
    const n = Number(m[2])
    next = m[1] === '+' ? current + n : m[1] === '-' ? Math.max(0, current - n) : n
  }

  if (next > MAX_QUANTITY_PER_TYPE) {
    throw invalidError(`Cannot scale ${type} to ${next} dynos: the limit is ${MAX_QUANTITY_PER_TYPE} per process type.`)
  }

  return next
}
