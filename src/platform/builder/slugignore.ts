// .slugignore: gitignore-like patterns (no `!` negation, like Heroku) removed from the source before buildpacks run.
//
// Patterns are matched by a small NFA simulation (the Thompson/Pike construction), not by a regular expression:
// a glob turned into a JavaScript RegExp backtracks, and `**/*a*a*a*a*a*a*a*a*a*a*b` against a long name held the
// daemon's event loop for 54 s (issue 13 item 6). The npm `ignore` package compiles to RegExp too and is just as
// slow on that pattern (8 s for a 40-character name, measured), so it is not used. Here each name costs at most
// (name length × pattern length) steps; the number and length of patterns, the entries walked and the total work
// are bounded, and the walk yields to the event loop so the API keeps answering.
import {readdir, rm} from 'node:fs/promises'
import {join} from 'node:path'

import {readConfined} from './confined.js'
import {BuildError} from './run.js'

export const SLUGIGNORE_LIMITS = {
  /** Entries (files and directories) looked at. */
  entries: 500_000,
  /** Length of one pattern (characters). */
  patternLength: 1024,
  /** Patterns in the file. */
  patterns: 1000,
  /** NFA steps over the whole walk (about a few seconds of work at most). */
  steps: 500_000_000,
}

type Inst = {op: 'char'; test: (c: number) => boolean} | {op: 'jmp'; x: number} | {op: 'match'} | {op: 'split'; x: number; y: number}

const SLASH = 47
const notSlash = (c: number) => c !== SLASH
const anyChar = () => true

export interface Rule {
  /** true: matched against the path from the root; false: against the entry's base name at any depth. */
  anchored: boolean
  dirOnly: boolean
  program: Inst[]
}

/** `[...]` at `start` (the `[`): its test and the index of its `]`, or undefined when it is not closed. */
function parseClass(glob: string, start: number): undefined | {end: number; test: (c: number) => boolean} {
  let i = start + 1
  const negated = glob[i] === '!' || glob[i] === '^'
  if (negated) i++
  const ranges: Array<[number, number]> = []
  let first = true
  while (i < glob.length && (glob[i] !== ']' || first)) {
    first = false
    let lo = glob.charCodeAt(i)
    if (glob[i] === '\\' && i + 1 < glob.length) lo = glob.charCodeAt(++i)
    let hi = lo
    if (glob[i + 1] === '-' && i + 2 < glob.length && glob[i + 2] !== ']') {
      hi = glob[i + 2] === '\\' && i + 3 < glob.length ? glob.charCodeAt(i + 3) : glob.charCodeAt(i + 2)
      i += glob[i + 2] === '\\' ? 3 : 2
    }

    ranges.push([lo, hi])
    i++
  }

  if (i >= glob.length) return undefined
  const inside = (c: number) => ranges.some(([lo, hi]) => c >= lo && c <= hi)
  return {end: i, test: negated ? c => c !== SLASH && !inside(c) : c => c !== SLASH && inside(c)}
}

/** Compiles a glob (gitignore syntax, without the leading `/` and trailing `/`) into NFA instructions. */
export function compileGlob(glob: string): Inst[] {
  const prog: Inst[] = []
  /** `x*` where x matches one character: loop back over it. */
  const star = (test: (c: number) => boolean) => {
    const split = prog.length
    prog.push({op: 'split', x: split + 1, y: split + 3}, {op: 'char', test}, {op: 'jmp', x: split})
  }

  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]
    switch (c) {
    case '*': {
      if (glob[i + 1] !== '*') {
        star(notSlash)
        break
      }

      const atSegmentStart = i === 0 || glob[i - 1] === '/'
      if (atSegmentStart && glob[i + 2] === '/') {
        // `**/`: zero or more whole directories, i.e. (.*/)?
        const split = prog.length
        prog.push({op: 'split', x: split + 1, y: -1})
        star(anyChar)
        prog.push({op: 'char', test: ch => ch === SLASH})
        const skip = prog[split] as {y: number}
        skip.y = prog.length
        i += 2
      } else {
        // A trailing `**` (everything below) or `**` inside a name: any characters.
        star(anyChar)
        while (glob[i + 1] === '*') i++
      }

      break
    }

    case '?': {
      prog.push({op: 'char', test: notSlash})
      break
    }

    case '[': {
      const cls = parseClass(glob, i)
      if (cls) {
        prog.push({op: 'char', test: cls.test})
        i = cls.end
      } else {
        prog.push({op: 'char', test: ch => ch === 91})
      }

      break
    }

    default: {
      const literal = c === '\\' && i + 1 < glob.length ? glob.charCodeAt(++i) : glob.charCodeAt(i)
      prog.push({op: 'char', test: ch => ch === literal})
    }
    }
  }

  prog.push({op: 'match'})
  return prog
}

