// bin/fast-path.js answers `ferry --version` and the root help without oclif: the output must be oclif's, byte for byte.
import {execFileSync} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {BIN, ROOT} from '../helpers/index.js'

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-fast-path-'))
afterAll(() => fs.rmSync(home, {force: true, recursive: true}))

const baseEnv = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {...process.env, FERRY_HOME: home, HOME: home}
  for (const k of Object.keys(env)) if (k.startsWith('OCLIF_') || ['CI', 'COLORTERM', 'DEBUG', 'FERRY_DEBUG', 'FERRY_NO_FAST_PATH', 'FORCE_COLOR'].includes(k)) delete env[k]
  return env
}

// stdout is a pipe here (not a TTY): oclif renders 80 columns without colours.
const ferry = (args: string[], extra: NodeJS.ProcessEnv = {}) => execFileSync(process.execPath, [BIN, ...args], {encoding: 'utf8', env: {...baseEnv(), ...extra}})

/** Whether fastPath answers these arguments (a string) or leaves them to oclif (undefined). */
const answers = (args: string[], extra: NodeJS.ProcessEnv = {}) => {
  const module = JSON.stringify(path.join(ROOT, 'bin', 'fast-path.js'))
  const script = `import {fastPath} from ${module}; process.stdout.write(String(fastPath(${JSON.stringify(args)}) !== undefined))`
  return execFileSync(process.execPath, ['--input-type=module', '-e', script], {encoding: 'utf8', env: {...baseEnv(), ...extra}}) === 'true'
}

describe('start-up fast path (bin/fast-path.js)', () => {
  it('prints exactly what oclif prints for --version', () => {
    const oclif = ferry(['--version'], {FERRY_NO_FAST_PATH: '1'})
    expect(oclif).toMatch(/^ferry\/\d+\.\d+\.\d+\S* \S+-\S+ node-v\d+/)
    expect(ferry(['--version'])).toBe(oclif)
    expect(ferry(['--version', 'extra'])).toBe(oclif)
    expect(answers(['--version'])).toBe(true)
  })

  it('prints exactly what oclif prints for --help and for no arguments (build cache dist/root-help.json is current)', () => {
    for (const args of [['--help'], []]) {
      const oclif = ferry(args, {FERRY_NO_FAST_PATH: '1'})
      expect(oclif).toContain('USAGE')
      expect(ferry(args)).toBe(oclif)
      expect(answers(args), `fast path not used for ${JSON.stringify(args)}: run \`npm run build\``).toBe(true)
    }
  })

  it('leaves everything else to oclif', () => {
    expect(answers(['ps', '--help'])).toBe(false)
    expect(answers(['help'])).toBe(false)
    expect(answers(['-v'])).toBe(false)
    expect(answers(['--help'], {FORCE_COLOR: '1'})).toBe(false)
    expect(answers(['--help'], {OCLIF_COLUMNS: '120'})).toBe(false)
    expect(answers(['--version'], {DEBUG: '*'})).toBe(false)
  })
})
