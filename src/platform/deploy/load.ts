// The deploy service, loaded on first use. The daemon's PlatformContext holds this loader (ctx.deploy()), so an idle
// daemon carries neither the deploy pipeline nor the builder, and every caller gets the one service of its context.
import type {PlatformContext} from '../context.js'
import type {DeployService} from './index.js'

/** A loader of the DeployService of `ctx` (a thunk: the context holding the loader is built with it). */
export function deployLoader(ctx: () => PlatformContext): () => Promise<DeployService> {
  let service: Promise<DeployService> | undefined
  return () => {
    service ??= import('./index.js').then(
      ({DeployService}) => new DeployService(ctx()),
      error => {
        service = undefined
        throw error
      },
    )
    return service
  }
}
