// Store records → wire objects (src/api/types.ts). Shared by every route module (builds, dynos, … too).
import type {Account, App, BuildpackInstallation, Formation, Release, Slug} from '../../api/types.js'
import type {PlatformConfig} from '../context.js'
import type {AccountRecord, AppRecord, BuildpackInstallationRecord, FormationRecord, ReleaseRecord, SlugRecord} from '../store/index.js'

import {dynoSize} from '../store/index.js'
import {gitUrl, webUrl} from '../urls.js'

/** Fixed ids for the fixed local region/stack/generation (clients only display them). */
const REGION = {id: '59accabd-516d-4f0e-83e6-6e3757701145', name: 'us'}
const GENERATION = {id: '7a2ce3b7-2d47-4e2b-8a35-3f4a2a7c0d01', name: 'cedar' as const}
const STACK_IDS: Record<string, string> = {
  'heroku-22': '74cfe988-7527-4ca4-9667-77bb2ef2a4ab',
  'heroku-24': '9b4fb4d4-ba3b-4c7d-8a4c-4e1c8b3c1c24',
}
export const KNOWN_STACKS = Object.keys(STACK_IDS)
export const KNOWN_REGIONS = [REGION.name, REGION.id]

export function stackRef(name: string): {id: string; name: string} {
  return {id: STACK_IDS[name] ?? STACK_IDS['heroku-24'], name}
}

export function presentAccount(account: AccountRecord): Account {
  return {
    allow_tracking: false,
    beta: false,
    created_at: account.createdAt,
    default_team: null,
    delinquent_at: null,
    email: account.email,
    federated: false,
    id: account.id,
    last_login: account.createdAt,
    name: account.name,
    suspended_at: null,
    two_factor_authentication: false,
    updated_at: account.updatedAt,
    verified: true,
  }
}

export function presentApp(config: PlatformConfig, app: AppRecord, owner: AccountRecord): App {
  return {
    acm: false,
    archived_at: null,
    build_stack: stackRef(app.buildStack),
    buildpack_provided_description: app.buildpackProvidedDescription,
    create_status: 'complete',
    created_at: app.createdAt,
    generation: GENERATION,
    git_url: gitUrl(config, app.name),
    id: app.id,
    internal_routing: null,
    maintenance: app.maintenance,
    name: app.name,
    organization: null,
    owner: {email: owner.email, id: owner.id},
    region: REGION,
    released_at: app.releasedAt,
    repo_size: app.repoSize,
    slug_size: app.slugSize,
    space: null,
    stack: stackRef(app.stack),
    team: null,
    updated_at: app.updatedAt,
    web_url: webUrl(config, app.name),
  }
}

/** `addonPlanNames`: plans of the add-ons attached to the app when the release was made (routes/releases.ts). */
export function presentRelease(release: ReleaseRecord, addonPlanNames: string[] = []): Release {
  return {
    addon_plan_names: addonPlanNames,
    app: {id: release.appId, name: release.appName},
    artifacts: release.slugId ? [{id: release.slugId, type: 'slug'}] : [],
    created_at: release.createdAt,
    current: release.current,
    description: release.description,
    eligible_for_rollback: release.status === 'succeeded',
    id: release.id,
    output_stream_url: release.outputStreamUrl,
    slug: release.slugId ? {id: release.slugId} : null,
    status: release.status,
    updated_at: release.updatedAt,
    user: {email: release.userEmail, id: release.userId},
    version: release.version,
  }
}

export function presentSlug(slug: SlugRecord): Slug {
  return {
    blob: {method: 'get', url: `file://${slug.blobPath}`},
    buildpack_provided_description: slug.buildpackProvidedDescription,
    checksum: slug.checksum,
    commit: slug.commit,
    commit_description: slug.commitDescription,
    created_at: slug.createdAt,
    id: slug.id,
    process_types: slug.processTypes,
    size: slug.size,
    stack: stackRef(slug.stack),
    updated_at: slug.updatedAt,
  }
}

export function presentFormation(f: FormationRecord): Formation {
  return {
    app: {id: f.appId, name: f.appName},
    command: f.command,
    created_at: f.createdAt,
    dyno_size: dynoSize(f.size),
    id: f.id,
    quantity: f.quantity,
    size: f.size,
    type: f.type,
    updated_at: f.updatedAt,
  }
}

export function presentBuildpackInstallation(b: BuildpackInstallationRecord): BuildpackInstallation {
  return {buildpack: {name: b.name, url: b.url}, ordinal: b.ordinal}
}
