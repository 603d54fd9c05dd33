import {describe, expect, it} from 'vitest'

import {applyRange, parseRange} from '../../../src/platform/server/range.js'

describe('applyRange', () => {
  it('orders ties by their given (creation) order, reversed for order=desc', () => {
    // Two builds created in the same second: "the latest" must be the one created last.
    const items = [
      {created_at: '2026-11-25T18:30:05Z', id: 'a'},
      {created_at: '2026-11-25T18:30:06Z', id: 'b'},
      {created_at: '2026-11-25T18:30:06Z', id: 'c'},
    ]
    const fields = ['id', 'created_at']
    expect(applyRange(items, parseRange('created_at ..; max=1, order=desc'), {fields}).items.map(i => i.id)).toEqual(['c'])
    expect(applyRange(items, parseRange('created_at ..; order=desc'), {fields}).items.map(i => i.id)).toEqual(['c', 'b', 'a'])
    expect(applyRange(items, parseRange('created_at ..'), {fields}).items.map(i => i.id)).toEqual(['a', 'b', 'c'])
  })

  it('pages through a run of equal values without skipping or repeating an item', () => {
    const items = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((id, i) => ({created_at: i < 1 || i > 5 ? `2026-11-25T18:30:0${i}Z` : '2026-11-25T18:30:05Z', id}))
    const fields = ['id', 'created_at']
    for (const order of ['asc', 'desc']) {
      const seen: string[] = []
      let range: string | undefined = `created_at ..; max=2, order=${order}`
      for (let pages = 0; range && pages < 10; pages++) {
        const page: {items: Array<{id: string}>; nextRange?: string} = applyRange(items, parseRange(range), {fields})
        seen.push(...page.items.map(i => i.id))
        range = page.nextRange
      }

      expect(seen).toEqual(order === 'asc' ? ['a', 'b', 'c', 'd', 'e', 'f', 'g'] : ['g', 'f', 'e', 'd', 'c', 'b', 'a'])
    }

    // A Next-Range inside the run names the last item; its value alone (a client's own Range) still skips the run.
    expect(applyRange(items, parseRange('created_at ..; max=2'), {fields}).nextRange).toBe('created_at ]2026-11-25T18:30:05Z/b..; max=2')
    expect(applyRange(items, parseRange('created_at ]2026-11-25T18:30:05Z..'), {fields}).items.map(i => i.id)).toEqual(['g'])
    // An id that is not (or no longer) in the run: the value alone decides, as without one.
    expect(applyRange(items, parseRange('created_at ]2026-11-25T18:30:05Z/gone..'), {fields}).items.map(i => i.id)).toEqual(['g'])
    expect(() => parseRange('created_at ]2026-11-25T18:30:05Z/b..; max=0')).toThrow(/max must be a positive integer/)
  })
})
