// Logs: the platform's log service (logplex lines, ring + files, rotation) and log sessions (SSE).
import path from 'node:path'

import type {PlatformConfig} from '../context.js'

import {FileLogService} from './service.js'

export {formatLine, formatTimestamp, isSingleLine, matchesFilter, MAX_LINE_BYTES, nowMicros, parseLine, splitMessage} from './format.js'
export {FileLogService, type FileLogServiceOptions} from './service.js'
// Log sessions (SSE) live in ./sessions.js, loaded by the API server on the first log session.

/** The daemon's log service: `<dataDir>/logs/<appId>/`, retention from the config (FERRY_LOG_RETENTION_*). */
export function createFileLogService(config: Pick<PlatformConfig, 'dataDir' | 'logRetentionBytes' | 'logRetentionLines' | 'logTotalBytes'>): FileLogService {
  return new FileLogService({
    dir: path.join(config.dataDir, 'logs'),
    retentionBytes: config.logRetentionBytes,
    retentionLines: config.logRetentionLines,
    totalBytes: config.logTotalBytes,
  })
}
