// ISO 8601 UTC timestamps built from a Date's UTC fields. Date#toISOString in this V8 also looks up the local time
// zone (ICU zone data and display names: ~1 MB of RSS the first time), which a UTC timestamp never needs.
const pad = (n: number, width = 2) => String(n).padStart(width, '0')

/**
 * The string `date.toISOString()` gives (`YYYY-MM-DDTHH:MM:SS.mmmZ`; RangeError for an invalid date), without `.mmm`
 * when `milliseconds` is false.
 */
export function isoTimestamp(date: Date = new Date(), milliseconds = true): string {
  if (Number.isNaN(date.getTime())) throw new RangeError('Invalid time value')
  const year = date.getUTCFullYear()
  const yyyy = year >= 0 && year <= 9999 ? pad(year, 4) : `${year < 0 ? '-' : '+'}${pad(Math.abs(year), 6)}`
  const base = `${yyyy}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}T${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`
  return milliseconds ? `${base}.${pad(date.getUTCMilliseconds(), 3)}Z` : `${base}Z`
}

/**
 * Milliseconds on the monotonic clock (what performance.now() measures, from another origin: compare two readings,
 * never show one). `performance` is not used in the daemon: its first use loads perf_hooks and the performance
 * timeline (~0.3 MB of an idle daemon's RSS, measured), which nothing here needs.
 */
export function monotonicMs(): number {
  const [seconds, nanoseconds] = process.hrtime()
  return (seconds * 1000) + (nanoseconds / 1e6)
}
