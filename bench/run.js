#!/usr/bin/env node
// ferry benchmarks (issue 7): `npm run bench` runs every row; `npm run bench -- router logs` runs some rows;
// `--quick` takes fewer/shorter runs (CI) and writes to bench/results/tmp/quick/ instead of the committed results;
// `--list` lists the rows. Each row lives in bench/rows/<id>.js and measures ferry next to its baseline in the same run.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {LATEST, machineFacts, readLatest, RESULTS_MD, ROW_ORDER, writeResults} from './lib/report.js'
import {ensureTools} from './lib/tools.js'
import {BENCH_DIR, log, ROOT, run, TMP} from './lib/util.js'

export class NotRunnable extends Error {}

const argv = process.argv.slice(2)
const quick = argv.includes('--quick')
const keepTmp = argv.includes('--keep-tmp')
const build = argv.includes('--build')
const extraNotes = argv.filter(a => a.startsWith('--note=')).map(a => a.slice(7))
const wanted = argv.filter(a => !a.startsWith('--'))

const rows = []
for (const id of ROW_ORDER) {
  const mod = await import(`./rows/${id}.js`)
  rows.push(mod.default)
}

const titles = Object.fromEntries(rows.map(r => [r.id, r.title]))
if (argv.includes('--list') || argv.includes('--help')) {
  console.log('usage: npm run bench -- [--quick] [--build] [--keep-tmp] [--note=TEXT] [ROW...]\n  --build runs `npm run build` first (the CLI and daemon are measured from dist/)\n')
  for (const r of rows) console.log(`  ${r.id.padEnd(20)} ${r.title} — target: ${r.target}`)
  process.exit(0)
}

const unknown = wanted.filter(w => !rows.some(r => r.id === w))
if (unknown.length > 0) {
  console.error(`Unknown row(s): ${unknown.join(', ')}. Rows: ${rows.map(r => r.id).join(', ')}`)
  process.exit(1)
}

const selected = wanted.length > 0 ? rows.filter(r => wanted.includes(r.id)) : rows
const outDir = quick ? path.join(BENCH_DIR, 'results', 'tmp', 'quick') : path.join(BENCH_DIR, 'results')
const latestPath = quick ? path.join(outDir, 'latest.json') : LATEST
const mdPath = quick ? path.join(outDir, 'RESULTS.md') : RESULTS_MD

let buildStatus = 'not run by this invocation'
try {
  buildStatus += ` (dist/platform/main.js built ${fs.statSync(path.join(ROOT, 'dist', 'platform', 'main.js')).mtime.toISOString().replace(/\.\d+Z$/, 'Z')})`
} catch {}

if (build) {
  log('npm run build')
  const r = await run('npm', ['run', 'build'], {cwd: ROOT, timeout: 600_000})
  buildStatus = r.code === 0 ? 'npm run build ok just before the run' : `npm run build FAILED (exit ${r.code}); dist/ as it then was`
  if (r.code !== 0) log(`npm run build exited ${r.code} (measuring whatever dist/ holds): ${(r.stdout + r.stderr).trim().split('\n').slice(-3).join(' / ')}`)
}

// Tools first (apt-get when missing), then the machine facts.
const tools = [...new Set(selected.flatMap(r => r.tools ?? []))]
const stillMissing = await ensureTools(tools)
const machine = await machineFacts()
machine.build = buildStatus
const commit = machine.commit
log(`${quick ? 'quick' : 'full'} run of ${selected.map(r => r.id).join(', ')} on ${machine.cpus} CPUs, load ${machine.loadAvgAtStart.join('/')}, commit ${commit}`)

const cleanups = new Set()
const onSignal = async signal => {
  log(`${signal}: cleaning up`)
  for (const fn of cleanups) await fn().catch(() => {})
  process.exit(130)
}

process.on('SIGINT', () => void onSignal('SIGINT'))
process.on('SIGTERM', () => void onSignal('SIGTERM'))

let latest
try {
  latest = JSON.parse(fs.readFileSync(latestPath, 'utf8'))
} catch {
  latest = quick ? {rows: {}} : readLatest()
}

latest.rows ??= {}
let harnessErrors = 0
for (const row of selected) {
  const t0 = Date.now()
  log(`── ${row.id}: ${row.title}`)
  const base = {commit, id: row.id, loadAvgAtStart: os.loadavg().map(x => Math.round(x * 100) / 100), measuredAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), method: row.method, mode: quick ? 'quick' : 'full', target: row.target, title: row.title}
  const missingTools = (row.tools ?? []).filter(t => stillMissing.includes(t))
  let result
  if (missingTools.length > 0) {
    result = {...base, reason: `${missingTools.join(', ')} not installed (apt-get failed)`, status: 'not-runnable'}
  } else {
    const ctx = {
      NotRunnable,
      defer(fn) {
        cleanups.add(fn)
        return () => cleanups.delete(fn)
      },
      keepTmp,
      quick,
    }
    try {
      const r = await row.run(ctx)
      result = {...base, ...r, notes: [...(r.notes ?? []), ...extraNotes], status: 'measured'}
    } catch (error) {
      if (error instanceof NotRunnable) {
        result = {...base, reason: error.message, status: 'not-runnable'}
      } else {
        harnessErrors++
        log(`${row.id} failed: ${error.stack ?? error}`)
        result = {...base, reason: String(error.message ?? error).split('\n')[0].slice(0, 400), status: 'error'}
      }
    } finally {
      for (const fn of cleanups) await fn().catch(error => log(`cleanup failed: ${error.message}`))
      cleanups.clear()
    }
  }

  result.seconds = Math.round((Date.now() - t0) / 1000)
  latest.rows[row.id] = result
  latest.generatedAt = new Date().toISOString().replace(/\.\d+Z$/, 'Z')
  latest.mode = quick ? 'quick' : 'full'
  latest.lastRunRows = selected.map(r => r.id)
  latest.machine = machine
  fs.mkdirSync(outDir, {recursive: true})
  if (quick) {
    fs.writeFileSync(latestPath, `${JSON.stringify(latest, null, 2)}\n`)
    const {renderMarkdown} = await import('./lib/report.js')
    fs.writeFileSync(mdPath, `${renderMarkdown(latest, titles).trimEnd()}\n`)
  } else {
    writeResults(latest, titles)
  }

  const summary = result.status === 'measured' ? (result.metrics ?? []).filter(m => m.target).map(m => `${m.label}: ${m.pass === true ? 'pass' : m.pass === false ? 'MISS' : '?'}`).join('; ') : `${result.status}: ${result.reason}`
  log(`${row.id} done in ${result.seconds} s — ${summary}`)
}

if (!keepTmp) fs.rmSync(TMP, {force: true, recursive: true})
log(`wrote ${path.relative(ROOT, latestPath)} and ${path.relative(ROOT, mdPath)}`)
await run('true')
process.exit(harnessErrors > 0 ? 1 : 0)
