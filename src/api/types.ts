// Wire types of the Heroku Platform API v3, shared by the client (src/api) and the local platform (src/platform).
// Shapes follow shared/platform-api.md §4 and shared/platform-api/schema.json.

export type Uuid = string
export type IsoDate = string

export interface Ref {id: Uuid; name?: string}
export interface AppRef {id: Uuid; name: string}
export interface UserRef {id: Uuid; email: string}

export interface Account {
  allow_tracking: boolean
  beta: boolean
  created_at: IsoDate
  default_team: null
  delinquent_at: null
  email: string
  federated: boolean
  id: Uuid
  last_login: IsoDate | null
  name: string | null
  suspended_at: null
  two_factor_authentication: boolean
  updated_at: IsoDate
  verified: boolean
}

export interface App {
  acm: boolean
  archived_at: IsoDate | null
  build_stack: {id: Uuid; name: string}
  buildpack_provided_description: string | null
  create_status: 'complete'
  created_at: IsoDate
  generation: {id: Uuid; name: 'cedar'}
  git_url: string
  id: Uuid
  internal_routing: null
  maintenance: boolean
  name: string
  organization: null
  owner: UserRef
  region: {id: Uuid; name: string}
  released_at: IsoDate | null
  repo_size: number | null
  slug_size: number | null
  space: null
  stack: {id: Uuid; name: string}
  team: null
  updated_at: IsoDate
  web_url: string
}

export interface AppCreateBody {name?: string; region?: string; stack?: string}
export interface AppUpdateBody {build_stack?: string; maintenance?: boolean; name?: string}

export type ConfigVars = Record<string, string>
/** PATCH body: a null value removes the key. */
export type ConfigVarsPatch = Record<string, null | string>

export type ReleaseStatus = 'expired' | 'failed' | 'pending' | 'succeeded'

export interface Release {
  addon_plan_names: string[]
  app: AppRef
  artifacts: Array<{id: Uuid; type: 'slug'}>
  created_at: IsoDate
  current: boolean
  description: string
  eligible_for_rollback: boolean
  id: Uuid
  output_stream_url: null | string
  slug: null | {id: Uuid}
  status: ReleaseStatus
  updated_at: IsoDate
  user: UserRef
  version: number
}

/** POST /apps/{app}/releases: a new release from a slug, or a rollback to an existing release. */
export type ReleaseCreateBody = {description?: string; slug: string} | {description?: string; release: string}

export type ProcessTypes = Record<string, string>

export interface Slug {
  blob: {method: 'get'; url: string}
  buildpack_provided_description: null | string
  checksum: null | string
  commit: null | string
  commit_description: null | string
  created_at: IsoDate
  id: Uuid
  process_types: ProcessTypes
  size: null | number
  stack: {id: Uuid; name: string}
  updated_at: IsoDate
}

export interface SlugCreateBody {
  buildpack_provided_description?: string
  checksum?: string
  commit?: string
  commit_description?: string
  process_types: ProcessTypes
  stack?: string
}

export interface Formation {
  app: AppRef
  command: string
  created_at: IsoDate
  dyno_size: {id: Uuid; name: string}
  id: Uuid
  quantity: number
  size: string
  type: string
  updated_at: IsoDate
}

/** Heroku accepts quantity as an integer or a string; "+1"/"-1" are relative (ferry and the official CLI send strings). */
export interface FormationUpdate {
  dyno_size?: string | {id?: string; name?: string}
  quantity?: number | string
  size?: string
  type: string
}

export interface FormationBatchUpdateBody {updates: FormationUpdate[]}

export type DynoState = 'crashed' | 'down' | 'idle' | 'starting' | 'up'

export interface Dyno {
  app: AppRef
  attach_url: null | string
  command: string
  created_at: IsoDate
  id: Uuid
  name: string
  release: {id: Uuid; version: number}
  size: string
  state: DynoState
  type: string
  updated_at: IsoDate
}

export interface DynoCreateBody {
  attach?: boolean
  command: string
  env?: Record<string, string>
  force_no_tty?: boolean
  size?: string
  time_to_live?: number
  type?: string
}

export type BuildStatus = 'failed' | 'pending' | 'succeeded'

export interface Build {
  app: {id: Uuid}
  buildpacks: Array<{name: string; url: string}> | null
  created_at: IsoDate
  id: Uuid
  output_stream_url: string
  release: null | {id: Uuid}
  slug: null | {id: Uuid}
  source_blob: {checksum: null | string; url: string; version: null | string; version_description: null | string}
  stack: string
  status: BuildStatus
  updated_at: IsoDate
  user: UserRef
}

export interface BuildCreateBody {
  buildpacks?: Array<{name?: string; url: string}>
  source_blob: {checksum?: string; url: string; version?: string; version_description?: string}
}

export interface Source {source_blob: {get_url: string; put_url: string}}

export interface BuildpackInstallation {buildpack: {name: string; url: string}; ordinal: number}
export interface BuildpackInstallationsUpdateBody {updates: Array<{buildpack: string}>}

