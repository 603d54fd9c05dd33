// Store errors are values with a Heroku error id; the API server maps them to statuses once (server/http.ts).
import type {StoreErrorId} from './types.js'

export class StoreError extends Error {
  constructor(
    readonly id: StoreErrorId,
    message: string,
  ) {
    super(message)
    this.name = 'StoreError'
  }
}

export const notFoundError = (message: string) => new StoreError('not_found', message)
export const invalidError = (message: string) => new StoreError('invalid_params', message)
export const conflictError = (message: string) => new StoreError('conflict', message)
