// Build output is bounded in memory and on disk (issue 13 item 5: a build printing 512 MiB crashed the daemon).
import {mkdtempSync, readFileSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {BuildError, captureStep, lineSplitter} from '../../../src/platform/builder/run.js'
import {MAX_LINE, OutputRegistry} from '../../../src/platform/deploy/output.js'

let tmp: string
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'ferry-output-'))
})
afterAll(() => rmSync(tmp, {force: true, recursive: true}))

function collect(): {ended: () => boolean; reader: {onEnd: () => void; onText: (t: string) => void}; text: () => string} {
  let text = ''
  let ended = false
  return {
    ended: () => ended,
    reader: {
      onEnd() {
        ended = true
      },
      onText(t) {
        text += t
      },
    },
    text: () => text,
  }
}

describe('BuildOutput limits', () => {
  it('keeps at most maxBytes on disk and for readers, then a notice, then the last lines when the build ends', async () => {
    const registry = new OutputRegistry({maxBytes: 10_000, memoryBytes: 2000})
    const path = join(tmp, 'big.log')
    const output = registry.create('b1', path)
    const early = collect()
    await registry.follow('b1', path, early.reader)
    for (let i = 0; i < 100_000; i++) output.line(`line ${i} ${'x'.repeat(90)}`)
    output.line('-----> Launching... done, v4')
    await registry.finish('b1')

    const file = readFileSync(path, 'utf8')
    expect(statSync(path).size).toBeLessThan(10_000 + 4000)
    expect(file).toMatch(/^line 0 x+\n/)
    expect(file).toContain('-----> Build output truncated: it passed the 9.8 KB kept per build; the build goes on, and its last lines follow when it ends.\n')
    expect(file).toMatch(/ ! {5}\d+ lines \(\d+\.\d MB\) of build output were not kept\.\n/)
    expect(file.trimEnd().split('\n').at(-1)).toBe('-----> Launching... done, v4')
    expect(file).toContain('line 99999 ')
    // The live reader saw exactly what the file holds.
    expect(early.text()).toBe(file)
    expect(early.ended()).toBe(true)

    // A finished build replays from its file.
    const late = collect()
    await registry.follow('b1', path, late.reader)
    expect(late.text()).toBe(file)
  })

  it('replays only the last memoryBytes to a reader joining a running build, saying so', async () => {
    const registry = new OutputRegistry({maxBytes: 1_000_000, memoryBytes: 1000})
    const path = join(tmp, 'ring.log')
    const output = registry.create('b2', path)
    for (let i = 0; i < 1000; i++) output.line(`l${i} ${'y'.repeat(40)}`)
    const late = collect()
    await registry.follow('b2', path, late.reader)
    expect(late.text()).toMatch(/^-----> \(\d+ earlier lines are not shown here; `ferry builds:output` has them once the build ends\)\n/)
    expect(late.text().length).toBeLessThan(1200)
    expect(late.text()).toContain('l999 ')
    output.line('after')
    await registry.finish('b2')
    expect(late.text().endsWith('after\n')).toBe(true)
    expect(late.ended()).toBe(true)
    expect(readFileSync(path, 'utf8')).toMatch(/^l0 y+\n/)
  })

  it('cuts very long lines, and the line splitter never holds a line without newline whole', async () => {
    const registry = new OutputRegistry({maxBytes: 1_000_000, memoryBytes: 1_000_000})
    const path = join(tmp, 'long.log')
    const output = registry.create('b3', path)
    output.line('z'.repeat(MAX_LINE + 10))
    await registry.finish('b3')
    expect(readFileSync(path, 'utf8')).toBe(`${'z'.repeat(MAX_LINE)} [line cut at ${MAX_LINE} characters]\n`)

    const lines: number[] = []
    const splitter = lineSplitter(line => lines.push(line.length), 1000)
    for (let i = 0; i < 100; i++) splitter.push(Buffer.from('q'.repeat(500)))
    expect(Math.max(...lines)).toBeLessThanOrEqual(1000)
    splitter.push(Buffer.from('\nend\n'))
    splitter.flush()
    expect(lines.reduce((a, b) => a + b, 0)).toBe(50_000 + 3)
  })

  it('captureStep (bin/detect, bin/release) keeps at most maxBytes of stdout and fails the step past it', async () => {
    const options = {cwd: tmp, env: {PATH: process.env.PATH}, signal: new AbortController().signal}
    const flood = captureStep('sh', ['-c', 'head -c 3000000 /dev/zero'], {...options, maxBytes: 100_000})
    await expect(flood).rejects.toThrow(BuildError)
    await expect(flood).rejects.toThrow('sh printed more than 100000 bytes on its standard output; at most 100000 are read.')
    expect((await captureStep('sh', ['-c', 'echo ok'], options)).stdout).toBe('ok\n')
  })

  it('says when the output of a pruned build is no longer kept', async () => {
    const late = collect()
    await new OutputRegistry().follow('gone', join(tmp, 'gone.log'), late.reader)
    expect(late.text()).toBe(' !     The output of this build is no longer kept (ferry keeps it for the latest builds of each app).\n')
  })
})
