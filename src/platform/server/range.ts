// Heroku's Range header: `<field> [[']']<first>]..[<last>][; max=N, order=asc|desc]` (shared/platform-api.md §2.4).
import {HttpError} from '../errors.js'

export interface RangeSpec {
  exclusive: boolean
  field: string
  first?: string
  last?: string
  max?: number
  order?: 'asc' | 'desc'
}

export interface RangeOptions {
  /** Default sort field when no Range was sent (first of `fields` otherwise). */
  defaultField?: string
  /** Sortable fields, in Accept-Ranges order. */
  fields: string[]
}

/** `<value>/<id>` in an exclusive first bound (see applyRange). */
const TIE_RE = /^(.*)\/([\w-]+)$/

export const DEFAULT_MAX = 200
export const MAX_MAX = 1000

const RANGE_RE = /^\s*([\w.]+)\s*(\])?\s*([^.;\s]*(?:\.(?!\.)[^.;\s]*)*)\s*\.\.\s*([^;\s]*)\s*(?:;\s*(.*))?$/

const badRange = (header: string, why: string) =>
  new HttpError(400, 'bad_request', `Invalid Range header "${header}": ${why}. Expected e.g. "id ..; max=200, order=desc".`)

export function parseRange(header: string): RangeSpec {
  const m = RANGE_RE.exec(header)
  if (!m) throw badRange(header, 'not of the form "<field> [first]..[last][; max=N, order=asc|desc]"')
  const spec: RangeSpec = {exclusive: Boolean(m[2]), field: m[1]}
  if (m[3]) spec.first = m[3]
  if (m[4]) spec.last = m[4]
  for (const param of (m[5] ?? '').split(/[,;]/).map(p => p.trim()).filter(Boolean)) {
    const [key, value] = param.split('=').map(s => s.trim())
    if (key === 'max') {
      const max = Number(value)
      if (!Number.isInteger(max) || max < 1) throw badRange(header, `max must be a positive integer, got "${value}"`)
      spec.max = Math.min(max, MAX_MAX)
    } else if (key === 'order') {
      if (value !== 'asc' && value !== 'desc') throw badRange(header, `order must be asc or desc, got "${value}"`)
      spec.order = value
    } else {
      throw badRange(header, `unknown parameter "${key}"`)
    }
  }

  return spec
}

function compareValues(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b
  return String(a ?? '').localeCompare(String(b ?? ''), 'en')
}

/** Compares an item's field value with a Range bound given as a string (numbers compare as numbers). */
function compareBound(value: unknown, bound: string): number {
  if (typeof value === 'number') return value - Number(bound)
  return String(value ?? '') < bound ? -1 : String(value ?? '') > bound ? 1 : 0
}

export interface Page<T> {
  contentRange?: string
  items: T[]
  nextRange?: string
}

export function applyRange<T extends object>(items: T[], spec: RangeSpec | undefined, options: RangeOptions): Page<T> {
  const field = spec?.field ?? options.defaultField ?? options.fields[0]
  if (!options.fields.includes(field)) {
    throw new HttpError(400, 'bad_request', `Range field "${field}" is not sortable here; use one of: ${options.fields.join(', ')}.`)
  }

  const order = spec?.order ?? 'asc'
  const max = spec?.max ?? DEFAULT_MAX
  const get = (item: T) => (item as Record<string, unknown>)[field]
  const dir = order === 'desc' ? -1 : 1
  // Ties (e.g. two builds in the same second of created_at) keep the store's order, reversed for desc, so `order=desc`
  // is exactly the reverse of asc and "the latest" is the one created last.
  const position = new Map(items.map((item, i) => [item, i]))
  let sorted = [...items].sort((a, b) => dir * (compareValues(get(a), get(b)) || position.get(a)! - position.get(b)!))
  if (spec?.first !== undefined) {
    let first = spec.first
    // `]<value>/<id>..` (a Next-Range of ours whose page ended inside a run of equal values): resume right after
    // that item. Without it (or when the item is gone), `]<value>` skips every item equal to value.
    const tie = spec.exclusive ? TIE_RE.exec(first) : null
    const at = tie ? sorted.findIndex(item => (item as {id?: unknown}).id === tie[2] && compareBound(get(item), tie[1]) === 0) : -1
    if (tie) first = tie[1]
    sorted =
      at === -1
        ? sorted.filter(item => {
            const c = dir * compareBound(get(item), first)
            return spec.exclusive ? c > 0 : c >= 0
          })
        : sorted.slice(at + 1)
  }

  if (spec?.last !== undefined) {
    const last = spec.last
    sorted = sorted.filter(item => dir * compareBound(get(item), last) <= 0)
  }

  const pageItems = sorted.slice(0, max)
  const page: Page<T> = {items: pageItems}
  if (pageItems.length > 0) {
    page.contentRange = `${field} ${String(get(pageItems[0]))}..${String(get(pageItems.at(-1)!))}`
  }

  if (sorted.length > max) {
    const lastItem = pageItems.at(-1)!
    const id = (lastItem as {id?: unknown}).id
    // The next page starts inside a run of equal values (e.g. builds created in the same second): name the item
    // too, or `]<value>` would skip the rest of the run. Clients send Next-Range back as it is.
    const tied = compareValues(get(sorted[max]), get(lastItem)) === 0 && typeof id === 'string' && /^[\w-]+$/.test(id)
    page.nextRange = `${field} ]${String(get(lastItem))}${tied ? `/${id}` : ''}..; max=${max}${order === 'desc' ? ', order=desc' : ''}`
  }

  return page
}