/** A work counter shared by a whole walk: throws once the budget is spent. */
export class Budget {
  used = 0
  constructor(readonly steps: number = SLUGIGNORE_LIMITS.steps) {}
  spend(n: number): void {
    this.used += n
    if (this.used > this.steps) {
      throw new BuildError('Applying .slugignore takes too much work (too many files for these patterns). Use fewer or simpler patterns, and push again.')
    }
  }
}

/** Whether `text` matches the whole program: O(text length × program length). */
export function matches(prog: Inst[], text: string, budget?: Budget): boolean {
  let current: number[] = []
  let next: number[] = []
  const seen = new Int32Array(prog.length).fill(-1)
  const add = (list: number[], start: number, generation: number) => {
    const stack = [start]
    while (stack.length > 0) {
      const pc = stack.pop()!
      if (seen[pc] === generation) continue
      seen[pc] = generation
      const inst = prog[pc]
      if (inst.op === 'jmp') stack.push(inst.x)
      else if (inst.op === 'split') stack.push(inst.y, inst.x)
      else list.push(pc)
    }
  }

  add(current, 0, 0)
  for (let i = 0; i < text.length && current.length > 0; i++) {
    budget?.spend(current.length)
    const c = text.charCodeAt(i)
    next.length = 0
    for (const pc of current) {
      const inst = prog[pc]
      if (inst.op === 'char' && inst.test(c)) add(next, pc + 1, i + 1)
    }

    const done = current
    current = next
    next = done
  }

  return current.some(pc => prog[pc].op === 'match')
}

/** Parses .slugignore text; throws BuildError naming the problem when the file is over the limits. */
export function parseSlugignore(text: string): Rule[] {
  const rules: Rule[] = []
  for (const [index, raw] of text.replace(/^\uFEFF/, '').split(/\r?\n/).entries()) {
    let line = raw.trim()
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue
    if (line.length > SLUGIGNORE_LIMITS.patternLength) {
      throw new BuildError(`.slugignore line ${index + 1} is longer than ${SLUGIGNORE_LIMITS.patternLength} characters; shorten the pattern.`)
    }

    if (rules.length === SLUGIGNORE_LIMITS.patterns) {
      throw new BuildError(`.slugignore has more than ${SLUGIGNORE_LIMITS.patterns} patterns; use fewer, broader patterns (a directory name removes everything in it).`)
    }

    const dirOnly = line.endsWith('/')
    line = line.replace(/\/+$/, '')
    if (line === '') continue
    const anchored = line.includes('/')
    line = line.replace(/^\/+/, '')
    rules.push({anchored, dirOnly, program: compileGlob(line)})
  }

  return rules
}

export function isIgnored(rules: Rule[], relPath: string, isDir: boolean, budget?: Budget): boolean {
  const base = relPath.slice(relPath.lastIndexOf('/') + 1)
  return rules.some(rule => (!rule.dirOnly || isDir) && matches(rule.program, rule.anchored ? relPath : base, budget))
}

/** Applies `<dir>/.slugignore` (when present); returns the relative paths removed. */
export async function applySlugignore(dir: string, signal?: AbortSignal): Promise<string[]> {
  const text = await readConfined(dir, '.slugignore', 64 * 1024)
  if (text === undefined) return []
  const rules = parseSlugignore(text)
  const removed: string[] = []
  if (rules.length === 0) return removed
  const budget = new Budget()
  let entries = 0
  let sliceStart = Date.now()
  const walk = async (rel: string): Promise<void> => {
    const list = await readdir(join(dir, rel), {withFileTypes: true})
    for (const entry of list) {
      if (++entries > SLUGIGNORE_LIMITS.entries) {
        throw new BuildError(`The source has more than ${SLUGIGNORE_LIMITS.entries} files and directories; .slugignore is not applied to so many. Commit fewer files.`)
      }

      // Matching is synchronous: give the event loop a turn every ~10 ms of it.
      if (Date.now() - sliceStart > 10) {
        await new Promise(resolve => setImmediate(resolve))
        if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new BuildError('The build was cancelled.')
        sliceStart = Date.now()
      }

      const path = rel === '' ? entry.name : `${rel}/${entry.name}`
      const isDir = entry.isDirectory()
      if (isIgnored(rules, path, isDir, budget)) {
        await rm(join(dir, path), {force: true, recursive: true})
        removed.push(path)
      } else if (isDir) {
        await walk(path)
      }
    }
  }

  await walk('')
  return removed
}
