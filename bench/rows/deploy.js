// push → new release answering through the router, for the examples (Procfile-only, node-hello, python-flask,
// go-hello, ruby-hello and java-maven with a warm build cache, static). Absolute times, medians of 5 redeploys after
// one untimed first deploy.
import path from 'node:path'

import {metric} from '../lib/report.js'
import {commitChange, gitPush, gitWorkTree, Platform, platformMissing, timelineBlock} from '../lib/platform.js'
import {log, ROOT, sleep, stats} from '../lib/util.js'

const EXAMPLES = [
  {app: 'bench-procfile', dir: 'procfile-worker', limitMs: 1000, target: '< 1 s'},
  {app: 'bench-node-hello', dir: 'node-hello', limitMs: 3000, target: '< 3 s (warm cache)'},
  {app: 'bench-static', dir: 'static-site', limitMs: 1000, static: true, target: '< 1 s'},
  // Built-in language buildpacks (issue 17): the timed pushes are warm (wheels / Go module and build caches kept).
  {app: 'bench-python-flask', dir: 'python-flask', limitMs: 5000, target: '< 5 s (warm cache)'},
  {app: 'bench-go-hello', dir: 'go-hello', limitMs: 5000, target: '< 5 s (warm cache)'},
  {app: 'bench-ruby-hello', dir: 'ruby-hello', limitMs: 5000, target: '< 5 s (warm cache)'},
  {app: 'bench-java-maven', dir: 'java-maven', limitMs: 15_000, target: '< 15 s (warm cache)'},
  // What users run: the remote and credential helper of `ferry git:remote` (as `ferry create` sets them up); git
  // runs `ferry git:credentials get` and `store` during the push. The target is on the push itself.
  {app: 'bench-remote', dir: 'procfile-worker', limitMs: 400, remote: 'ferry', target: '< 400 ms (git push returned)'},
]

async function latestVersion(platform, app) {
  const r = await platform.api('GET', `/apps/${app}/releases`, undefined, {Range: 'version ..; order=desc, max=1'})
  return Array.isArray(r.body) && r.body[0] ? r.body[0].version : 0
}

/** Waits until a web dyno of release >= version is up and the router answers 200 (with the marker, for static). */
async function waitNewRelease(platform, app, {marker, t0, version}) {
  while (performance.now() - t0 < 120_000) {
    if (marker === undefined) {
      const dynos = await platform.api('GET', `/apps/${app}/dynos`)
      const fresh = Array.isArray(dynos.body) && dynos.body.some(d => d.type === 'web' && d.state === 'up' && (d.release?.version ?? 0) >= version)
      if (fresh) {
        const r = await platform.viaRouter(app, '/', {accept: 'text/plain'})
        if (r.status === 200) return performance.now() - t0
      }
    } else {
      const r = await platform.viaRouter(app, '/')
      if (r.status === 200 && r.body.includes(marker)) return performance.now() - t0
    }

    await sleep(10)
  }

  throw new Error(`${app}: release v${version} never answered through the router within 120 s`)
}

