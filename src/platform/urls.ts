// The platform's public addresses, built from its config: the API (and git) on the API port, apps on the router.
// Neutral ground: the API presenters, the deploy pipeline and the git endpoint all need them.
import {createHmac} from 'node:crypto'

import type {PlatformConfig} from './context.js'

export function apiUrl(config: PlatformConfig): string {
  return `http://${config.host}:${config.port}`
}

export function webUrl(config: PlatformConfig, appName: string): string {
  return `http://${appName}.localhost:${config.routerPort}/`
}

export function gitUrl(config: PlatformConfig, appName: string): string {
  return `${apiUrl(config)}/${appName}.git`
}

/** Capability URL of a build's output (live while building, replayed afterwards): the build id and its secret. */
export function buildOutputUrl(config: PlatformConfig, buildId: string): string {
  return `${apiUrl(config)}/ferry/build-output/${buildId}/${capabilitySecret(config, 'build', buildId)}`
}

/** An unguessable secret for a capability URL (`kind` + id), derived from the platform token (nothing to store). */
export function capabilitySecret(config: PlatformConfig, kind: string, id: string): string {
  return createHmac('sha256', config.token).update(`${kind}:${id}`).digest('hex').slice(0, 40)
}
