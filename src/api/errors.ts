// Errors of the API client, as values with a kind (mapped to exit codes once, in src/cli/errors.ts).
import type {ErrorBody} from './types.js'

export type ApiErrorKind = 'Conflict' | 'Forbidden' | 'Invalid' | 'NotFound' | 'RateLimited' | 'Server' | 'Unauthorized'

const KIND_BY_STATUS: Record<number, ApiErrorKind> = {
  400: 'Invalid', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 406: 'Invalid', 409: 'Conflict',
  410: 'NotFound', 416: 'Invalid', 422: 'Invalid', 429: 'RateLimited',
}

/** A non-2xx answer of the Platform API (`{id, message}` body). */
export class ApiError extends Error {
  readonly body: Partial<ErrorBody>
  readonly id: string
  readonly kind: ApiErrorKind
  constructor(readonly status: number, body: Partial<ErrorBody>, readonly method: string, readonly url: string) {
    super(body.message || `HTTP Error ${status} for ${method} ${url}`)
    this.name = 'ApiError'
    this.body = body
    this.id = body.id || String(status)
    this.kind = KIND_BY_STATUS[status] ?? (status >= 500 ? 'Server' : 'Invalid')
  }
}

/** The backend could not be reached at all (connection refused, DNS failure, timeout). */
export class UnreachableError extends Error {
  constructor(readonly url: string, readonly cause?: unknown) {
    super(`cannot reach the ferry platform at ${url}; run \`ferry platform:status\``)
    this.name = 'UnreachableError'
  }
}

/** The backend is configured wrongly or could not be started (no token, daemon failed to start…). */
export class BackendError extends Error {
  /** True when the user named something invalid (exit 1 rather than 2). */
  readonly input: boolean
  constructor(message: string, options: {input?: boolean} = {}) {
    super(message)
    this.input = options.input ?? false
    this.name = 'BackendError'
  }
}