export default {
  id: 'deploy',
  method: [
    'One daemon; per example a work tree copied from examples/ (git init, one commit).',
    'A first `git push` (cold, untimed for the target) deploys v1; then each timed run commits a one-file change and measures from the start of `git push',
    '<platform>/<app>.git HEAD:main` until the new release answers through the router: for static-site the page carries a per-push marker; for the others,',
    'a web dyno of the new release is `up` in GET /apps/APP/dynos and the router answers 200 right after.',
    'Row `git push ferry main (credential helper)`: procfile-worker again, but pushed the way users do: `ferry git:remote` sets the remote and the repository\'s',
    'credential helper (as `ferry create` does), and `git push ferry main` runs `ferry git:credentials get` and `store` (token not in the URL); its target is the push itself.',
  ].join(' '),
  async run(ctx) {
    const missing = platformMissing()
    if (missing) throw new ctx.NotRunnable(missing)
    const platform = await Platform.start({label: 'deploy'})
    ctx.defer(async () => {
      await platform.stop()
      if (!ctx.keepTmp) platform.remove()
    })
    const runs = ctx.quick ? 2 : 5
    const metrics = []
    const notes = []
    const evidence = []
    const pushMedians = {}
    for (const ex of EXAMPLES) {
      await platform.createApp(ex.app)
      const dir = await gitWorkTree(path.join(ROOT, 'examples', ex.dir), platform.env(), `deploy-${ex.dir}`)
      if (ex.remote) {
        const remote = await platform.cli(['git:remote', '-a', ex.app, '-r', ex.remote], {cwd: dir})
        if (remote.code !== 0) throw new Error(`ferry git:remote failed: ${remote.stderr || remote.stdout}`)
      }

      const label = ex.remote ? `git push ${ex.remote} main (credential helper): ${ex.dir}` : `push → answering: ${ex.dir}`
      let version = (await latestVersion(platform, ex.app)) + 1
      const t0 = performance.now()
      const first = await gitPush(platform, ex.app, dir, {remote: ex.remote})
      if (first.code !== 0) {
        const why = first.output.split('\n').filter(l => /!|error|fatal/i.test(l)).slice(-3).join(' / ') || first.output.slice(-300)
        if (/404|not found|receive-pack/i.test(first.output) && !/remote:/.test(first.output)) throw new ctx.NotRunnable(`git push is not served yet (${why})`)
        metrics.push(metric({label, target: ex.target, unit: 'ms', value: `first push failed: ${why}`}))
        notes.push(`${ex.dir}: first push failed (exit ${first.code}): ${why}`)
        continue
      }

      version = Math.max(version, await latestVersion(platform, ex.app))
      let firstMs
      try {
        firstMs = await waitNewRelease(platform, ex.app, {marker: ex.static ? '<' : undefined, t0, version})
      } catch (error) {
        metrics.push(metric({label, target: ex.target, unit: 'ms', value: `first deploy never answered: ${error.message}`}))
        continue
      }

      log(`${ex.dir}: first deploy answered after ${Math.round(firstMs)} ms (push ${Math.round(first.ms)} ms)`)
      const totals = []
      const pushes = []
      const failures = []
      let last
      for (let i = 1; i <= runs; i++) {
        const marker = `bench-marker-${Date.now()}-${i}`
        const files = ex.static ? {'index.html': (await import('node:fs')).readFileSync(path.join(ROOT, 'examples', ex.dir, 'index.html'), 'utf8').replace('</body>', `<!-- ${marker} -->\n</body>`)} : {'BENCH_MARKER.txt': `${marker}\n`}
        if (ex.static && !files['index.html'].includes(marker)) files['index.html'] += `\n<!-- ${marker} -->\n`
        await commitChange(dir, platform.env(), files)
        const before = await latestVersion(platform, ex.app)
        const start = performance.now()
        const push = await gitPush(platform, ex.app, dir, {remote: ex.remote})
        if (push.code !== 0) {
          failures.push(`run ${i}: push exit ${push.code}: ${push.output.split('\n').slice(-2).join(' / ')}`)
          continue
        }

        const ms = await waitNewRelease(platform, ex.app, {marker: ex.static ? marker : undefined, t0: start, version: before + 1})
        totals.push(ms)
        last = {ms, timeline: push.timeline}
        pushes.push(push.ms)
        log(`${ex.dir} run ${i}: answering after ${Math.round(ms)} ms (git push returned after ${Math.round(push.ms)} ms)`)
        await sleep(500)
      }

      const s = stats(totals)
      const p = stats(pushes)
      pushMedians[ex.remote ? `${ex.dir} via ${ex.remote}` : ex.dir] = p.median
      const timed = ex.remote ? p : s
      metrics.push(
        ex.remote
          ? metric({label, pass: p.median !== null && p.median < ex.limitMs && failures.length === 0, target: ex.target, unit: 'ms', value: p})
          : metric({label, pass: s.median !== null && s.median < ex.limitMs && failures.length === 0, target: ex.target, unit: 'ms', value: s}),
        ex.remote ? metric({label: `  push → answering: ${ex.dir} via ${ex.remote}`, unit: 'ms', value: s}) : metric({label: `  of which git push returned: ${ex.dir}`, unit: 'ms', value: p}),
        metric({label: `  first deploy (cold cache): ${ex.dir}${ex.remote ? ` via ${ex.remote}` : ''}`, unit: 'ms', value: stats([firstMs])}),
      )
      for (const f of failures) notes.push(`${ex.dir}: ${f}`)
      if (last && !(timed.median < ex.limitMs)) {
        evidence.push(`**${ex.dir}** misses ${ex.target}: where the time of the last timed push went (git push output, each line stamped when it arrived; the last line is when the router answered from the new release):\n\n${timelineBlock([...last.timeline, {line: '(bench) git push exited; new release answering through the router', ms: Math.round(last.ms)}])}`)
      }
    }

    const viaHelper = pushMedians['procfile-worker via ferry']
    const viaUrl = pushMedians['procfile-worker']
    if (viaHelper !== undefined && viaUrl !== undefined) {
      const detail = `${Math.round(viaHelper)} ms through \`git push ferry main\` vs ${Math.round(viaUrl)} ms with the token in the URL`
      notes.push(`What the credential helper adds to a push (procfile-worker, medians of this run): ${Math.round(viaHelper - viaUrl)} ms (${detail}).`)
    }

    notes.push(`Daemon isolation: ${platform.info.isolation}.`)
    return {evidence: evidence.join('\n\n') || undefined, metrics, notes}
  },
  target: 'Procfile-only < 1 s; node-hello (warm cache) < 3 s; python-flask, go-hello and ruby-hello (warm cache) < 5 s; java-maven (warm cache) < 15 s; static < 1 s; git push ferry main (credential helper, Procfile-only) < 400 ms',
  title: 'Deploy: git push → new release answering through the router',
  tools: [],
}
