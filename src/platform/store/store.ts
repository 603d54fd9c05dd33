// The platform's source of truth: SQLite via better-sqlite3, one repository per aggregate (apps, config vars,
// releases, slugs, formation, builds, app settings, domains) over one connection. Every mutation is one (IMMEDIATE)
// transaction; release versions are assigned inside it, so concurrent changes never lose or duplicate a vN.
// This class is the facade the platform calls: it wires the repositories and joins the two changes that span
// aggregates (an app with its first releases, a config change with its release) in one transaction.
import type BetterSqlite3 from 'better-sqlite3'

import {dirname} from 'node:path'

import type {DesiredApp} from '../context.js'
import type {BuildpackInstallationRecord, FeatureRecord} from './app-settings.js'
import type {BuildRecord, BuildStatus, CreateBuildInput} from './builds.js'
import type {DomainRecord} from './domains.js'
import type {FormationRecord} from './formation.js'
import type {CreateReleaseOptions, ReleaseRecord} from './releases.js'
import type {CreateSlugInput, SlugRecord} from './slugs.js'
import type {ConfigVars, ConfigVarsPatch, FormationChange} from './types.js'

import {type AccountRecord, AccountRepository} from './account.js'
import {BuildpacksRepository, FeaturesRepository} from './app-settings.js'
import {type AppRecord, AppsRepository} from './apps.js'
import {BuildsRepository} from './builds.js'
import {ConfigVarsRepository, validateConfigPatch} from './config-vars.js'
import {Connection, type Statement} from './connection.js'
import {DomainsRepository} from './domains.js'
import {FormationRepository} from './formation.js'
import {ReleasesRepository} from './releases.js'
import {SlugsRepository} from './slugs.js'

export interface StoreOptions {
  /** Directory of slug tarballs (default: `slugs/` beside the database). */
  dataDir?: string
  dbPath: string
  now?: () => Date
}

export interface ConfigChange {
  config: ConfigVars
  /** The release created for the change, or null when the patch changed nothing. */
  release: null | ReleaseRecord
}

export class Store {
  readonly db: BetterSqlite3.Database
  private readonly accounts: AccountRepository
  private readonly apps: AppsRepository
  private readonly buildpacks: BuildpacksRepository
  private readonly builds: BuildsRepository
  private readonly config: ConfigVarsRepository
  private readonly conn: Connection
  private readonly domains: DomainsRepository
  private readonly featureFlags: FeaturesRepository
  private readonly formations: FormationRepository
  private readonly releases: ReleasesRepository
  private readonly slugs: SlugsRepository

  constructor(options: StoreOptions) {
    const dataDir = options.dataDir ?? dirname(options.dbPath)
    const conn = new Connection(options.dbPath, options.now ?? (() => new Date()))
    const account = new AccountRepository(conn)
    const apps = new AppsRepository(conn)
    const slugs = new SlugsRepository(conn, apps, dataDir)
    const config = new ConfigVarsRepository(conn)
    const formation = new FormationRepository(conn, apps, slugs)
    this.conn = conn
    this.db = conn.db
    this.accounts = account
    this.apps = apps
    this.slugs = slugs
    this.config = config
    this.formations = formation
    this.releases = new ReleasesRepository(conn, {account, apps, config, formation, slugs})
    this.builds = new BuildsRepository(conn, account, apps, dataDir)
    this.buildpacks = new BuildpacksRepository(conn, apps)
    this.featureFlags = new FeaturesRepository(conn, apps)
    this.domains = new DomainsRepository(conn)
    account.ensure()
  }

  close(): void {
    this.conn.close()
  }

  /** The cached prepared statement for this SQL (see Connection.sql): for the tables other parts own (add-ons). */
  sql(text: string): Statement {
    return this.conn.sql(text)
  }

  /** Runs fn in one IMMEDIATE transaction (takes the write lock up front, so read-then-write is safe across connections). */
  transaction<T>(fn: () => T): T {
    return this.conn.transaction(fn)
  }

