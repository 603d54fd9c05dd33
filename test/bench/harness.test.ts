// The bench harness's pure parts (bench/lib, plain ESM JavaScript): wrk output parsing, statistics, the RESULTS.md
// renderer (not-runnable rows, MISS) and CPU-profile summaries. The benchmarks themselves run with `npm run bench`.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'

const lib = (name: string) => path.resolve(import.meta.dirname, '..', '..', 'bench', 'lib', name)
// Imported through a variable: bench/ is JavaScript without type declarations.
const load = async (name: string): Promise<any> => import(lib(name))

const WRK = `Running 10s test @ http://127.0.0.1:8080/
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   610.21us  250.11us  12.00ms   90.00%
    Req/Sec    52.10k     2.01k   55.00k    80.00%
  Latency Distribution
     50%  550.00us
     75%  700.00us
     90%    0.90ms
     99%    1.12ms
  518000 requests in 10.00s, 37.05MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 5
Requests/sec:  51800.12
Transfer/sec:      3.70MB
`

describe('bench harness', () => {
  it('parses wrk --latency output (units, errors, non-2xx)', async () => {
    const {parseWrk} = await load('tools.js')
    expect(parseWrk(WRK)).toEqual({errors: 3, non2xx: 5, p50: 0.55, p99: 1.12, requests: 518_000, rps: 51_800.12})
  })

  it('computes median/min/max and ignores missing values', async () => {
    const {median, stats} = await load('util.js')
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 3, 2])).toBe(2.5)
    expect(stats([5, null, 1, 3])).toEqual({max: 5, median: 3, min: 1, runs: [5, 1, 3]})
    expect(stats([]).median).toBeNull()
  })

  it('renders not-runnable rows with their reason and misses as MISS, never a figure', async () => {
    const {metric, renderMarkdown} = await load('report.js')
    const md: string = renderMarkdown(
      {
        generatedAt: '2026-11-25T18:05:00Z',
        machine: {cpus: 2},
        rows: {
          router: {id: 'router', reason: 'the router is not wired into the daemon', status: 'not-runnable', target: '≥ 0.9× nginx'},
          startup: {
            id: 'startup',
            metrics: [metric({baseline: {label: 'node -e 0', median: 40, unit: 'ms'}, label: 'ferry --version', pass: false, ratio: 3, target: '≤ 2.8× node', unit: 'ms', value: {max: 130, median: 120, min: 110, runs: [110, 120, 130]}})],
            status: 'measured',
          },
        },
      },
      {router: 'Router', startup: 'Start-up'},
    )
    expect(md).toContain('| Router | – | ≥ 0.9× nginx | not runnable yet: the router is not wired into the daemon |')
    expect(md).toMatch(/\| Start-up \| ferry --version \| ≤ 2\.8× node \| 120 ms \(110–130, n=3\) \| node -e 0: 40 ms \| 3× \| \*\*MISS\*\* \|/)
    expect(md).toContain('| logs | – | – | not measured yet |')
  })

  it('summarizes a CPU profile by module, excluding idle time from the percentages', async () => {
    const {summarizeProfile} = await load('profile.js')
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-prof-')), 'x.cpuprofile')
    const frame = (id: number, functionName: string, url: string, children: number[] = []) => ({callFrame: {columnNumber: 0, functionName, lineNumber: 0, scriptId: '0', url}, children, id})
    fs.writeFileSync(
      file,
      JSON.stringify({
        endTime: 10_000,
        nodes: [frame(1, '(root)', '', [2, 3, 4]), frame(2, '(idle)', ''), frame(3, 'parse', 'file:///x/node_modules/undici/lib/a.js', [5]), frame(4, 'main', 'file:///x/dist/main.js'), frame(5, 'readFileSync', 'node:fs')],
        samples: [2, 2, 3, 5, 5, 4],
        startTime: 0,
        timeDeltas: [1000, 1000, 2000, 3000, 1000, 2000],
      }),
    )
    const s = summarizeProfile(file)
    expect(s.idleMs).toBe(2)
    expect(s.busyMs).toBe(8)
    expect(s.byGroup[0]).toEqual({ms: 4, name: 'node: built-ins', pct: 50})
    // The fs time was spent on behalf of undici (its nearest non-node frame).
    expect(s.byCaller[0]).toEqual({ms: 6, name: 'node_modules/undici', pct: 75})
  })
})
