// Log throughput: one dyno prints N numbered lines as fast as it can; count what `ferry logs --tail` and the raw
// log-session stream receive (lost, duplicated, lines/s), next to the same script printing into a plain pipe.
import {spawn} from 'node:child_process'
import path from 'node:path'

import {metric} from '../lib/report.js'
import {BIN, gitPush, gitWorkTree, Platform, platformMissing} from '../lib/platform.js'
import {newestProfile, profileMarkdown, summarizeProfile} from '../lib/profile.js'
import {FIXTURES, log, mkTmp, sleep, stats} from '../lib/util.js'

const SEQ = /flood seq=(\d+) /

class Counter {
  constructor(n) {
    this.n = n
    this.seen = new Uint8Array(n)
    this.distinct = 0
    this.dups = 0
    this.first = null
    this.last = null
    this.l10 = 0
    this.l10Dropped = 0
  }

  line(text) {
    const m = SEQ.exec(text)
    if (m) {
      const i = Number(m[1])
      const now = performance.now()
      this.first ??= now
      if (i < this.n && this.seen[i]) this.dups++
      else if (i < this.n) {
        this.seen[i] = 1
        this.distinct++
        this.last = now
      }
    } else if (text.includes('L10')) {
      this.l10++
      const d = /(\d+) log lines dropped|(\d+) messages? dropped/.exec(text)
      if (d) this.l10Dropped += Number(d[1] ?? d[2])
    }
  }
}

/** Reads a stream line by line into counter.line(). */
function pumpLines(stream, onLine) {
  let buf = ''
  stream.setEncoding('utf8')
  stream.on('data', chunk => {
    buf += chunk
    let nl
    while ((nl = buf.indexOf('\n')) !== -1) {
      onLine(buf.slice(0, nl))
      buf = buf.slice(nl + 1)
    }
  })
}

async function waitDone(counter, {idleMs = 5000, timeoutMs = 90_000} = {}) {
  const t0 = performance.now()
  let lastCount = -1
  let lastChange = performance.now()
  while (counter.distinct < counter.n && performance.now() - t0 < timeoutMs) {
    if (counter.distinct !== lastCount) {
      lastCount = counter.distinct
      lastChange = performance.now()
    } else if (counter.first !== null && performance.now() - lastChange > idleMs) break
    await sleep(20)
  }
}

/** The missing sequence numbers of a run as ranges (first 8). */
function missingRanges(c) {
  const ranges = []
  for (let i = 0; i < c.n; i++) {
    if (c.seen[i]) continue
    let j = i
    while (j + 1 < c.n && !c.seen[j + 1]) j++
    ranges.push(i === j ? `${i}` : `${i}–${j}`)
    i = j
  }

  return ranges.length > 8 ? `${ranges.slice(0, 8).join(', ')} … (${ranges.length} ranges)` : ranges.join(', ')
}

async function baselinePipe(n) {
  return new Promise(resolve => {
    const child = spawn(process.execPath, ['flood.mjs'], {cwd: path.join(FIXTURES, 'log-flood'), env: {FLOOD_LINES: String(n), PATH: process.env.PATH}, stdio: ['ignore', 'pipe', 'ignore']})
    const c = new Counter(n)
    pumpLines(child.stdout, line => {
      c.line(line)
      if (line.startsWith('flood done')) {
        child.kill('SIGTERM')
        resolve(c)
      }
    })
  })
}

async function stopWorker(platform, app) {
  await platform.scale(app, 'worker', 0)
  const t0 = Date.now()
  while (Date.now() - t0 < 20_000) {
    const d = await platform.dynos(app)
    if (!d.some(x => x.type === 'worker')) {
      log(`worker stopped after ${Date.now() - t0} ms`)
      return
    }

    await sleep(100)
  }

  log('worker still listed 20 s after scaling to 0')
}

