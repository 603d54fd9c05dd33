// 200 concurrent `config:set` through the API (PATCH /apps/APP/config-vars): every request succeeds or fails clearly,
// and releases are numbered 1…N with no gap or duplicate.
import {metric} from '../lib/report.js'
import {Platform, platformMissing, gitPush, gitWorkTree} from '../lib/platform.js'
import {FIXTURES, log, median, stats, waitFor} from '../lib/util.js'
import path from 'node:path'

async function allReleases(platform, app) {
  const out = []
  let range = 'version ..; max=1000'
  for (let page = 0; page < 50 && range; page++) {
    const r = await platform.api('GET', `/apps/${app}/releases`, undefined, {Range: range})
    if (r.status !== 200 && r.status !== 206) throw new Error(`GET releases → ${r.status} ${r.text.slice(0, 200)}`)
    out.push(...r.body)
    range = r.status === 206 ? r.headers.get('next-range') : null
  }

  return out
}

export default {
  id: 'config-concurrency',
  method: [
    'One daemon; per run a fresh app without a slug (so no dyno restarts are involved). 200 PATCH /apps/APP/config-vars requests,',
    'each setting its own key, are sent at once (fetch/undici, one connection each) and awaited together.',
    'Then every release is listed (Range pagination) and checked: versions 1…N with no gap or duplicate, N = releases before + successful PATCHes,',
    'and the final config holds every key whose PATCH succeeded.',
    'A failure counts as clear when it is an HTTP error with a JSON {id, message} body.',
    'Full mode adds one run on an app with bench/fixtures/tiny-web deployed and 1 web dyno up (each release restarts it), checking the numbering and that the dyno ends on the last release.',
  ].join(' '),
  async run(ctx) {
    const missing = platformMissing()
    if (missing) throw new ctx.NotRunnable(missing)
    const platform = await Platform.start({label: 'config'})
    ctx.defer(async () => {
      await platform.stop()
      if (!ctx.keepTmp) platform.remove()
    })
    const n = 200
    const runs = ctx.quick ? 1 : 3
    const walls = []
    const perReq = []
    const checks = []
    const notes = []
    const variants = Array.from({length: runs}, (_, i) => ({app: `bench-config-${i + 1}`, withDyno: false}))
    if (!ctx.quick) variants.push({app: 'bench-config-dyno', withDyno: true})
    let run = 0
    const dynoChecks = []
    for (const variant of variants) {
      run++
      const {app} = variant
      await platform.createApp(app)
      if (variant.withDyno) {
        const src = await gitWorkTree(path.join(FIXTURES, 'tiny-web'), platform.env(), 'config-src')
        const push = await gitPush(platform, app, src)
        if (push.code !== 0) {
          notes.push(`with a running dyno: git push failed, variant skipped: ${push.output.split('\n').at(-1)}`)
          continue
        }

        await platform.scale(app, 'web', 1)
        await waitFor(async () => (await platform.viaRouter(app, '/')).status === 200, {timeoutMs: 30_000, what: 'the web dyno'})
      }

      const before = (await allReleases(platform, app)).length
      const t0 = performance.now()
      const results = await Promise.all(Array.from({length: n}, async (_, i) => {
          const s = performance.now()
          try {
            const r = await platform.api('PATCH', `/apps/${app}/config-vars`, {[`KEY_${i}`]: `value-${i}`})
            return {i, ms: performance.now() - s, r}
          } catch (error) {
            return {error: String(error.message ?? error), i, ms: performance.now() - s}
          }
        }))
      const wall = performance.now() - t0
      if (!variant.withDyno) walls.push(wall)
      const ok = results.filter(x => x.r && x.r.status === 200)
      const clear = results.filter(x => x.r && x.r.status >= 400 && x.r.body && typeof x.r.body.id === 'string' && typeof x.r.body.message === 'string')
      const unclear = results.filter(x => !ok.includes(x) && !clear.includes(x))
      if (!variant.withDyno) perReq.push(median(results.map(x => x.ms)))
      const releases = await allReleases(platform, app)
      const versions = releases.map(r => r.version).sort((a, b) => a - b)
      const dup = versions.filter((v, i) => i > 0 && versions[i - 1] === v).length
      const gaps = versions.filter((v, i) => v !== i + 1).length
      const config = await platform.ok('GET', `/apps/${app}/config-vars`)
      const missingKeys = ok.filter(x => config[`KEY_${x.i}`] !== `value-${x.i}`).length
      const countOk = versions.length === before + ok.length
      const pass = unclear.length === 0 && dup === 0 && gaps === 0 && countOk && missingKeys === 0
      if (variant.withDyno) {
        // The dyno must end up on the newest release and answer.
        const last = versions.at(-1)
        const onLatest = await waitFor(
          async () => {
            const d = await platform.dynos(app)
            return d.some(x => x.type === 'web' && x.state === 'up' && x.release?.version === last) && (await platform.viaRouter(app, '/')).status === 200
          },
          {timeoutMs: 60_000, what: 'the web dyno on the last release'},
        ).catch(() => false)
        dynoChecks.push({onLatest, pass, wall})
      } else checks.push(pass)
      const statusCounts = {}
      for (const x of results) statusCounts[x.r ? x.r.status : `error: ${x.error}`] = (statusCounts[x.r ? x.r.status : `error: ${x.error}`] ?? 0) + 1
      const line = `${variant.withDyno ? 'with a running web dyno' : `run ${run}`}: ${ok.length} succeeded, ${clear.length} failed clearly, ${unclear.length} unclear (statuses ${JSON.stringify(statusCounts)}); releases v${versions[0]}…v${versions.at(-1)} (${versions.length}, ${before} before), ${gaps} gaps, ${dup} duplicates, ${missingKeys} keys missing from the final config; wall ${Math.round(wall)} ms, per-request median ${Math.round(perReq.at(-1))} ms max ${Math.round(Math.max(...results.map(x => x.ms)))} ms`
      log(line)
      notes.push(line)
      if (clear.length > 0) notes.push(`run ${run}: example failure: ${clear[0].r.status} ${JSON.stringify(clear[0].r.body).slice(0, 200)}`)
      if (unclear.length > 0) notes.push(`run ${run}: example unclear failure: ${unclear[0].error ?? `${unclear[0].r.status} ${unclear[0].r.text.slice(0, 200)}`}`)
    }

    return {
      metrics: [
        metric({label: `${n} concurrent PATCH config-vars: all succeed or fail clearly; releases 1…N, no gap/duplicate`, pass: checks.every(Boolean), target: 'all succeed or fail clearly; no gap or duplicate', unit: '', value: `${checks.filter(Boolean).length}/${checks.length} runs correct`}),
        metric({label: `  wall time for ${n} concurrent PATCHes`, unit: 'ms', value: stats(walls)}),
        metric({label: '  per-request latency (median of each run)', unit: 'ms', value: stats(perReq)}),
        ...dynoChecks.map(d =>
          metric({
            label: '  same on an app with 1 running web dyno (every release restarts it): correct numbering / dyno ends on the last release',
            unit: 'ms',
            value: `${d.pass ? 'yes' : 'NO'} / ${d.onLatest ? 'yes' : 'NO'}; wall ${Math.round(d.wall)} ms`,
          })),
      ],
      notes,
    }
  },
  target: 'all succeed or fail clearly; releases numbered 1…N with no gap or duplicate; time reported',
  title: '200 concurrent config:set (API)',
  tools: [],
}
