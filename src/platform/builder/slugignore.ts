// .slugignore: gitignore-like patterns (no `!` negation) removed from the source before buildpacks run.
import {readdir, rm} from 'node:fs/promises'
import {join} from 'node:path'

import {readConfined} from './confined.js'

interface Rule {
  dirOnly: boolean
  re: RegExp
  /** true: matched against the path from the root; false: against the entry's base name at any depth. */
  anchored: boolean
}

function globToRegExp(glob: string): string {
  let out = ''
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]
    switch (c) {
    case '*': {
      if (glob[i + 1] === '*') {
        // `**/` matches zero or more directories; a trailing `**` matches everything below.
        if (glob[i + 2] === '/') {
          out += '(?:.*/)?'
          i += 2
        } else {
          out += '.*'
          i += 1
        }
      } else {
        out += '[^/]*'
      }

    break;
    }

    case '?': {
      out += '[^/]'

    break;
    }

    case '[': {
      const end = glob.indexOf(']', i + 1)
      if (end === -1) {
        out += String.raw`\[`
      } else {
        out += `[${glob.slice(i + 1, end).replace(/^!/, '^').replaceAll('\\', '\\\\')}]`
        i = end
      }

    break;
    }

    default: {
      out += c.replaceAll(/[$()+.\\^{|}]/g, String.raw`\$&`)
    }
    }
  }

  return out
}

export function parseSlugignore(text: string): Rule[] {
  const rules: Rule[] = []
  for (const raw of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    let line = raw.trim()
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue
    const dirOnly = line.endsWith('/')
    line = line.replace(/\/+$/, '')
    if (line === '') continue
    const anchored = line.includes('/')
    line = line.replace(/^\/+/, '')
    rules.push({anchored, dirOnly, re: new RegExp(`^${globToRegExp(line)}$`)})
  }

  return rules
}

export function isIgnored(rules: Rule[], relPath: string, isDir: boolean): boolean {
  const base = relPath.slice(relPath.lastIndexOf('/') + 1)
  return rules.some(rule => (!rule.dirOnly || isDir) && rule.re.test(rule.anchored ? relPath : base))
}

/** Applies `<dir>/.slugignore` (when present); returns the relative paths removed. */
export async function applySlugignore(dir: string): Promise<string[]> {
  const text = await readConfined(dir, '.slugignore')
  if (text === undefined) return []

  const rules = parseSlugignore(text)
  const removed: string[] = []
  if (rules.length === 0) return removed
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(join(dir, rel), {withFileTypes: true})
    for (const entry of entries) {
      const path = rel === '' ? entry.name : `${rel}/${entry.name}`
      const isDir = entry.isDirectory()
      if (isIgnored(rules, path, isDir)) {
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
