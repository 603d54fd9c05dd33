import type {Api} from '../api/client.js'
import type {Release} from '../api/types.js'

const STATUS: Record<string, string> = {expired: 'release expired', failed: 'release command failed', pending: 'release command executing'}

/** The description shown by `releases`/`releases:info`, with heroku's status suffix. */
export const describeRelease = (r: Release) => (STATUS[r.status] ? `${r.description} ${STATUS[r.status]}` : r.description)

/** `v4` or `4` → `4`; anything else (a uuid) unchanged. */
export const releaseRef = (arg: string) => arg.replace(/^v(\d+)$/, '$1')

/** The release `ref` (v4, 4 or an id), or the app's current one; undefined when the app has none. */
export async function releaseOrLatest(api: Api, app: string, ref?: string): Promise<Release | undefined> {
  return ref ? api.releases.info(app, releaseRef(ref)) : (await api.releases.list(app, {max: 1, order: 'desc'}))[0]
}
