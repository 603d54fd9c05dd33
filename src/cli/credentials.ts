// The token git should use for a host (git:credentials), without starting the local daemon.
import {chooseBackend, remoteToken} from '../api/backends.js'
import {daemonListening, readDaemonInfo, readToken} from '../api/launcher.js'
import {dataDir} from '../api/paths.js'

export async function credentialsFor(protocol: string | undefined, host: string | undefined): Promise<string | undefined> {
  if (!host || (protocol !== 'http' && protocol !== 'https')) return undefined
  const choice = await chooseBackend(process.env)
  if (choice.kind === 'local') {
    const info = readDaemonInfo(dataDir())
    if (!info) return undefined
    const hosts = [new URL(info.url).host, `127.0.0.1:${info.routerPort}`, `localhost:${info.port}`, `localhost:${info.routerPort}`]
    if (!hosts.includes(host)) return undefined
    // daemon.json outlives a crashed daemon, and then anyone may listen on its port: the token goes only to a port
    // the daemon itself (same pid, same start time, not a zombie) listens on.
    return daemonListening(info, Number(new URL(`${protocol}://${host}`).port)) ? readToken(dataDir()) : undefined
  }

  // Heroku serves git from git.heroku.com with the API token; other backends serve git on the API's host.
  const hosts = choice.kind === 'heroku' ? [new URL(choice.url!).host, 'git.heroku.com'] : [new URL(choice.url!).host]
  return hosts.includes(host) ? remoteToken(choice) : undefined
}
