#!/usr/bin/env node
// Build step (npm run build, after `oclif manifest`): renders the root help with oclif itself — stdout piped (80
// columns), no colours — and stores it in dist/root-help.json for bin/fast-path.js, with the version line replaced
// by a placeholder (it names the Node version and platform of the machine that runs ferry).
import {execFileSync} from 'node:child_process'
import fs from 'node:fs'
import {fileURLToPath} from 'node:url'

import {helpFingerprint} from './fast-path.js'

const root = new URL('../', import.meta.url)
const run = fileURLToPath(new URL('bin/run.js', root))
const env = {...process.env, FERRY_NO_FAST_PATH: '1', NO_COLOR: '1'}
for (const k of Object.keys(env)) {
  if (k.startsWith('OCLIF_') || k.startsWith('TEAMCI') || ['CI', 'COLORTERM', 'DEBUG', 'FERRY_DEBUG', 'FORCE_COLOR', 'NEXT_RUNTIME', 'PM2_HOME', 'TF_BUILD'].includes(k)) delete env[k]
}

const ferry = args => execFileSync(process.execPath, [run, ...args], {encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'inherit']})
const ua = ferry(['--version']).trim()
const placeholder = '\u0000USER_AGENT\u0000'
const render = args => {
  const text = ferry(args)

  if (/\u001B\[/.test(text) || !text.includes(ua)) throw new Error(`unexpected root help from oclif for ${JSON.stringify(args)}`)
  return text.replaceAll(ua, placeholder)
}

const pjson = JSON.parse(fs.readFileSync(new URL('package.json', root), 'utf8'))
const cache = {fingerprint: helpFingerprint(root, pjson), helpFlag: render(['--help']), noArgs: render([]), userAgentPlaceholder: placeholder}
fs.mkdirSync(new URL('dist/', root), {recursive: true})
const target = new URL('dist/root-help.json', root)
const tmp = new URL(`dist/root-help.json.${process.pid}.tmp`, root)
fs.writeFileSync(tmp, JSON.stringify(cache) + '\n')
fs.renameSync(tmp, target)
