// The platform's public addresses, built from its config: the API (and git) on the API port, apps on the router.
// Neutral ground: the API presenters, the deploy pipeline and the git endpoint all need them.
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
