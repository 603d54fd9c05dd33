import type {Release} from '../api/types.js'

const STATUS: Record<string, string> = {expired: 'release expired', failed: 'release command failed', pending: 'release command executing'}

/** The description shown by `releases`/`releases:info`, with heroku's status suffix. */
export const describeRelease = (r: Release) => (STATUS[r.status] ? `${r.description} ${STATUS[r.status]}` : r.description)

/** `v4` or `4` → `4`; anything else (a uuid) unchanged. */
export const releaseRef = (arg: string) => arg.replace(/^v(\d+)$/, '$1')
