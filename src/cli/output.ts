// Output primitives matching the heroku CLI (shared/platform-api.md §2.6). Functions return strings so
// tests can check them; commands print with this.log / process.stderr.
import type chalk from 'chalk'

import {ux} from '@oclif/core'

/** Colours only on a TTY and without NO_COLOR (FORCE_COLOR=1 to force). */
export function colorsEnabled(stream: {isTTY?: boolean} = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false
  if (env.FORCE_COLOR && env.FORCE_COLOR !== '0') return true
  return Boolean(stream.isTTY) && env.TERM !== 'dumb'
}

/** Without colours every style is the identity (what chalk does at level 0), and chalk is not even loaded (~9 ms of start-up). */
const plain: typeof chalk = new Proxy((...text: unknown[]) => text.join(' '), {get: () => plain}) as unknown as typeof chalk

async function loadChalk(): Promise<typeof chalk> {
  const {default: instance} = await import('chalk')
  instance.level = instance.level || 1
  return instance
}

export const color: typeof chalk = colorsEnabled() ? await loadChalk() : plain

/** `=== title` then an empty line. */
export function styledHeader(title: string): string {
  return `${color.bold(`=== ${title}`)}\n`
}

function styledValue(value: unknown): string {
  if (value === '') return "''"
  if (value && typeof value === 'object') return Object.entries(value).map(([k, v]) => `${k}: ${v}`).join(', ')
  return String(value)
}

/** `Key: value` lines, keys padded to the longest + 1; arrays one element per line; undefined/empty arrays omitted. */
export function styledObject(object: Record<string, unknown>, keys: string[] = Object.keys(object)): string {
  const shown = keys.filter(k => object[k] !== undefined && !(Array.isArray(object[k]) && (object[k] as unknown[]).length === 0))
  const width = Math.max(0, ...shown.map(k => k.length)) + 1
  const lines: string[] = []
  for (const key of shown) {
    const value = object[key]
    const values = Array.isArray(value) ? value : [value]
    values.forEach((v, i) => lines.push(`${(i === 0 ? `${color.blue(`${key}:`)}` + ' '.repeat(width - key.length - 1) : ' '.repeat(width))} ${styledValue(v)}`))
  }

  return lines.join('\n')
}

export interface Column<T> {
  get?: (row: T) => unknown
  header: string
  key: string
}

const visibleLength = (s: string) => s.replaceAll(/\u001B\[[\d;]*m/g, '').length

/** heroku's plain table: two-space indent, `─` underline, 3-space gaps, blank line after. */
export function plainTable<T>(rows: T[], columns: Array<Column<T>>): string {
  const cells = rows.map(row => columns.map(c => String((c.get ? c.get(row) : (row as Record<string, unknown>)[c.key]) ?? '')))
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map(r => visibleLength(r[i]))))
  const line = (values: string[]) => ('  ' + values.map((v, i) => v + ' '.repeat(widths[i] - visibleLength(v))).join('   ')).trimEnd()
  const underline = ' ' + '─'.repeat(widths.reduce((a, w) => a + w + 2, 0) + widths.length - 1)
  return [color.bold(line(columns.map(c => c.header))), underline, ...cells.map(r => line(r)), ''].join('\n')
}

/**
 * A table in the Heroku CLI's layout, on a terminal and in a pipe alike (what the README shows is what a user sees);
 * on a terminal the header is bold. Async so a command's output code does not change if a layout ever needs a module.
 */
export async function table<T>(rows: T[], columns: Array<Column<T>>): Promise<string> {
  return plainTable(rows, columns)
}

/** A line on stderr that may arrive while an action is pending (e.g. the daemon autostart): the action line is repeated after it. */
export function notice(line: string): void {
  const write = () => process.stderr.write(`${line}\n`)
  if (ux.action.running) ux.action.pause(write)
  else write()
}

/**
 * oclif's `ux.action` on stderr: `Message... done[, status]` (`Message... !` when fn throws); a spinner on a terminal,
 * the plain line in a pipe, under CI or with TERM=dumb (oclif decides). Output other code writes meanwhile is held
 * back until the action ends (oclif's rendering); `notice` prints through it.
 */
export async function action<T>(message: string, fn: () => Promise<T>, done?: (result: T) => string | undefined): Promise<T> {
  ux.action.start(message)
  let result: T
  try {
    result = await fn()
  } catch (error) {
    failAction()
    throw error
  }

  const status = done?.(result)
  ux.action.stop(`${color.green('done')}${status ? `, ${status}` : ''}`)
  return result
}

/**
 * An action line that ends elsewhere than where it starts (`ferry run`: at the dyno's first output); call the
 * returned function with the status. A command that fails meanwhile ends it with `!` (FerryCommand.catch).
 */
export function beginAction(message: string): (status: string) => void {
  ux.action.start(message)
  return status => {
    if (ux.action.running) ux.action.stop(status)
  }
}

/** Ends a pending action line with `!` (the error line follows). */
export function failAction(): void {
  if (ux.action.running) ux.action.stop(color.red('!'))
}

const pad2 = (n: number) => String(n).padStart(2, '0')

/** `YYYY/MM/DD HH:MM:SS +ZZZZ (~ Ns ago)` in the local time zone; the suffix only under 25 h. */
export function formatDate(value: Date | string, now: Date = new Date()): string {
  const d = typeof value === 'string' ? new Date(value) : value
  const offset = -d.getTimezoneOffset()
  const zone = (offset >= 0 ? '+' : '-') + pad2(Math.floor(Math.abs(offset) / 60)) + pad2(Math.abs(offset) % 60)
  const text = `${d.getFullYear()}/${pad2(d.getMonth() + 1)}/${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())} ${zone}`
  const seconds = Math.max(0, Math.floor((now.getTime() - d.getTime()) / 1000))
  if (seconds < 60) return `${text} (~ ${seconds}s ago)`
  if (seconds < 3600) return `${text} (~ ${Math.floor(seconds / 60)}m ago)`
  if (seconds < 25 * 3600) return `${text} (~ ${Math.floor(seconds / 3600)}h ago)`
  return text
}

/** `--json`: the API body with 2-space indentation. */
export const json = (value: unknown) => JSON.stringify(value, null, 2)

/** heroku's `config --shell` quoting. */
export function shellQuote(value: string): string {
  if (value === '') return "''"
  if (/['\n]/.test(value)) return '"' + value.replaceAll(/(["\\$`!])/g, String.raw`\$1`).replaceAll('\n', String.raw`\n`) + '"'
  if (/["\s#!$&'()*,:;<=>?@[\\\]^`{|}]/.test(value)) return `'${value}'`
  return value
}

/** `A`, `A and B`, `A, B and C`. */
export function listSentence(items: string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`
}

/** JEDEC size: `0 B`, `12 KB`, `1 MB`. */
export function formatSize(bytes: null | number | undefined): string {
  if (!bytes) return '0 B'
  const units = ['B', 'KB', 'MB', 'GB', 'TB']
  let n = bytes
  let i = 0
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024
    i++
  }

  return `${i === 0 ? n : Math.round(n * 10) / 10} ${units[i]}`
}
