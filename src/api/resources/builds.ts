import type {Http} from '../client.js'
import type {Build, BuildCreateBody, BuildpackInstallation, Source} from '../types.js'

import {p} from '../client.js'

/** Hosts the API client sends the token to (shared/platform-api.md §1.3). */
function sendsToken(url: URL): boolean {
  return url.hostname === '127.0.0.1' || url.hostname === 'localhost' || /(^|\.)heroku\.com$/.test(url.hostname)
}

export const builds = (http: Http) => ({
  create: (app: string, body: BuildCreateBody) => http.post<Build>(p`/apps/${app}/builds`, body),
  info: (app: string, id: string) => http.get<Build>(p`/apps/${app}/builds/${id}`),
  /** The newest `max` builds, newest first (one page, like the heroku-builds plugin). */
  list: (app: string, max = 15) => http.get<Build[]>(p`/apps/${app}/builds`, {range: `created_at ..; max=${max}, order=desc`}),
  purgeCache: (app: string) => http.delete<unknown>(p`/apps/${app}/build-cache`),
  /** Copies a build's output stream (live while building, replayed afterwards) to `onText` until the server ends it. */
  async streamOutput(outputStreamUrl: string, onText: (text: string) => void): Promise<void> {
    const url = new URL(outputStreamUrl)
    const headers: Record<string, string> = {}
    const {token} = await http.connect()
    if (token && sendsToken(url)) headers.authorization = `Bearer ${token}`
    const res = await http.transport.exchange(url, {headers, redirect: 'follow'})
    if (res.status < 200 || res.status > 299) {
      res.discard()
      if (res.status === 404) throw new Error('The build output is no longer available.')
      throw new Error(`Reading the build output failed: HTTP ${res.status}.`)
    }

    const decoder = new TextDecoder()
    for await (const chunk of res.body) onText(decoder.decode(chunk as Buffer, {stream: true}))
    const rest = decoder.decode()
    if (rest) onText(rest)
  },
})

export const sources = (http: Http) => ({
  create: () => http.post<Source>('/sources'),
  /** PUTs a blob to a source put_url (a capability URL: no token, empty content type). */
  async upload(putUrl: string, data: Uint8Array): Promise<void> {
    const res = await http.transport.exchange(putUrl, {body: data, headers: {'content-type': ''}, method: 'PUT', redirect: 'follow'})
    const text = await res.text()
    if (res.status < 200 || res.status > 299) {
      let message = text
      try {
        message = (JSON.parse(text) as {message?: string}).message ?? text
      } catch {}

      throw new Error(`Uploading the source failed (HTTP ${res.status}): ${message}`)
    }
  },
})

export const buildpacks = (http: Http) => ({
  list: (app: string) => http.get<BuildpackInstallation[]>(p`/apps/${app}/buildpack-installations`, {variant: 'sdk'}),
  /** Replaces the app's buildpack list (urls, registry names or urn:buildpack: names, in order). */
  set: (app: string, urls: string[]) =>
    http.put<BuildpackInstallation[]>(p`/apps/${app}/buildpack-installations`, {updates: urls.map(buildpack => ({buildpack}))}),
})
