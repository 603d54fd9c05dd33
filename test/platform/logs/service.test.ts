import {mkdtempSync, readdirSync, readFileSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {formatTimestamp, isSingleLine, matchesFilter, MAX_LINE_BYTES, nowMicros, parseLine, splitMessage} from '../../../src/platform/logs/format.js'
import {FileLogService} from '../../../src/platform/logs/service.js'

describe('logs', () => {
describe('logplex format', () => {
  it('formats timestamps with microseconds and +00:00', () => {
    const micros = (Date.UTC(2026, 10, 25, 14, 3, 11, 123) * 1000) + 456
    expect(formatTimestamp(micros)).toBe('2026-11-25T14:03:11.123456+00:00')
    const parsed = parseLine(`${formatTimestamp(micros)} app[web.1]: hello world`)
    expect(parsed).toEqual({dyno: 'web.1', message: 'hello world', micros, source: 'app'})
    expect(parseLine('garbage')).toBeUndefined()
  })

  it('formats from its per-millisecond cache exactly like the reference, across micro, milli and second boundaries', () => {
    const reference = (micros: number) => new Date(Math.floor(micros / 1000)).toISOString().replace('Z', `${String(micros % 1000).padStart(3, '0')}+00:00`)
    const base = Date.UTC(2026, 11, 31, 23, 59, 59, 998) * 1000
    for (const micros of [base, base + 1, base + 999, base + 1000, base + 1001, base + 2000, base + 2999, base + 5, base]) {
      expect(formatTimestamp(micros)).toBe(reference(micros))
    }

    const a = nowMicros()
    const b = nowMicros()
    expect(b).toBeGreaterThanOrEqual(a)
    expect(Number.isInteger(a)).toBe(true)
    expect(Math.abs(a - (Date.now() * 1000))).toBeLessThan(5_000_000)
  })

  it('recognises single short lines (the fast path) exactly when splitMessage would not split', () => {
    for (const m of ['', 'a', 'a\r', 'a\nb', 'a\n', 'x'.repeat(3333), 'x'.repeat(3334), 'é'.repeat(4000), 'é'.repeat(6000)]) {
      const split = splitMessage(m)
      expect(isSingleLine(m) ? [m] : split).toEqual(split)
    }

    expect(isSingleLine('at=info method=GET path="/"')).toBe(true)
  })

  it('splits multi-line messages and lines over 10000 bytes without cutting characters', () => {
    expect(splitMessage('a\nb\r\nc\n')).toEqual(['a', 'b', 'c'])
    expect(splitMessage('')).toEqual([''])
    const long = 'é'.repeat(7000) // 14000 bytes
    const parts = splitMessage(long)
    expect(parts.length).toBe(2)
    for (const p of parts) expect(Buffer.byteLength(p)).toBeLessThanOrEqual(MAX_LINE_BYTES)
    expect(parts.join('')).toBe(long)
  })

  it('filters by source, exact dyno and process type', () => {
    expect(matchesFilter({dyno: 'web'}, 'app', 'web.1')).toBe(true)
    expect(matchesFilter({dyno: 'web'}, 'app', 'webx.1')).toBe(false)
    expect(matchesFilter({dyno: 'web.1'}, 'app', 'web.10')).toBe(false)
    expect(matchesFilter({dyno: 'web.1'}, 'app', 'web.1')).toBe(true)
    expect(matchesFilter({source: 'heroku'}, 'app', 'web.1')).toBe(false)
    expect(matchesFilter({source: 'heroku'}, 'heroku', 'router')).toBe(true)
    expect(matchesFilter({dyno: 'router'}, 'heroku', 'router')).toBe(true)
  })
})

describe('FileLogService', () => {
  let dir: string
  let service: FileLogService | undefined

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'ferry-logs-'))
  })

  afterEach(async () => {
    await service?.close()
    service = undefined
    rmSync(dir, {force: true, recursive: true})
  })

  it('stores lines with monotonic ids in logplex format, reads the last N with filters', () => {
    service = new FileLogService({dir})
    service.append('app1', {dyno: 'web.1', message: 'one', source: 'app'})
    service.append('app1', {dyno: 'router', message: 'at=info', source: 'heroku'})
    service.append('app1', {dyno: 'web.2', message: 'two', source: 'app'})
    service.append('app2', {dyno: 'web.1', message: 'other app', source: 'app'})
    const all = service.read('app1', {}, 100)
    expect(all.map(l => l.id)).toEqual([1, 2, 3])
    expect(all[0].text).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00 app\[web\.1\]: one$/)
    expect(service.read('app1', {}, 2).map(l => l.message)).toEqual(['at=info', 'two'])
    expect(service.read('app1', {dyno: 'web'}, 10).map(l => l.message)).toEqual(['one', 'two'])
    expect(service.read('app1', {dyno: 'web.2'}, 10).map(l => l.message)).toEqual(['two'])
    expect(service.read('app1', {source: 'heroku'}, 10).map(l => l.dyno)).toEqual(['router'])
    expect(service.read('app1', {}, 10, 2).map(l => l.id)).toEqual([3])
    expect(service.read('app2', {}, 10).map(l => l.id)).toEqual([1])
  })

  it('reads lines older than the ring that are not on disk yet (a flood between two flushes loses none)', async () => {
    service = new FileLogService({dir, flushDelayMs: 60_000, ringLines: 10})
    for (let i = 1; i <= 100; i++) service.append('flood', {dyno: 'web.1', message: `line ${i}`, source: 'app'})
    // Nothing flushed yet: ids 1..90 exist only in the pending buffers.
    expect(service.read('flood', {}, 1000, 5).map(l => l.id)).toEqual(Array.from({length: 95}, (_, i) => i + 6))
    expect(service.read('flood', {}, 30).map(l => l.message)).toEqual(Array.from({length: 30}, (_, i) => `line ${i + 71}`))
    await service.flushAll()
    for (let i = 101; i <= 120; i++) service.append('flood', {dyno: 'web.1', message: `line ${i}`, source: 'app'})
    // Some lines on disk, some pending, the newest in the ring: still one contiguous answer.
    expect(service.read('flood', {}, 1000, 50).map(l => l.id)).toEqual(Array.from({length: 70}, (_, i) => i + 51))
  })

  it('notifies followers of matching new lines', () => {
    service = new FileLogService({dir})
    const seen: string[] = []
    const stop = service.follow('a', {dyno: 'web'}, line => seen.push(line.message))
    service.append('a', {dyno: 'web.1', message: 'x', source: 'app'})
    service.append('a', {dyno: 'worker.1', message: 'y', source: 'app'})
    stop()
    service.append('a', {dyno: 'web.1', message: 'z', source: 'app'})
    expect(seen).toEqual(['x'])
  })

  it('persists lines and reloads them with continuing ids after a restart', async () => {
    service = new FileLogService({dir})
    for (let i = 1; i <= 50; i++) service.append('app1', {dyno: 'web.1', message: `line ${i}`, source: 'app'})
    await service.close()
    service = new FileLogService({dir})
    const lines = service.read('app1', {}, 5)
    expect(lines.map(l => l.message)).toEqual(['line 46', 'line 47', 'line 48', 'line 49', 'line 50'])
    expect(lines[0].time).toBeInstanceOf(Date)
    service.append('app1', {dyno: 'web.1', message: 'after restart', source: 'app'})
    expect(service.read('app1', {}, 1)[0].id).toBe(51)
  })

  it('rotates by size: keeps about the retention, deletes old segments, and reads beyond the ring from disk', async () => {
    service = new FileLogService({dir, retentionLines: 100, ringLines: 20})
    for (let i = 1; i <= 1000; i++) service.append('app1', {dyno: i % 10 === 0 ? 'worker.1' : 'web.1', message: `line ${i}`, source: 'app'})
    await service.flushAll()
    const files = readdirSync(path.join(dir, 'app1'))
    const total = files.reduce((n, f) => n + readFileSync(path.join(dir, 'app1', f), 'utf8').split('\n').length - 1, 0)
    expect(total).toBeGreaterThanOrEqual(100)
    expect(total).toBeLessThanOrEqual(125)
    // 10 worker lines are not all in a 20-line ring: they come from disk.
    const workers = service.read('app1', {dyno: 'worker'}, 10)
    expect(workers.map(l => l.message)).toEqual([910, 920, 930, 940, 950, 960, 970, 980, 990, 1000].map(n => `line ${n}`))
    const last100 = service.read('app1', {}, 100)
    expect(last100.length).toBe(100)
    expect(last100[0].id).toBe(901)
    expect(last100.at(-1)!.id).toBe(1000)
    await service.close()
    service = new FileLogService({dir, retentionLines: 100, ringLines: 20})
    expect(service.read('app1', {}, 100).map(l => l.id)).toEqual(last100.map(l => l.id))
  })

  it('takes a heavy burst without stalling and drops with an L10 line only beyond the buffer', async () => {
    service = new FileLogService({dir, maxPendingBytes: 64 * 1024})
    for (let i = 0; i < 5000; i++) service.append('app1', {dyno: 'web.1', message: `burst line ${i} ${'x'.repeat(40)}`, source: 'app'})
    await service.flushAll()
    service.append('app1', {dyno: 'web.1', message: 'after', source: 'app'})
    const lines = service.read('app1', {}, 10_000)
    const l10 = lines.filter(l => l.message.includes('Error L10 (output buffer overflow)'))
    expect(l10.length).toBe(1)
    const dropped = Number(/-> (\d+) log lines dropped/.exec(l10[0].message)![1])
    const kept = lines.filter(l => l.message.startsWith('burst')).length
    expect(kept + dropped).toBe(5000)
    expect(l10[0].source).toBe('heroku')
  })

  it('keeps non-ASCII and multi-line messages intact in the ring, on disk and for followers', async () => {
    service = new FileLogService({dir})
    const followed: Array<{message: string; text: string; time: Date}> = []
    service.follow('u', {}, line => followed.push(line))
    const time = new Date(Date.UTC(2026, 10, 25, 14, 3, 11, 123))
    service.append('u', {dyno: 'web.1', message: 'héllo ✓ 日本 😀', source: 'app', time})
    service.append('u', {dyno: 'web.1', message: 'first\r\nsecond ü\n', source: 'app'})
    const expected = ['héllo ✓ 日本 😀', 'first', 'second ü']
    const check = (lines: Array<{message: string; text: string; time: Date}>) => {
      expect(lines.map(l => l.message)).toEqual(expected)
      expect(lines.map(l => l.text.slice(l.text.indexOf(']: ') + 3))).toEqual(expected)
      expect(lines[0].text).toBe('2026-11-25T14:03:11.123000+00:00 app[web.1]: héllo ✓ 日本 😀')
      expect(lines[0].time.getTime()).toBe(time.getTime())
      for (const l of lines) expect(l.time).toBeInstanceOf(Date)
    }

    check(followed)
    check(service.read('u', {}, 10))
    await service.close()
    service = new FileLogService({dir})
    check(service.read('u', {}, 10))
    expect(readFileSync(path.join(dir, 'u', readdirSync(path.join(dir, 'u'))[0]), 'utf8')).toContain(' app[web.1]: héllo ✓ 日本 😀\n')
  })

  /** Bytes of an app's log files. */
  const du = (app: string) => readdirSync(path.join(dir, app)).reduce((n, f) => n + statSync(path.join(dir, app, f)).size, 0)

  it('bounds a flood of 10 KB lines by bytes: on disk per app, for all apps, and in memory (1.1 GB and 404 MB before)', async () => {
    const MB = 1024 * 1024
    service = new FileLogService({dir, retentionBytes: MB, ringBytes: 256 * 1024, totalBytes: 2 * MB})
    const big = 'x'.repeat(MAX_LINE_BYTES - 200)
    // 3 apps x 2000 lines of ~10 KB: 60 MB written; the line retention (100 000) alone would keep it all.
    for (const app of ['a1', 'a2', 'a3']) {
      for (let i = 1; i <= 2000; i++) {
        service.append(app, {dyno: 'web.1', message: `${i} ${big}`, source: 'app'})
        if (i % 200 === 0) await service.flushAll()
      }
    }

    await service.flushAll()
    for (const app of ['a1', 'a2', 'a3']) expect(du(app)).toBeLessThanOrEqual(1.3 * MB)
    expect(du('a1') + du('a2') + du('a3')).toBeLessThanOrEqual(2.3 * MB)
    expect(du('a3')).toBeGreaterThanOrEqual(MB)
    // The ring holds at most ~256 KB of lines; older ones still come from disk, in order.
    const {ring} = (service as unknown as {apps: Map<string, {ring: {chars: number; size: number}}>}).apps.get('a3')!
    expect(ring.chars).toBeLessThanOrEqual(256 * 1024)
    expect(ring.size).toBeLessThan(30)
    const last = service.read('a3', {}, 60)
    expect(last.map(l => Number(l.message.split(' ')[0]))).toEqual(Array.from({length: 60}, (_, i) => 1941 + i))
  })

  it('purges an app', async () => {
    service = new FileLogService({dir})
    service.append('gone', {dyno: 'web.1', message: 'x', source: 'app'})
    await service.flushAll()
    service.purge('gone')
    await new Promise(r => setTimeout(r, 50))
    expect(readdirSync(dir)).not.toContain('gone')
    expect(service.read('gone', {}, 10)).toEqual([])
  })
})
})