  account(): AccountRecord {
    return this.accounts.get()
  }

  // ---- apps (apps.ts) ----

  listApps(): AppRecord[] {
    return this.apps.list()
  }

  /** Finds an app by name or id; null when unknown. */
  findApp(nameOrId: string): AppRecord | null {
    return this.apps.lookup(nameOrId)
  }

  /** The app a custom domain routes to; null when no app has it. */
  findAppByDomain(hostname: string): AppRecord | null {
    return this.apps.findByDomain(hostname)
  }

  /** Like findApp but throws not_found "Couldn't find that app." */
  getApp(nameOrId: string): AppRecord {
    return this.apps.get(nameOrId)
  }

  /** Creates an app with v1 "Initial release" and v2 "Enable Logplex". */
  createApp(input: {name?: string; stack?: string} = {}): AppRecord {
    return this.conn.transaction(() => {
      const id = this.apps.insert(input)
      this.releases.insert({appId: id, config: {}, description: 'Initial release', slugId: null})
      this.releases.insert({appId: id, config: {}, description: 'Enable Logplex', slugId: null})
      return this.apps.get(id)
    })
  }

  updateApp(nameOrId: string, changes: {buildStack?: string; maintenance?: boolean; name?: string}): AppRecord {
    return this.apps.update(nameOrId, changes)
  }

  /** Sets build-derived app fields (after a successful build). */
  setAppBuildInfo(appId: string, info: {buildpackProvidedDescription?: null | string; repoSize?: null | number}): void {
    this.apps.setBuildInfo(appId, info)
  }

  /** Deletes an app and everything it owns (cascade); returns the deleted app. */
  deleteApp(nameOrId: string): AppRecord {
    return this.apps.delete(nameOrId)
  }

  // ---- config vars (config-vars.ts) ----

  configVars(appId: string): ConfigVars {
    return this.config.get(appId)
  }

  /** Merges a patch (null removes a key). A real change creates a release copying the current slug; a no-op creates nothing. */
  updateConfigVars(appId: string, patch: ConfigVarsPatch): ConfigChange {
    validateConfigPatch(patch)
    return this.conn.transaction(() => {
      const app = this.apps.get(appId)
      const {config, description} = this.config.apply(app, patch)
      if (description === null) return {config, release: null}
      const current = this.releases.current(app.id)
      return {config, release: this.releases.insert({appId: app.id, config, description, slugId: current?.slugId ?? null})}
    })
  }

  // ---- releases (releases.ts) ----

  listReleases(appId: string): ReleaseRecord[] {
    return this.releases.list(appId)
  }

  /** A release by id or version (`5` or `v5`); null when unknown. */
  findRelease(appId: string, idOrVersion: number | string): null | ReleaseRecord {
    return this.releases.lookup(appId, idOrVersion)
  }

  getRelease(appId: string, idOrVersion: number | string): ReleaseRecord {
    return this.releases.get(appId, idOrVersion)
  }

  /** The latest succeeded release (Heroku's `current`), or null. */
  currentRelease(appId: string): null | ReleaseRecord {
    return this.releases.current(appId)
  }

  /** The highest-numbered release, whatever its status. */
  latestRelease(appId: string): null | ReleaseRecord {
    return this.releases.latest(appId)
  }

  createRelease(options: CreateReleaseOptions): ReleaseRecord {
    return this.releases.create(options)
  }

  setReleaseStatus(releaseId: string, status: 'expired' | 'failed' | 'succeeded', options: {restoreConfig?: boolean} = {}): ReleaseRecord {
    return this.releases.setStatus(releaseId, status, options)
  }

  setPendingReleaseSlug(releaseId: string, slugId: null | string): void {
    this.releases.setPendingSlug(releaseId, slugId)
  }

