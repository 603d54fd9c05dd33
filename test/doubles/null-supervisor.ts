// Test double: a Supervisor that runs nothing (API-server tests); converge calls are recorded and otherwise ignored.
import type {OneOffHandle, Supervisor, WebTarget} from '../../src/platform/context.js'

import {StoreError} from '../../src/platform/store/errors.js'

export class NullSupervisor implements Supervisor {
  converges: string[] = []

  async converge(appId: string): Promise<void> {
    this.converges.push(appId)
  }

  async convergeAll(): Promise<void> {}

  dynos(): [] {
    return []
  }

  async restart(): Promise<void> {}

  async shutdown(): Promise<void> {}

  async startOneOff(): Promise<OneOffHandle> {
    throw new StoreError('conflict', 'This platform cannot run dynos yet (no supervisor).')
  }

  async stop(): Promise<void> {}

  webTargets(): WebTarget[] {
    return []
  }
}

export function createNullSupervisor(): NullSupervisor {
  return new NullSupervisor()
}
