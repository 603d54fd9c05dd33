// The answers the router writes itself (never a dyno's): its error pages (H10, H12, H13, H14, H17 …), the 404 for a
// Host with no app, the maintenance page (H80), and the response around them.
import {ANSWER_HEAD, type AppError, fillTemplate, page, REASONS} from '../rules.js'

export const MAINTENANCE_PAGE =
  '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Offline for Maintenance</title></head>\n' +
  '<body style="font-family:sans-serif;margin:4em auto;max-width:40em">\n<h1>Offline for Maintenance</h1>\n' +
  '<p>This app is in maintenance mode. Please check back soon.</p>\n</body></html>\n'

/** The whole response (head and body) of one of the router's own answers; `close` ends the connection after it. */
export function routerResponse(status: number, body: string, close: boolean): string {
  const head = fillTemplate(ANSWER_HEAD, {length: Buffer.byteLength(body), reason: REASONS[status] ?? 'Error', status})
  return `${head}${close ? 'Connection: close\r\n' : ''}\r\n${body}`
}

/** The page of an app error (a Heroku error code: the same page native/exchange.c writes, ERROR_PAGE_FORMAT). */
export function appErrorPage(detail: string, code: string): string {
  return page('Application error', `${detail} (${code})`)
}

/** The page of a request the router rejects (a malformed head, 408, 431 …). */
export function rejectPage(status: number, message: string): string {
  return page(`${status} ${REASONS[status] ?? 'Error'}`, message)
}

/** The 404 page of a Host no app answers to. */
export function noSuchAppPage(hostname: string): string {
  return page('No such app', `There is no app at <code>${hostname.replaceAll(/[<>&"]/g, '')}</code>. Run <code>ferry apps</code> to list apps.`)
}

/** Why an app has no web dyno to route to: its web dynos crashed (H10), or it has none running (H14). */
export function noWebCause(crashed: boolean): AppError {
  return crashed
    ? {code: 'H10', desc: 'App crashed', detail: 'The app\'s web dynos have crashed. Run <code>ferry logs</code> to see why.'}
    : {code: 'H14', desc: 'No web processes running', detail: 'No web dynos are running for this app. Scale them up with <code>ferry ps:scale web=1</code>.'}
}
