// What a classic buildpack's `bin/release` prints: a YAML document with `default_process_types`, `config_vars` and
// `addons`. Parsed with a real YAML parser (flow maps, folded scalars and flow lists are all common in the wild); a
// document that is not valid YAML, or whose keys hold the wrong shapes, fails the build with a message that says so,
// instead of silently losing the buildpack's process types.
import {parse} from 'yaml'

export interface ReleaseInfo {
  addons: string[]
  config_vars: Record<string, string>
  default_process_types: Record<string, string>
}

export class ReleaseYamlError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ReleaseYamlError'
  }
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const isScalar = (v: unknown): v is boolean | number | string => ['boolean', 'number', 'string'].includes(typeof v)

function stringMap(doc: Record<string, unknown>, key: string): Record<string, string> {
  const value = doc[key]
  if (value === undefined || value === null) return {}
  if (!isMap(value)) throw new ReleaseYamlError(`"${key}" must be a map of names to strings.`)
  const out: Record<string, string> = {}
  for (const [name, v] of Object.entries(value)) {
    if (!isScalar(v)) throw new ReleaseYamlError(`"${key}.${name}" must be a string.`)
    out[name] = String(v)
  }

  return out
}

export function parseReleaseYaml(text: string): ReleaseInfo {
  let doc: unknown
  try {
    doc = parse(text.replace(/^\uFEFF/, ''))
  } catch (error) {
    throw new ReleaseYamlError(`invalid YAML: ${String((error as Error).message).split('\n')[0]}`)
  }

  if (doc === null || doc === undefined || doc === '') return {addons: [], config_vars: {}, default_process_types: {}}
  if (!isMap(doc)) throw new ReleaseYamlError('the document must be a map (default_process_types, config_vars, addons).')
  const addons = doc.addons ?? []
  if (!Array.isArray(addons) || !addons.every(a => isScalar(a))) throw new ReleaseYamlError('"addons" must be a list of strings.')
  return {
    addons: addons.map(String),
    config_vars: stringMap(doc, 'config_vars'),
    default_process_types: stringMap(doc, 'default_process_types'),
  }
}
