// The platform config loader: every FERRY_* variable the daemon honours, its default, and a clear error for a bad value.
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {loadPlatformConfig, PlatformConfigError} from '../../src/platform/config.js'
import {HEAD_TIMEOUT_MS} from '../../src/platform/context.js'
import {routerConnectionLimit} from '../../src/platform/router/index.js'

const MB = 1024 * 1024
// Node router: the default engine depends on whether dist/native/ferry-router is built, which this test must not.
const base = {FERRY_HOME: '/srv/ferry-home', FERRY_ROUTER_ENGINE: 'node'}

describe('loadPlatformConfig', () => {
  it('fills in the documented defaults', () => {
    const {config, port, routerPort} = loadPlatformConfig(base)
    expect(config).toEqual({
      bootTimeoutMs: 60_000,
      buildLogsKept: 20,
      buildOutputMaxBytes: 20 * MB,
      buildOutputMemoryBytes: MB,
      buildTimeoutMs: 15 * 60_000,
      dataDir: '/srv/ferry-home/data',
      headTimeoutMs: HEAD_TIMEOUT_MS,
      host: '127.0.0.1',
      isolationForced: undefined,
      logRetentionBytes: 64 * MB,
      logRetentionLines: 100_000,
      logTotalBytes: 512 * MB,
      postgresBin: undefined,
      releaseTimeoutMs: 60 * 60_000,
      restartBackoffBaseMs: 1000,
      restartBackoffMaxMs: 5 * 60_000,
      routerBinary: undefined,
      routerEngine: 'node',
      routerMaxConnections: routerConnectionLimit(),
      slugMaxBytes: undefined,
      slugWarnBytes: undefined,
      sourceMaxBytes: 512 * MB,
      stopGraceMs: 30_000,
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
    })
    expect(port).toBeUndefined()
    expect(routerPort).toBeUndefined()
  })

  it('takes the data dir from XDG_DATA_HOME, then HOME, when FERRY_HOME is unset', () => {
    expect(loadPlatformConfig({FERRY_ROUTER_ENGINE: 'node', XDG_DATA_HOME: '/x/share'}).config.dataDir).toBe('/x/share/ferry')
    expect(loadPlatformConfig({FERRY_ROUTER_ENGINE: 'node', HOME: '/home/u'}).config.dataDir).toBe(join('/home/u', '.local', 'share', 'ferry'))
  })

  it('parses every variable', () => {
    const settings = loadPlatformConfig({
      ...base,
      FERRY_BOOT_TIMEOUT_MS: '1001',
      FERRY_BUILD_LOGS_KEPT: '3',
      FERRY_BUILD_OUTPUT_MAX_BYTES: '1002',
      FERRY_BUILD_OUTPUT_MEMORY_BYTES: '1003',
      FERRY_BUILD_TIMEOUT_MS: '1004',
      FERRY_HEAD_TIMEOUT_MS: '1005',
      FERRY_ISOLATION: 'none',
      FERRY_LOG_RETENTION_BYTES: '1006',
      FERRY_LOG_RETENTION_LINES: '1007',
      FERRY_LOG_TOTAL_BYTES: '1008',
      FERRY_PORT: '0',
      FERRY_POSTGRES_BIN: '/opt/pg/bin',
      FERRY_RELEASE_TIMEOUT_MS: '1009',
      FERRY_RESTART_BACKOFF_BASE_MS: '1016',
      FERRY_RESTART_BACKOFF_MAX_MS: '1017',
      FERRY_ROUTER_MAX_CONNECTIONS: '1010',
      FERRY_ROUTER_PORT: '5011',
      FERRY_SLUG_MAX_BYTES: '1012',
      FERRY_SLUG_WARN_BYTES: '1013',
      FERRY_SOURCE_MAX_BYTES: '1014',
      FERRY_STOP_GRACE_MS: '1015',
    })
    expect(settings).toMatchObject({
      config: {
        bootTimeoutMs: 1001,
        buildLogsKept: 3,
        buildOutputMaxBytes: 1002,
        buildOutputMemoryBytes: 1003,
        buildTimeoutMs: 1004,
        headTimeoutMs: 1005,
        isolationForced: 'none',
        logRetentionBytes: 1006,
        logRetentionLines: 1007,
        logTotalBytes: 1008,
        postgresBin: '/opt/pg/bin',
        releaseTimeoutMs: 1009,
        restartBackoffBaseMs: 1016,
        restartBackoffMaxMs: 1017,
        routerMaxConnections: 1010,
        slugMaxBytes: 1012,
        slugWarnBytes: 1013,
        sourceMaxBytes: 1014,
        stopGraceMs: 1015,
      },
      port: 0,
      routerPort: 5011,
    })
    expect(loadPlatformConfig({...base, FERRY_ISOLATION: 'bwrap'}).config.isolationForced).toBe('bwrap')
  })

  it('treats an empty variable as unset', () => {
    expect(loadPlatformConfig({...base, FERRY_ISOLATION: '', FERRY_PORT: '', FERRY_STOP_GRACE_MS: ''})).toMatchObject({config: {isolationForced: undefined, stopGraceMs: 30_000}, port: undefined})
  })

  it.each([
    ['FERRY_STOP_GRACE_MS', '-1', /^FERRY_STOP_GRACE_MS must be a non-negative integer, got "-1"\.$/],
    ['FERRY_LOG_RETENTION_LINES', '1e', /^FERRY_LOG_RETENTION_LINES must be a non-negative integer, got "1e"\.$/],
    ['FERRY_BUILD_TIMEOUT_MS', '2.5', /^FERRY_BUILD_TIMEOUT_MS must be a non-negative integer/],
    ['FERRY_PORT', 'abc', /^FERRY_PORT must be a non-negative integer, got "abc"\.$/],
    ['FERRY_ROUTER_PORT', '70000', /^FERRY_ROUTER_PORT must be a port number \(0-65535\), got "70000"\.$/],
    ['FERRY_RELEASE_TIMEOUT_MS', '0', /^FERRY_RELEASE_TIMEOUT_MS must be a positive integer, got "0"\.$/],
    ['FERRY_SOURCE_MAX_BYTES', 'lots', /^FERRY_SOURCE_MAX_BYTES must be a positive integer, got "lots"\.$/],
    ['FERRY_SLUG_MAX_BYTES', '-5', /^FERRY_SLUG_MAX_BYTES must be a positive integer/],
    ['FERRY_RESTART_BACKOFF_MAX_MS', 'x', /^FERRY_RESTART_BACKOFF_MAX_MS must be a non-negative integer/],
    ['FERRY_SLUG_WARN_BYTES', '0', /^FERRY_SLUG_WARN_BYTES must be a positive integer/],
    ['FERRY_ISOLATION', 'off', /^FERRY_ISOLATION must be one of none, bwrap .*got "off"\.$/],
    ['FERRY_ROUTER_ENGINE', 'fast', /^FERRY_ROUTER_ENGINE must be "native" or "node", got "fast"\.$/],
    ['FERRY_ROUTER_BINARY', '/nonexistent/ferry-router', /^FERRY_ROUTER_BINARY must name an executable ferry-router build/],
  ])('refuses %s=%s with an error naming the variable', (name, value, message) => {
    let error: unknown
    try {
      loadPlatformConfig({...base, [name]: value})
    } catch (error_) {
      error = error_
    }

    expect(error).toBeInstanceOf(PlatformConfigError)
    expect((error as Error).message).toMatch(message)
  })
})