  setReleaseOutputStreamUrl(releaseId: string, url: string): void {
    this.releases.setOutputStreamUrl(releaseId, url)
  }

  rollback(appId: string, target: number | string): ReleaseRecord {
    return this.releases.rollback(appId, target)
  }

  // ---- slugs (slugs.ts) ----

  createSlug(input: CreateSlugInput): SlugRecord {
    return this.slugs.create(input)
  }

  listSlugs(appId: string): SlugRecord[] {
    return this.slugs.list(appId)
  }

  findSlug(appId: string, slugId: string): null | SlugRecord {
    return this.slugs.lookup(appId, slugId)
  }

  getSlug(appId: string, slugId: string): SlugRecord {
    return this.slugs.get(appId, slugId)
  }

  // ---- formation (formation.ts) ----

  formation(appId: string): FormationRecord[] {
    return this.formations.list(appId)
  }

  getFormation(appId: string, idOrType: string): FormationRecord {
    return this.formations.get(appId, idOrType)
  }

  updateFormation(appId: string, updates: FormationChange[]): FormationRecord[] {
    return this.formations.update(appId, updates)
  }

  /** What should run for an app: current release's slug + config, and the formation; null when the app is gone. */
  desired(appId: string): DesiredApp | null {
    const app = this.apps.lookup(appId)
    if (!app) return null
    const current = this.releases.current(app.id)
    const slug = current?.slugId ? this.slugs.lookup(app.id, current.slugId) : null
    return {
      appId: app.id,
      appName: app.name,
      formation: this.formations.list(app.id).map(f => ({command: f.command, quantity: f.quantity, size: f.size, type: f.type})),
      release: current && slug ? {env: current.config, id: current.id, slugPath: slug.blobPath, version: current.version} : null,
    }
  }

  // ---- builds (builds.ts) ----

  createBuild(input: CreateBuildInput): BuildRecord {
    return this.builds.create(input)
  }

  updateBuild(buildId: string, changes: {releaseId?: null | string; slugId?: null | string; status?: BuildStatus}): BuildRecord {
    return this.builds.update(buildId, changes)
  }

  listBuilds(appId: string): BuildRecord[] {
    return this.builds.list(appId)
  }

  findBuild(appId: string, buildId: string): BuildRecord | null {
    return this.builds.lookup(appId, buildId)
  }

  /** A build by id alone (primary key: O(1) whatever the number of apps), or null. */
  findBuildById(buildId: string): BuildRecord | null {
    return this.builds.lookupById(buildId)
  }

  getBuild(appId: string, buildId: string): BuildRecord {
    return this.builds.get(appId, buildId)
  }

  // ---- buildpacks and features (app-settings.ts) ----

  buildpackInstallations(appId: string): BuildpackInstallationRecord[] {
    return this.buildpacks.list(appId)
  }

  /** Replaces the app's buildpack list (ordinals 0..n-1). */
  setBuildpackInstallations(appId: string, buildpacks: Array<{name: string; url: string}>): BuildpackInstallationRecord[] {
    return this.buildpacks.set(appId, buildpacks)
  }

  feature(appId: string, name: string): boolean {
    return this.featureFlags.enabled(appId, name)
  }

  features(appId: string): FeatureRecord[] {
    return this.featureFlags.list(appId)
  }

  setFeature(appId: string, name: string, enabled: boolean): void {
    this.featureFlags.set(appId, name, enabled)
  }

  // ---- custom domains (domains.ts) ----

  listDomains(appId: string): DomainRecord[] {
    return this.domains.list(appId)
  }

  findDomain(appId: string, idOrHostname: string): DomainRecord | null {
    return this.domains.lookup(appId, idOrHostname)
  }

  addDomain(appId: string, hostname: unknown, at?: string): DomainRecord {
    return this.domains.add(appId, hostname, at)
  }

  removeDomain(appId: string, idOrHostname: string): DomainRecord {
    return this.domains.remove(appId, idOrHostname)
  }
}
