// Start-up: `ferry --version` / `ferry --help` (node bin/run.js) vs `node -e 0`, a minimal oclif CLI
// (bench/fixtures/minimal-oclif) and the official `heroku --version`, all in one hyperfine run.
import fs from 'node:fs'
import path from 'node:path'

import {metric} from '../lib/report.js'
import {newestProfile, profileMarkdown, summarizeProfile} from '../lib/profile.js'
import {BIN, ferryEnv} from '../lib/platform.js'
import {hyperfine} from '../lib/tools.js'
import {FIXTURES, log, mkTmp, ROOT, run} from '../lib/util.js'

const MINI = path.join(FIXTURES, 'minimal-oclif', 'bin', 'run.js')
const HEROKU = path.join(ROOT, 'node_modules', '.cache', 'heroku-cli', 'node_modules', '.bin', 'heroku')

async function herokuCli() {
  if (!fs.existsSync(HEROKU)) {
    log('installing the official heroku CLI (scripts/install-heroku-cli.sh)')
    const r = await run('bash', [path.join(ROOT, 'scripts', 'install-heroku-cli.sh')], {cwd: ROOT, timeout: 300_000})
    if (r.code !== 0) return {reason: `install failed: ${(r.stderr || r.stdout).trim().split('\n').at(-1)}`}
  }

  if (!fs.existsSync(HEROKU)) return {reason: 'heroku CLI not installed'}
  return {path: HEROKU}
}

export default {
  id: 'startup',
  method: [
    'hyperfine -N with warm-up; all commands in one hyperfine invocation (interleaved per command,',
    'same machine state). ferry runs `node bin/run.js` (dist + oclif.manifest.json) with a temp FERRY_HOME/HOME.',
    'The official CLI is `heroku` from scripts/install-heroku-cli.sh (node_modules/.cache/heroku-cli), with its own temp HOME.',
  ].join(' '),
  async run(ctx) {
    if (!fs.existsSync(path.join(ROOT, 'dist', 'commands')) || !fs.existsSync(path.join(ROOT, 'oclif.manifest.json')))
      throw new ctx.NotRunnable('dist/ or oclif.manifest.json missing (npm run build)')
    const tmp = mkTmp('startup')
    ctx.defer(async () => fs.rmSync(tmp, {force: true, recursive: true}))
    const env = ferryEnv(tmp)
    const runs = ctx.quick ? 5 : 30
    const warmup = ctx.quick ? 1 : 3
    const node = process.execPath
    const cmds = [
      {cmd: [node, '-e', '0'], name: 'node -e 0'},
      {cmd: [node, BIN, '--version'], name: 'ferry --version'},
      {cmd: [node, MINI, '--version'], name: 'minimal oclif --version'},
      {cmd: [node, BIN, '--help'], name: 'ferry --help'},
      {cmd: [node, MINI, '--help'], name: 'minimal oclif --help'},
    ]
    const t = await hyperfine(cmds, {cwd: tmp, env, exportPath: path.join(tmp, 'hyperfine.json'), runs, warmup})
    const notes = []
    const heroku = await herokuCli()
    let h
    if (heroku.path) {
      const hr = await hyperfine([{cmd: [heroku.path, '--version'], name: 'heroku --version'}, {cmd: [node, BIN, '--version'], name: 'ferry --version'}], {
        cwd: tmp,
        env: {...env, HEROKU_SKIP_ANALYTICS: '1', HEROKU_UPDATE_INSTRUCTIONS: 'none'},
        exportPath: path.join(tmp, 'hyperfine-heroku.json'),
        runs: ctx.quick ? 3 : 10,
        warmup: 1,
      })
      h = {ferry: hr['ferry --version'], heroku: hr['heroku --version']}
      const version = (await run(heroku.path, ['--version'], {cwd: tmp, env})).stdout.trim()
      notes.push(`Official CLI: ${version} (a separate hyperfine run of heroku --version and ferry --version side by side: it is much slower, so fewer runs).`)
    } else {
      notes.push(`The official heroku CLI is unavailable (${heroku.reason}): that comparison is skipped.`)
    }

    const b = (label, v) => ({...v, label, unit: 'ms'})
    const nodeT = t['node -e 0']
    const metrics = []
    for (const which of ['--version', '--help']) {
      const f = t[`ferry ${which}`]
      const mini = t[`minimal oclif ${which}`]
      const rn = f.median / nodeT.median
      const rm = f.median / mini.median
      metrics.push(
        metric({baseline: b('node -e 0', nodeT), label: `ferry ${which} vs node`, pass: rn <= 2.8, ratio: rn, target: '≤ 2.8× node', unit: 'ms', value: f}),
        metric({baseline: b(`minimal oclif ${which}`, mini), label: `ferry ${which} vs minimal oclif`, pass: rm <= 1.15, ratio: rm, target: '≤ 1.15× minimal oclif', unit: 'ms', value: f}),
      )
    }

    if (h) {
      const speedup = h.heroku.median / h.ferry.median
      metrics.push(metric({
          baseline: b('heroku --version', h.heroku),
          label: 'ferry --version vs official heroku --version',
          pass: speedup >= 5,
          ratio: speedup,
          ratioLabel: 'faster',
          target: '≥ 5× faster than heroku',
          unit: 'ms',
          value: h.ferry,
        }))
    } else {
      metrics.push(metric({label: 'ferry --version vs official heroku --version', target: '≥ 5× faster than heroku', unit: 'ms', value: `not runnable: ${heroku.reason}`}))
    }

    // Evidence for misses: where the time of `ferry --version` goes.
    let evidence
    if (metrics.some(m => m.pass === false)) {
      const dir = path.join(tmp, 'prof')
      fs.mkdirSync(dir)
      const profiles = []
      for (const [name, args] of [
        ['ferry --version', [BIN, '--version']],
        ['ferry --help', [BIN, '--help']],
        ['minimal oclif --version', [MINI, '--version']],
      ]) {
        const d = path.join(dir, name.replaceAll(/\W+/g, '_'))
        fs.mkdirSync(d)
        await run(node, ['--cpu-prof', '--cpu-prof-interval', '100', '--cpu-prof-dir', d, ...args], {cwd: tmp, env})
        const file = newestProfile(d)
        if (file) profiles.push(profileMarkdown(name, summarizeProfile(file, 10)))
      }

      evidence = `Why (profiles of one run each; sampling 0.1 ms):\n\n${profiles.join('\n\n')}`
    }

    return {evidence, metrics, notes}
  },
  target: '≤ 2.8× node; ≤ 1.15× minimal oclif; ≥ 5× faster than heroku',
  title: 'Start-up: ferry --version / --help',
  tools: ['hyperfine'],
}
