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
})
