// Errors as values: an HTTP status, a Heroku error id and a human sentence (shared/platform-api.md §2.5). Neutral
// ground: the API server answers them, and any part of the platform (add-ons, log sessions) may throw them.
import type {ErrorBody, ErrorId} from '../api/types.js'

import {ERROR_STATUS} from '../api/types.js'

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly id: ErrorId | string,
    message: string,
    readonly extra: Partial<ErrorBody> = {},
  ) {
    super(message)
  }
}

export const badRequest = (message: string) => new HttpError(400, 'bad_request', message)
export const unauthorized = (message = 'Invalid credentials provided.') => new HttpError(401, 'unauthorized', message)
export const forbidden = (message: string) => new HttpError(403, 'forbidden', message)
export const notFound = (message: string, resource?: string) => new HttpError(404, 'not_found', message, resource ? {resource} : {})
export const conflict = (message: string) => new HttpError(409, 'conflict', message)
export const gone = (message: string) => new HttpError(410, 'gone', message)
export const invalidParams = (message: string) => new HttpError(422, 'invalid_params', message)
export const unavailable = (message: string) => new HttpError(503, 'unavailable', message)
export const tooLarge = (message: string) => new HttpError(413, 'request_entity_too_large', message)

export function errorFor(id: ErrorId, message: string): HttpError {
  return new HttpError(ERROR_STATUS[id], id, message)
}

