import {describe, expect, it} from 'vitest'

import {isoTimestamp} from '../../src/platform/time.js'

describe('isoTimestamp', () => {
  it('gives the same string as Date#toISOString', () => {
    const dates = [
      new Date(0),
      new Date('2026-11-25T19:03:04.005Z'),
      new Date('1999-12-31T23:59:59.999Z'),
      new Date(Date.UTC(5, 0, 1)),
      new Date(Date.UTC(-1, 5, 6, 7, 8, 9, 10)),
      new Date(Date.UTC(12_345, 1, 2)),
      new Date(8.64e15),
      new Date(-8.64e15),
    ]
    for (let i = 0; i < 200; i++) dates.push(new Date(Math.floor(Math.random() * 4e12) - 1e12))
    for (const date of dates) expect(isoTimestamp(date)).toBe(date.toISOString())
  })

  it('drops the milliseconds when asked', () => {
    expect(isoTimestamp(new Date('2026-01-02T03:04:05.678Z'), false)).toBe('2026-01-02T03:04:05Z')
  })

  it('defaults to now', () => {
    const before = Date.now()
    const at = Date.parse(isoTimestamp())
    expect(at).toBeGreaterThanOrEqual(before - 1)
    expect(at).toBeLessThanOrEqual(Date.now())
  })

  it('throws a RangeError for an invalid date, like toISOString', () => {
    expect(() => isoTimestamp(new Date(Number.NaN))).toThrow(RangeError)
  })
})
