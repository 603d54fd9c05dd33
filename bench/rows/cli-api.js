// `ferry ps -a APP` and `ferry config -a APP` against a running local platform (daemon started once) vs `node -e 0`.
import fs from 'node:fs'
import path from 'node:path'

import {metric} from '../lib/report.js'
import {newestProfile, profileMarkdown, summarizeProfile} from '../lib/profile.js'
import {BIN, Platform, platformMissing} from '../lib/platform.js'
import {hyperfine} from '../lib/tools.js'
import {mkTmp, run} from '../lib/util.js'

export default {
  id: 'cli-api',
  method: [
    'One daemon (node dist/platform/main.js, temp FERRY_HOME) started before the run; app `bench-cli` with 20 config vars. hyperfine -N with warm-up over',
    '`node -e 0`, `node bin/run.js ps -a bench-cli` and `node bin/run.js config -a bench-cli` in one invocation.',
  ].join(' '),
  async run(ctx) {
    const missing = platformMissing()
    if (missing) throw new ctx.NotRunnable(missing)
    const platform = await Platform.start({label: 'cli-api'})
    ctx.defer(async () => {
      await platform.stop()
      if (!ctx.keepTmp) platform.remove()
    })
    const app = 'bench-cli'
    await platform.createApp(app)
    await platform.setConfig(app, Object.fromEntries(Array.from({length: 20}, (_, i) => [`VAR_${i}`, `value-${i}`])))
    for (const args of [['ps', '-a', app], ['config', '-a', app]]) {
      const r = await platform.cli(args)
      if (r.code !== 0) throw new Error(`ferry ${args.join(' ')} exited ${r.code}: ${r.stderr.trim().split('\n').at(-1)}`)
    }

    const node = process.execPath
    const t = await hyperfine(
      [
        {cmd: [node, '-e', '0'], name: 'node -e 0'},
        {cmd: [node, BIN, 'ps', '-a', app], name: 'ferry ps'},
        {cmd: [node, BIN, 'config', '-a', app], name: 'ferry config'},
      ],
      {cwd: platform.home, env: platform.env(), exportPath: path.join(platform.home, 'hyperfine.json'), runs: ctx.quick ? 5 : 30, warmup: ctx.quick ? 1 : 3},
    )
    const nodeT = {...t['node -e 0'], label: 'node -e 0', unit: 'ms'}
    const metrics = ['ps', 'config'].map(cmd => {
      const f = t[`ferry ${cmd}`]
      const ratio = f.median / nodeT.median
      return metric({baseline: nodeT, label: `ferry ${cmd} -a APP`, pass: ratio <= 3.5, ratio, target: '≤ 3.5× node', unit: 'ms', value: f})
    })
    let evidence
    if (metrics.some(m => m.pass === false)) {
      const parts = []
      for (const cmd of ['ps', 'config']) {
        const dir = mkTmp(`prof-${cmd}`)
        await run(node, ['--cpu-prof', '--cpu-prof-interval', '100', '--cpu-prof-dir', dir, BIN, cmd, '-a', app], {cwd: platform.home, env: platform.env()})
        const file = newestProfile(dir)
        if (file) parts.push(profileMarkdown(`ferry ${cmd} -a APP`, summarizeProfile(file, 10)))
        fs.rmSync(dir, {force: true, recursive: true})
      }

      evidence = `Why (one profiled run each, sampling 0.1 ms):\n\n${parts.join('\n\n')}`
    }

    return {evidence, metrics, notes: [`Daemon isolation: ${platform.info.isolation}.`]}
  },
  target: '≤ 3.5× node',
  title: 'CLI against the platform: ferry ps / ferry config',
  tools: ['hyperfine'],
}
