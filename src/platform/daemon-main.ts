// The background daemon's process: start the platform, log where it listens, stop it on SIGTERM/SIGINT. Reached through
// main.ts (`node dist/platform/main.js`, env FERRY_HOME, FERRY_PORT, FERRY_ROUTER_PORT, …), from the bundle when built.
import {PlatformStartError, startPlatform} from './daemon.js'

export async function main(): Promise<void> {
  let platform: Awaited<ReturnType<typeof startPlatform>>
  try {
    platform = await startPlatform()
  } catch (error) {
    console.error(error instanceof PlatformStartError ? `ferry platform: ${error.message}` : error)
    process.exit(1)
  }

  const {info} = platform
  console.error(`[ferry] platform ${info.version} listening on ${info.url} (router port ${info.routerPort}, isolation ${info.isolation}, pid ${info.pid}, data ${info.dataDir})`)

  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    console.error(`[ferry] ${signal}: stopping`)
    await platform.close()
    process.exit(0)
  }

  process.on('SIGTERM', () => void stop('SIGTERM'))
  process.on('SIGINT', () => void stop('SIGINT'))
  process.on('unhandledRejection', error => console.error('[ferry] unhandled rejection:', error))
}
