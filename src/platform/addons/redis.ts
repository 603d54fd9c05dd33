// One redis-server per heroku-redis add-on (data under <data dir>/addons/redis/<add-on id>/). Redis ACLs can limit a
// user to key patterns but not to a keyspace of its own, and apps use plain key names, so an instance per add-on is
// the only way to give each app the whole keyspace, FLUSHALL included, without seeing another app's keys. One
// instance starts in ~60 ms and idles at ~7 MB PSS (12 MB RSS).
import {randomBytes} from 'node:crypto'
import {mkdirSync, rmSync, writeFileSync} from 'node:fs'
import {connect} from 'node:net'
import {join} from 'node:path'

import {redisServerBinary} from './binaries.js'
import {choosePort, waitUntil} from '../ports.js'
import {SupervisedProcess} from './proc.js'

export function redisPassword(): string {
  return randomBytes(24).toString('hex')
}

/** Sends commands (RESP inline) with the password and returns the raw reply text, or rejects. */
export function redisCommand(port: number, password: string, commands: string[], timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let reply = ''
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error('redis did not answer'))
    }, timeoutMs)
    socket.setEncoding('utf8')
    socket.on('data', d => {
      reply += d
    })
    socket.once('error', error => {
      clearTimeout(timer)
      reject(error)
    })
    socket.once('close', () => {
      clearTimeout(timer)
      resolve(reply)
    })
    socket.write([`AUTH ${password}`, ...commands, 'QUIT'].map(c => `${c}\r\n`).join(''))
  })
}

export class RedisInstance {
  readonly dir: string
  private proc?: SupervisedProcess

  constructor(
    private readonly platformDataDir: string,
    readonly addonId: string,
    readonly password: string,
    public port: number,
  ) {
    if (!/^[\da-f-]{36}$/.test(addonId)) throw new Error(`bad add-on id ${addonId}`)
    this.dir = join(platformDataDir, 'addons', 'redis', addonId)
  }

  get pid(): number | undefined {
    return this.proc?.pid
  }

  get running(): boolean {
    return this.proc?.running ?? false
  }

  get url(): string {
    return `redis://default:${this.password}@127.0.0.1:${this.port}`
  }

  /** Starts it on its last port when free (else another one: check `port` afterwards) and waits until it answers PING. */
  async start(): Promise<void> {
    const binary = redisServerBinary()
    mkdirSync(this.dir, {mode: 0o700, recursive: true})
    this.port = await choosePort(this.port || undefined)
    // The password goes in a 0600 file, never argv (other host users can read argv).
    const conf = join(this.dir, 'redis.conf')
    writeFileSync(
      conf,
      [
        'bind 127.0.0.1',
        `port ${this.port}`,
        `requirepass ${this.password}`,
        'protected-mode yes',
        `dir ${this.dir}`,
        'appendonly yes',
        'appendfsync everysec',
        'save 3600 1 300 100 60 10000',
        'daemonize no',
        'logfile ""',
        '',
      ].join('\n'),
      {mode: 0o600},
    )
    this.proc = new SupervisedProcess({
      args: [conf],
      command: binary,
      dataDir: this.dir,
      hide: [this.platformDataDir],
      logFile: join(this.dir, 'server.log'),
      name: `redis ${this.addonId}`,
      stopSignal: 'SIGTERM',
    })
    this.proc.start()
    await this.waitReady()
  }

  waitReady(timeoutMs = 15_000): Promise<void> {
    return waitUntil(async () => (await redisCommand(this.port, this.password, ['PING'])).includes('+PONG'), timeoutMs, 'Redis')
  }

  async info(): Promise<Array<{name: string; values: string[]}>> {
    const raw = await redisCommand(this.port, this.password, ['INFO'])
    const field = (key: string) => new RegExp(`^${key}:(.*)$`, 'm').exec(raw)?.[1]?.trim() ?? ''
    return [
      {name: 'Version', values: [field('redis_version')]},
      {name: 'Status', values: ['available']},
      {name: 'Uptime', values: [`${field('uptime_in_seconds')} s`]},
      {name: 'Memory', values: [field('used_memory_human')]},
      {name: 'Clients', values: [field('connected_clients')]},
      {name: 'Keys', values: [/^db0:keys=(\d+)/m.exec(raw)?.[1] ?? '0']},
    ]
  }

  async stop(): Promise<void> {
    await this.proc?.stop()
    this.proc = undefined
  }

  /** Stops it and removes its data. */
  async destroy(): Promise<void> {
    await this.stop()
    rmSync(this.dir, {force: true, recursive: true})
  }
}
