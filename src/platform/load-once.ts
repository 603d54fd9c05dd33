// Members of the PlatformContext that load their module on first use (ctx.deploy(), ctx.git()): an idle daemon carries
// neither the deploy pipeline nor smart-HTTP git, and every caller gets the one instance of its context.

/** `load` runs at the first call; later calls get the same promise (a failed load is tried again next time). */
export function loadOnce<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined
  return () => {
    loaded ??= load().catch(error => {
      loaded = undefined
      throw error
    })
    return loaded
  }
}
