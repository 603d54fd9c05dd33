// The add-on manager: provisions and deprovisions databases/instances on the platform's servers, attaches them to
// apps (config var + release + dyno restart, the path config:set takes) and supervises the servers: started lazily by
// the first add-on of their kind, at platform start when add-ons exist, restarted on crash, stopped with the platform.
import {randomBytes, randomUUID} from 'node:crypto'

import type {AddonServerInfo} from '../../api/types.js'
import type {PlatformContext} from '../context.js'
import type {AppRecord, ReleaseRecord} from '../store/index.js'

import {HttpError, invalidParams, unavailable} from '../errors.js'
import {type Backup, PgBackups} from './backups.js'
import {resolvePlan, type ServiceDef, unknownPlanMessage} from './catalog.js'
import type {PostgresCluster} from './postgres.js'
import type {RedisInstance} from './redis.js'
import {type AddonRecord, AddonStore, type AttachmentRecord} from './store.js'

export interface CreateAddonInput {
  /** Attachment name (`--as`); default DATABASE / REDIS, then a colour name. */
  attachmentName?: string
  /** Add-on name (`--name`); default `postgresql-<adjective>-<n>`. */
  name?: string
  /** `heroku-postgresql`, `heroku-postgresql:essential-0`, `heroku-redis:mini`, or a plan id. */
  spec: string
}

export class AddonManager {
  readonly backups: PgBackups
  readonly records: AddonStore
  private postgres?: PostgresCluster
  private readonly redis = new Map<string, RedisInstance>()
  private closed = false

  constructor(private readonly ctx: Pick<PlatformContext, 'config' | 'paths' | 'releases' | 'store'>) {
    this.records = new AddonStore(ctx.store)
    this.backups = new PgBackups(ctx.paths.dataDir, ctx.config.postgresBin)
  }

  // The server modules (child processes, sockets) load with the first add-on, not with every platform start.
  private async cluster(): Promise<PostgresCluster> {
    if (!this.postgres) {
      const {PostgresCluster} = await import('./postgres.js')
      this.postgres ??= new PostgresCluster(this.ctx.paths.dataDir, this.ctx.config.postgresBin)
    }

    return this.postgres
  }

  private async redisInstance(id: string, secret: string, port: number): Promise<RedisInstance> {
    const {RedisInstance} = await import('./redis.js')
    return new RedisInstance(this.ctx.paths.dataDir, id, secret, port)
  }

  /** Platform start: start the servers existing add-ons need; a server that had to move port updates its apps' URLs. */
  async startExisting(): Promise<void> {
    for (const addon of this.records.list()) {
      if (this.closed) return
      try {
        if (addon.state === 'provisioning') {
          // The platform stopped in the middle of a create: finish the job the other way.
          await this.deprovision(addon).catch(() => {})
          this.records.remove(addon.id)
          continue
        }

        await this.ensureRunning(addon)
      } catch (error) {
        console.error(`[ferry] add-on ${addon.name} could not start:`, (error as Error).message)
      }
    }
  }

  private async ensureRunning(addon: AddonRecord): Promise<void> {
    if (this.records.serviceOf(addon).kind === 'postgres') {
      const cluster = await this.cluster()
      await cluster.ensureStarted()
      const url = cluster.url(addon.id, addon.secret)
      if (url !== addon.url) this.released(this.records.updateUrl(addon, url, cluster.port))
      return
    }

    const instance = await this.redisInstance(addon.id, addon.secret, addon.port) // no side effect until start()
    if (this.redis.has(addon.id)) return
    this.redis.set(addon.id, instance)
    await instance.start()
    if (instance.url !== addon.url) this.released(this.records.updateUrl(addon, instance.url, instance.port))
  }

  /** Creates an add-on owned by `app` and attaches it; 422 for an unknown service/plan or a bad name (nothing created). */
  async create(app: AppRecord, input: CreateAddonInput): Promise<{addon: AddonRecord; attachment: AttachmentRecord}> {
    const resolved = resolvePlan(input.spec)
    if (!resolved) throw invalidParams(unknownPlanMessage(input.spec))
    const {plan, service} = resolved
    if (input.name !== undefined) this.records.checkName(input.name)
    const attachmentName = input.attachmentName?.toUpperCase() ?? this.records.defaultAttachmentName(app.id, service)
    this.records.checkAttachmentName(app.id, attachmentName)
    const id = randomUUID()
    const secret = randomBytes(24).toString('hex')
    const name = input.name ?? this.records.generateName(service)
    let addon = this.records.insert({appId: app.id, id, name, plan: `${service.name}:${plan.name}`, port: 0, secret, service: service.name, url: ''})
    try {
      const {port, url} = await this.provision(service, id, secret)
      this.records.provisioned(id, url, port)
      addon = this.records.get(id)
      const {attachment, release} = this.records.attach(addon, app.id, attachmentName)
      this.released(release ? [release] : [])
      return {addon, attachment}
    } catch (error) {
      await this.deprovision(addon).catch(() => {})
      this.records.remove(id)
      if (error instanceof HttpError || (error as {name?: string}).name === 'StoreError') throw error
      throw unavailable(`Could not provision ${service.name}: ${(error as Error).message}`)
    }
  }

