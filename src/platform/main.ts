// Entry point of the background daemon: `node dist/platform/main.js` (env FERRY_HOME, FERRY_PORT, FERRY_ROUTER_PORT, …).
// `npm run build` also bundles the daemon (scripts/bundle-daemon.mjs → dist/daemon/main.js): one module graph of a few
// chunks instead of ~70 ES modules, which keeps an idle daemon ~3 MB smaller (module records, loader state; measured in
// bench/rows/memory.js). The bundle is used when it is at least as new as this build's daemon-main.js, so a `tsc`-only
// rebuild never runs a stale bundle; running the sources (tsx) or a build without esbuild loads the modules directly.
import {statSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

function mtime(url: URL): number | undefined {
  try {
    return statSync(fileURLToPath(url)).mtimeMs
  } catch {
    return undefined
  }
}

const bundle = new URL('../daemon/main.js', import.meta.url)
const bundled = mtime(bundle)
const built = mtime(new URL('daemon-main.js', import.meta.url))
const entry: {main(): Promise<void>} =
  bundled !== undefined && built !== undefined && bundled >= built ? await import(bundle.href) : await import('./daemon-main.js')
await entry.main()