export interface LogSession {created_at: IsoDate; id: Uuid; logplex_url: string; updated_at: IsoDate}
export interface LogSessionCreateBody {
  dyno?: string
  dyno_name?: string
  lines?: number
  source?: string
  tail?: boolean
  type?: string
}

export interface Collaborator {app: AppRef; created_at: IsoDate; id: Uuid; role: 'owner'; updated_at: IsoDate; user: UserRef}

export interface AppFeature {description: string; doc_url: string; enabled: boolean; id: Uuid; name: string; state: string}

/** Error body of every non-2xx API response. */
export type ErrorId =
  | 'bad_request'
  | 'conflict'
  | 'forbidden'
  | 'gone'
  | 'internal_server_error'
  | 'invalid_params'
  | 'not_acceptable'
  | 'not_found'
  | 'rate_limit'
  | 'requested_range_not_satisfiable'
  | 'unauthorized'
  | 'unavailable'

export interface ErrorBody {id: ErrorId | string; message: string; resource?: string; url?: string}

export const ERROR_STATUS: Record<ErrorId, number> = {
  bad_request: 400,
  conflict: 409,
  forbidden: 403,
  gone: 410,
  internal_server_error: 500,
  invalid_params: 422,
  not_acceptable: 406,
  not_found: 404,
  rate_limit: 429,
  requested_range_not_satisfiable: 416,
  unauthorized: 401,
  unavailable: 503,
}

/** Daemon discovery file ($FERRY_HOME/data/run/daemon.json), written by the platform, read by the CLI. */
export interface DaemonInfo {
  dataDir: string
  isolation: string
  pid: number
  /** The daemon's start time in clock ticks (/proc/<pid>/stat field 22): a zombie or another process with that pid is not the daemon. */
  pidStart?: string
  port: number
  routerPort: number
  startedAt: IsoDate
  url: string
  version: string
}

/** GET /ferry/status: the local platform's own status endpoint (not part of Heroku's API). */
export interface PlatformStatus extends DaemonInfo {
  apps: number
  dynos: number
  /** `native` (the ferry-router data plane, with the Node router for the rest) or `node`. */
  routerEngine?: string
  routerUrl: string
}

// ---- add-ons (schema.json: add-on, add-on-attachment, add-on-service, plan) ----

export interface AddonServiceRef {id: string; name: string}

export interface Addon {
  actions: unknown[]
  addon_service: AddonServiceRef
  app: {id: string; name: string}
  billed_price: null | {cents: number; contract: boolean; unit: string}
  billing_entity: {id: string; name: string; type: 'app'}
  config_vars: string[]
  created_at: string
  id: string
  name: string
  plan: {id: string; name: string}
  provider_id: string
  provision_message: null | string
  state: 'deprovisioned' | 'provisioned' | 'provisioning'
  updated_at: string
  web_url: null | string
}

export interface AddonAttachment {
  addon: {app: {id: string; name: string}; id: string; name: string; plan?: {id: string; name: string}}
  addon_service?: {id: string; name: string}
  app: {id: string; name: string}
  config_vars?: string[]
  created_at: string
  id: string
  log_input_url: null | string
  name: string
  namespace: null | string
  updated_at: string
  web_url: null | string
}

export interface AddonService {
  cli_plugin_name: null | string
  created_at: string
  human_name: string
  id: string
  name: string
  state: 'alpha' | 'beta' | 'ga' | 'shutdown'
  supported_generations: Array<{id: string; name: string}>
  supports_multiple_installations: boolean
  supports_sharing: boolean
  updated_at: string
}

export interface AddonPlan {
  addon_service: AddonServiceRef
  compliance: null | string[]
  created_at: string
  default: boolean
  description: string
  human_name: string
  id: string
  installable_inside_private_network: boolean
  installable_outside_private_network: boolean
  name: string
  price: {cents: number; contract: boolean; unit: string}
  space_default: boolean
  state: string
  updated_at: string
  visible: boolean
}

/** ferry's view of one database/instance behind an add-on (GET /ferry/addons/{id}/info). */
export interface AddonServerInfo {
  /** Rows shown by pg:info / redis:info, in order. */
  info: Array<{name: string; values: string[]}>
  kind: 'postgres' | 'redis'
  running: boolean
}

/** A pg:backups backup (ferry: GET /ferry/apps/{app}/pg-backups). */
export interface PgBackup {
  addon: {id: string; name: string}
  created_at: string
  finished_at: string
  /** `b001` */
  num: string
  size: number
  /** The attachment it was taken through (DATABASE). */
  source: string
  status: 'completed'
}

/** A domain of an app (Platform API `domain`): its default `<app>.localhost` (kind heroku) or a custom one. */
export interface Domain {
  acm_status: null | string
  acm_status_reason: null | string
  app: {id: string; name: string}
  /** Where to point the domain: the router listens on localhost (e.g. an /etc/hosts line, or a CNAME to localhost). */
  cname: null | string
  created_at: string
  hostname: string
  id: string
  kind: 'custom' | 'heroku'
  sni_endpoint: null | {id: string; name: string}
  status: string
  updated_at: string
}
