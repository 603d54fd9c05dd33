// The YAML subset `bin/release` prints: top-level keys holding a map of scalars, a list of scalars, or `{}`/`[]`.

export interface ReleaseInfo {
  addons: string[]
  config_vars: Record<string, string>
  default_process_types: Record<string, string>
}

function scalar(text: string): string {
  const value = text.trim()
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    return value.slice(1, -1).replaceAll(/\\(["\\nt])/g, (_m, c: string) => ({'"': '"', '\\': '\\', n: '\n', t: '\t'})[c] ?? c)
  }

  if (value.length >= 2 && value.startsWith("'") && value.endsWith("'")) return value.slice(1, -1).replaceAll("''", "'")
  return value.replace(/\s+#.*$/, '')
}

/** Splits `key: value` at the first `: ` (or a trailing `:`) outside quotes. */
function splitPair(line: string): [string, string] | undefined {
  const m = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^:]+?)\s*:(?:\s+(.*)|$)/.exec(line)
  if (!m) return undefined
  return [scalar(m[1]), m[2] ?? '']
}

export function parseReleaseYaml(text: string): ReleaseInfo {
  const doc: Record<string, Record<string, string> | string | string[]> = {}
  let current: string | undefined
  for (const raw of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    if (raw.trim() === '' || raw.trim().startsWith('#') || raw.trim() === '---' || raw.trim() === '...') continue
    const indented = /^\s/.test(raw)
    const line = raw.trim()
    if (!indented) {
      const pair = splitPair(line)
      if (!pair) continue
      const [key, value] = pair
      current = key
      const v = value.trim()
      doc[key] = v === '' || v === '{}' ? {} : v === '[]' ? [] : scalar(v)
      continue
    }

    if (current === undefined) continue
    const container = doc[current]
    if (line.startsWith('- ') || line === '-') {
      const list = Array.isArray(container) ? container : []
      list.push(scalar(line.slice(1)))
      doc[current] = list
      continue
    }

    const pair = splitPair(line)
    if (!pair) continue
    const map = typeof container === 'object' && !Array.isArray(container) ? container : {}
    map[pair[0]] = scalar(pair[1])
    doc[current] = map
  }

  const asMap = (v: unknown): Record<string, string> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, string>) : {})
  return {
    addons: Array.isArray(doc.addons) ? doc.addons : [],
    config_vars: asMap(doc.config_vars),
    default_process_types: asMap(doc.default_process_types),
  }
}