  private async provision(service: ServiceDef, id: string, secret: string): Promise<{port: number; url: string}> {
    if (service.kind === 'postgres') {
      const cluster = await this.cluster()
      const url = await cluster.createDatabase(id, secret)
      return {port: cluster.port, url}
    }

    const instance = await this.redisInstance(id, secret, 0)
    this.redis.set(id, instance)
    await instance.start()
    return {port: instance.port, url: instance.url}
  }

  private async deprovision(addon: AddonRecord): Promise<void> {
    if (this.records.serviceOf(addon).kind === 'postgres') {
      await (await this.cluster()).dropDatabase(addon.id)
      return
    }

    const instance = this.redis.get(addon.id) ?? await this.redisInstance(addon.id, addon.secret, addon.port)
    this.redis.delete(addon.id)
    await instance.destroy()
  }

  /** Detaches it everywhere (a release per app), removes its data and its row. */
  async destroy(addon: AddonRecord): Promise<void> {
    for (const attachment of this.records.attachments({addonId: addon.id})) this.detach(attachment)
    this.records.remove(addon.id)
    await this.deprovision(addon)
  }

  attach(addon: AddonRecord, app: AppRecord, name?: string): AttachmentRecord {
    if (addon.state !== 'provisioned') throw invalidParams(`Add-on ${addon.name} is still being provisioned; try again in a moment.`)
    const attachmentName = name?.toUpperCase() ?? this.records.defaultAttachmentName(app.id, this.records.serviceOf(addon))
    const {attachment, release} = this.records.attach(addon, app.id, attachmentName)
    this.released(release ? [release] : [])
    return attachment
  }

  detach(attachment: AttachmentRecord): void {
    const release = this.records.detach(attachment)
    this.released(release ? [release] : [])
  }

  /** pg:reset / redis flush: the add-on's data is emptied, its URL stays. */
  async reset(addon: AddonRecord): Promise<void> {
    if (this.records.serviceOf(addon).kind === 'postgres') {
      await (await this.cluster()).resetDatabase(addon.id)
      return
    }

    await this.ensureRunning(addon)
    const instance = this.redis.get(addon.id)!
    const {redisCommand} = await import('./redis.js')
    await redisCommand(instance.port, addon.secret, ['FLUSHALL'])
  }

  /** pg:backups:capture of an add-on attached to `app` (as `source`). */
  async capture(appId: string, addon: AddonRecord, source: string): Promise<Backup> {
    if (this.records.serviceOf(addon).kind !== 'postgres') throw invalidParams(`${addon.name} is not a heroku-postgresql add-on: only databases have backups.`)
    await (await this.cluster()).ensureStarted()
    return this.backups.capture(appId, addon, source)
  }

  /** pg:backups:restore: the add-on's database is emptied, then the backup loaded. */
  async restore(appId: string, backup: Backup, addon: AddonRecord): Promise<void> {
    if (this.records.serviceOf(addon).kind !== 'postgres') throw invalidParams(`${addon.name} is not a heroku-postgresql add-on.`)
    await this.reset(addon)
    await this.backups.restore(appId, backup, addon)
  }

  /** What pg:info / redis:info show, and the server's pid (tests kill it to check the supervision). */
  async info(addon: AddonRecord): Promise<AddonServerInfo & {pid: null | number}> {
    const kind = this.records.serviceOf(addon).kind
    if (kind === 'postgres') {
      const cluster = await this.cluster()
      return {info: await cluster.info(addon.id), kind, pid: cluster.pid ?? null, running: cluster.running}
    }

    await this.ensureRunning(addon)
    const instance = this.redis.get(addon.id)!
    return {info: await instance.info(), kind, pid: instance.pid ?? null, running: instance.running}
  }

  /**
   * Called by DELETE /apps/:app before the app's rows go: the add-ons it owns are detached from other apps now, and
   * their data removed once the rows cascade away.
   */
  onAppDeleted(appId: string): void {
    const owned = this.records.list(appId)
    for (const addon of owned) {
      for (const attachment of this.records.attachments({addonId: addon.id})) if (attachment.appId !== appId) this.detach(attachment)
    }

    this.backups.removeApp(appId)
    for (const addon of owned) {
      this.deprovision(addon).catch(error => console.error(`[ferry] removing the data of add-on ${addon.name} failed:`, (error as Error).message))
    }
  }

  /** Stops every server (platform shutdown). */
  async shutdown(): Promise<void> {
    this.closed = true
    await Promise.all([this.postgres?.stop(), ...[...this.redis.values()].map(r => r.stop())])
    this.redis.clear()
  }

  private released(releases: ReleaseRecord[]): void {
    // An add-on's config var follows its attachment: a failed release phase leaves it set (not restored).
    this.ctx.releases.settleInBackground(releases, {followCurrentSlug: true, restoreConfig: false})
  }
}
