// Rendering of log lines for `ferry logs`: heroku's re-emission (`header + ' ' + trimmed message`),
// colours per source/dyno on a TTY only, or one JSON object per line.
import {color, colorsEnabled} from './output.js'

const LINE_RE = /^(\S+) ((app|heroku)\[([\w.-]+)\]:)(.*)$/s
const DYNO_COLORS = [color.cyan, color.green, color.yellow, color.blue, color.magenta] as const

function dynoColor(dyno: string): (s: string) => string {
  if (dyno === 'router') return color.gray
  let h = 0
  for (const ch of dyno.replace(/\.\d+$/, '')) h = ((h * 31) + ch.charCodeAt(0)) >>> 0
  return DYNO_COLORS[h % DYNO_COLORS.length]
}

/** One line for the terminal; `colors` defaults to stdout being a TTY without NO_COLOR. */
export function renderLogLine(text: string, colors = colorsEnabled()): string {
  const m = LINE_RE.exec(text)
  if (!m) return text
  const [, time, header, source, dyno, message] = m
  const line = `${time} ${header} ${message.trim()}`
  if (!colors) return line
  const paint = source === 'heroku' ? color.magenta : dynoColor(dyno)
  return `${color.dim(time)} ${paint(header)} ${message.trim()}`
}

/** `--json`: `{"time","source","dyno","message","id"}`. */
export function logLineJson(text: string, id?: number): string {
  const m = LINE_RE.exec(text)
  if (!m) return JSON.stringify({id, message: text})
  return JSON.stringify({dyno: m[4], id, message: m[5].replace(/^ /, ''), source: m[3], time: m[1]})
}