/** One run with the real CLI as the consumer (optionally under extra node args, e.g. --cpu-prof). */
async function cliRun(platform, app, n, nodeArgs = []) {
  const c = new Counter(n)
  const child = spawn(process.execPath, [...nodeArgs, BIN, 'logs', '--tail', '-n', '1', '-a', app], {cwd: platform.home, env: platform.env(), stdio: ['ignore', 'pipe', 'pipe']})
  const exited = new Promise(resolve => child.once('exit', resolve))
  const state = {connected: false}
  let stderr = ''
  child.stderr.on('data', d => {
    stderr += d
  })
  pumpLines(child.stdout, line => {
    state.connected = true
    c.line(line)
  })
  const t = Date.now()
  while (!state.connected && Date.now() - t < 30_000) await sleep(20)
  if (!state.connected) {
    child.kill('SIGKILL')
    throw new Error(`ferry logs --tail printed nothing in 30 s: ${stderr.trim().split('\n').at(-1) ?? ''}`)
  }

  const t0 = performance.now()
  await platform.scale(app, 'worker', 1)
  await waitDone(c)
  c.t0 = t0
  child.kill('SIGINT')
  await Promise.race([exited, sleep(5000)])
  return c
}

export default {
  id: 'logs',
  method: [
    'App = bench/fixtures/log-flood (Procfile `worker: node flood.mjs`), deployed with git push.',
    'Each run scales worker to 1; the dyno writes FLOOD_LINES numbered 60-byte lines to stdout in 1000-line writes (honouring back-pressure), then idles.',
    'Consumers, one per run, alternating:',
    '(a) the real CLI `node bin/run.js logs --tail -n 1 -a APP` (started and connected before the scale), stdout piped to the bench;',
    '(b) the raw log session (POST /apps/APP/log-sessions {tail:true,lines:0,dyno:"worker"} → SSE).',
    'Lost = N − distinct sequence numbers received; rate = N ÷ (last − first line received).',
    'Baseline in the same run: the same script printing into a plain pipe read by Node.',
  ].join(' '),
  async run(ctx) {
    const missing = platformMissing()
    if (missing) throw new ctx.NotRunnable(missing)
    const n = ctx.quick ? 30_000 : 100_000
    const runs = Number(process.env.BENCH_LOG_RUNS) || (ctx.quick ? 1 : 3)
    const platform = await Platform.start({label: 'logs'})
    ctx.defer(async () => {
      await platform.stop()
      if (!ctx.keepTmp) platform.remove()
    })
    const app = 'bench-logs'
    await platform.createApp(app)
    await platform.setConfig(app, {FLOOD_LINES: String(n)})
    const src = await gitWorkTree(path.join(FIXTURES, 'log-flood'), platform.env(), 'logs-src')
    const push = await gitPush(platform, app, src)
    if (push.code !== 0) throw new ctx.NotRunnable(`git push failed: ${push.output.split('\n').slice(-2).join(' / ')}`)
    await stopWorker(platform, app)

    const results = {baseline: [], cli: [], sse: []}
    for (let i = 1; i <= runs; i++) {
      results.baseline.push(await baselinePipe(n))

      // (a) ferry logs --tail
      {
        const c = await cliRun(platform, app, n)
        results.cli.push(c)
        log(`ferry logs run ${i}: ${c.distinct}/${n} lines, ${c.dups} dups, ${Math.round(c.distinct / ((c.last - c.first) / 1000))} lines/s${c.l10 ? `, ${c.l10} L10 lines (${c.l10Dropped} dropped)` : ''}`)
        await stopWorker(platform, app)
      }

      // (b) raw SSE log session
      {
        const c = new Counter(n)
        const s = await platform.ok('POST', `/apps/${app}/log-sessions`, {dyno: 'worker', lines: 0, tail: true})
        const controller = new AbortController()
        // Not awaited: with no history to send, the stream's response head only arrives with the first line or
        // keep-alive comment (up to 15 s later). The session subscribes as soon as the request arrives.
        const pending = fetch(s.logplex_url, {signal: controller.signal})
        const reader = (async () => {
          const dec = new TextDecoder()
          let buf = ''
          try {
            const res = await pending
            for await (const chunk of res.body) {
              buf += dec.decode(chunk, {stream: true})
              let nl
              while ((nl = buf.indexOf('\n')) !== -1) {
                const line = buf.slice(0, nl)
                buf = buf.slice(nl + 1)
                if (line.startsWith('data: ')) c.line(line.slice(6))
              }
            }
          } catch {}
        })()
        await sleep(500)
        const t0 = performance.now()
        await platform.scale(app, 'worker', 1)
        await waitDone(c)
        c.t0 = t0
        controller.abort()
        await reader
        results.sse.push(c)
        log(`log session run ${i}: ${c.distinct}/${n} lines, ${c.dups} dups, ${Math.round(c.distinct / ((c.last - c.first) / 1000))} lines/s${c.l10 ? `, ${c.l10} L10 lines` : ''}`)
        await stopWorker(platform, app)
      }
    }

    const rate = c => (c.last && c.first && c.last > c.first ? c.distinct / ((c.last - c.first) / 1000) : null)
    const base = {...stats(results.baseline.map(rate)), label: 'same script into a plain pipe', unit: 'lines/s'}
    const metrics = []
    const notes = []
    for (const [key, label] of [
      ['cli', '`ferry logs --tail`'],
      ['sse', 'log-session stream (SSE)'],
    ]) {
      const list = results[key]
      const r = stats(list.map(rate))
      const lost = list.map(c => n - c.distinct)
      metrics.push(
        metric({baseline: base, label: `${label}: lines/s received`, pass: r.median !== null && r.median >= 50_000, ratio: r.median / base.median, target: '≥ 50k lines/s', unit: 'lines/s', value: r}),
        metric({label: `${label}: lines lost (of ${n} per run)`, pass: lost.every(x => x === 0), target: '0 lost', unit: 'lines', value: stats(lost)}),
        metric({label: `  ${label}: scale request → last line`, unit: 'ms', value: stats(list.map(c => (c.last ? c.last - c.t0 : null)))}),
      )
      list.forEach((c, idx) => {
        if (c.distinct < n) notes.push(`${label} run ${idx + 1}: ${n - c.distinct} of ${n} lines never arrived; missing sequence numbers: ${missingRanges(c)}; ${c.l10} L10 lines.`)
      })
      const dups = list.reduce((a, c) => a + c.dups, 0)
      const l10 = list.reduce((a, c) => a + c.l10, 0)
      if (dups || l10) metrics.push(metric({label: `  ${label}: duplicates / L10 overflow lines`, unit: '', value: `${dups} duplicates, ${l10} L10 lines (${list.reduce((a, c) => a + c.l10Dropped, 0)} lines reported dropped)`}))
    }

    let evidence
    const cliMiss = metrics[0].pass === false
    const sseMiss = metrics.find(m => m.label.startsWith('log-session') && m.target === '≥ 50k lines/s')?.pass === false
    if (cliMiss || sseMiss) {
      const parts = []
      if (cliMiss) {
        const dir = mkTmp('logs-prof-cli')
        const c = await cliRun(platform, app, n, ['--cpu-prof', '--cpu-prof-dir', dir])
        await stopWorker(platform, app)
        const file = newestProfile(dir)
        if (file) parts.push(profileMarkdown(`\`ferry logs --tail\` (the consumer) while receiving ${c.distinct} lines`, summarizeProfile(file, 12)))
      }

      const dir = mkTmp('logs-prof-daemon')
      await platform.stop()
      await platform.boot({nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir]})
      const c = await cliRun(platform, app, n)
      await stopWorker(platform, app)
      await platform.stop()
      const file = newestProfile(dir)
      if (file) parts.push(profileMarkdown(`the daemon (incl. its start-up) while one dyno printed ${n} lines to a \`ferry logs --tail\` (${c.distinct} received)`, summarizeProfile(file, 12)))
      evidence = `Why:\n\n${parts.join('\n\n')}`
    }

    return {evidence, metrics, notes: [...notes, `Daemon isolation: ${platform.info.isolation}. N = ${n} lines per run, ${runs} run(s) per consumer.`]}
  },
  target: '≥ 50k lines/s received, 0 lost',
  title: 'Logs: throughput of one dyno through `ferry logs`',
  tools: [],
}
