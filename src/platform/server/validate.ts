// Strict request-body checks: wrong types and unknown fields → 422 invalid_params naming the field.
import {invalidParams} from '../errors.js'

export type JsonObject = Record<string, unknown>

function describe(value: unknown): string {
  if (value === undefined) return 'no body'
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`
}

/** The body as an object with only `allowed` keys; a missing body counts as `{}` unless `required`. */
export function objectBody(body: unknown, allowed: readonly string[], options: {required?: boolean; where?: string} = {}): JsonObject {
  const where = options.where ?? 'request body'
  if (body === undefined && !options.required) return {}
  return objectOf(body, allowed, where)
}

/** Checks that `value` is a plain object whose keys are all in `allowed`. */
export function objectOf(value: unknown, allowed: readonly string[], where: string): JsonObject {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidParams(`Invalid ${where}: expected a JSON object, got ${describe(value)}.`)
  }

  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw invalidParams(`Unknown field "${key}" in ${where}; allowed: ${allowed.join(', ') || '(none)'}.`)
    }
  }

  return value as JsonObject
}

export function optionalString(obj: JsonObject, key: string, where = 'request body'): string | undefined {
  const value = obj[key]
  if (value === undefined) return undefined
  if (typeof value !== 'string') throw invalidParams(`Invalid field "${key}" in ${where}: expected a string, got ${describe(value)}.`)
  return value
}

export function requiredString(obj: JsonObject, key: string, where = 'request body'): string {
  const value = optionalString(obj, key, where)
  if (value === undefined) throw invalidParams(`Missing required field "${key}" in ${where}.`)
  return value
}

export function optionalBoolean(obj: JsonObject, key: string, where = 'request body'): boolean | undefined {
  const value = obj[key]
  if (value === undefined) return undefined
  if (typeof value !== 'boolean') throw invalidParams(`Invalid field "${key}" in ${where}: expected true or false, got ${describe(value)}.`)
  return value
}

export function optionalArray(obj: JsonObject, key: string, where = 'request body'): unknown[] | undefined {
  const value = obj[key]
  if (value === undefined) return undefined
  if (!Array.isArray(value)) throw invalidParams(`Invalid field "${key}" in ${where}: expected an array, got ${describe(value)}.`)
  return value
}

/** A map of string values (process_types). */
export function stringMap(value: unknown, key: string, where = 'request body'): Record<string, string> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidParams(`Invalid field "${key}" in ${where}: expected an object of strings, got ${describe(value)}.`)
  }

  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw invalidParams(`Invalid field "${key}.${k}" in ${where}: expected a string, got ${describe(v)}.`)
  }

  return value as Record<string, string>
}
