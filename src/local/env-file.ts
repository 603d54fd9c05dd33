// .env parsing: KEY=value, `export KEY=…`, `#` comments, '…' literal, "…" with escapes and newlines; errors name file:line.
import {clip, invalid} from './errors.js'

const KEY_RE = /^[A-Za-z_][\w.-]*$/
const ESCAPES: Record<string, string> = {'"': '"', '\\': '\\', $: '$', n: '\n', r: '\r', t: '\t'}

/**
 * Parses the text of an env file into an ordered map; later assignments of a key win. Text starting with `{` is
 * JSON like heroku local accepts: nested keys are joined with `_` and upper-cased (`{"db":{"url":…}}` → DB_URL).
 */
export function parseEnvFile(text: string, file = '.env'): Record<string, string> {
  const body = text.replace(/^\uFEFF/, '')
  return body.trimStart().startsWith('{') ? parseJsonEnv(body, file) : parseDotenv(body, file)
}

function parseJsonEnv(text: string, file: string): Record<string, string> {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (error) {
    throw invalid(`${file}: invalid JSON (${(error as Error).message}); use KEY=value lines or a JSON object.`)
  }

  const env: Record<string, string> = {}
  const walk = (value: unknown, prefix: string) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [key, inner] of Object.entries(value)) walk(inner, prefix ? `${prefix}_${key}` : key)
    } else {
      env[prefix.toUpperCase()] = typeof value === 'string' ? value : JSON.stringify(value)
    }
  }

  walk(data, '')
  return env
}

function parseDotenv(text: string, file: string): Record<string, string> {
  const env: Record<string, string> = {}
  const lines = text.split(/\r?\n|\r/)
  let i = 0
  while (i < lines.length) {
    const lineNo = i + 1
    const where = `${file}:${lineNo}`
    const raw = lines[i].trimStart()
    const trimmed = raw.trimEnd()
    i++
    if (trimmed === '' || trimmed.startsWith('#')) continue
    const body = raw.replace(/^export\s+/, '')
    const eq = body.indexOf('=')
    if (eq === -1) throw invalid(`${where}: expected KEY=value, got "${clip(trimmed)}".`)
    const key = body.slice(0, eq).trim()
    if (!KEY_RE.test(key)) {
      throw invalid(`${where}: invalid variable name "${clip(key)}"; names start with a letter or "_" and contain letters, digits, "_", "." or "-".`)
    }

    let rest = body.slice(eq + 1).trimStart()
    const quote = rest[0]
    if (quote !== '"' && quote !== "'") {
      env[key] = rest.replace(/\s+#.*$/, '').trim()
      continue
    }

    // Quoted value: scan to the closing quote, continuing over following lines (multi-line values).
    rest = rest.slice(1)
    let value = ''
    let closed = false
    let after = ''
    for (;;) {
      let j = 0
      while (j < rest.length) {
        const ch = rest[j]
        if (quote === '"' && ch === '\\' && j + 1 < rest.length) {
          const next = rest[j + 1]
          value += ESCAPES[next] ?? `\\${next}`
          j += 2
          continue
        }

        if (ch === quote) {
          closed = true
          after = rest.slice(j + 1)
          break
        }

        value += ch
        j++
      }

      if (closed || i >= lines.length) break
      value += '\n'
      rest = lines[i]
      i++
    }

    if (!closed) throw invalid(`${where}: the value of ${key} opens a ${quote === '"' ? 'double' : 'single'} quote that is never closed.`)
    const tail = after.trim()
    if (tail !== '' && !tail.startsWith('#')) {
      throw invalid(`${file}:${i}: unexpected text "${clip(tail)}" after the closing quote of ${key}.`)
    }

    env[key] = value
  }

  return env
}
