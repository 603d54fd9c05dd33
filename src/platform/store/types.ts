// The store's own vocabulary: plain values, not API wire types (the API server translates between the two, so the
// source of truth does not change shape when the wire does).

export type ConfigVars = Record<string, string>
/** A change of config vars: a null value removes the key. */
export type ConfigVarsPatch = Record<string, null | string>
export type ProcessTypes = Record<string, string>
export type ReleaseStatus = 'expired' | 'failed' | 'pending' | 'succeeded'

/** One process type's new quantity (absolute, or "+N"/"-N") and/or size (a size name or id). */
export interface FormationChange {
  quantity?: number | string
  size?: string
  type: string
}

/** What kind of failure a StoreError is (the API server answers each with its status and Heroku error id). */
export type StoreErrorId = 'conflict' | 'invalid_params' | 'not_found'
