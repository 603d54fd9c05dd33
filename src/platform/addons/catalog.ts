// The add-on services the local platform provides and their plans. Plans are accepted and shown like Heroku's;
// locally they all run on the same servers (no size limits), so a plan is a label, not a quota.
import type {AddonPlan, AddonService} from '../../api/types.js'

export type AddonKind = 'postgres' | 'redis'

export interface ServiceDef {
  /** Default attachment name of the first add-on of this service on an app (`DATABASE` → DATABASE_URL). */
  defaultAttachment: string
  humanName: string
  id: string
  kind: AddonKind
  name: string
  plans: Array<{cents: number; id: string; name: string}>
  /** Prefix of generated add-on names (`postgresql-curved-12345`) and of colour attachments (`HEROKU_POSTGRESQL_RED`). */
  prefix: string
  colorPrefix: string
}

export const SERVICES: ServiceDef[] = [
  {
    colorPrefix: 'HEROKU_POSTGRESQL',
    defaultAttachment: 'DATABASE',
    humanName: 'Heroku Postgres',
    id: '6c67493d-8fc2-4cd4-9161-4f1ec11cbe69',
    kind: 'postgres',
    name: 'heroku-postgresql',
    plans: [
      {cents: 500, id: 'c1e7a3b0-0f5e-4d67-9d0a-1b7e7c5a0e01', name: 'essential-0'},
      {cents: 900, id: 'c1e7a3b0-0f5e-4d67-9d0a-1b7e7c5a0e02', name: 'essential-1'},
      {cents: 2000, id: 'c1e7a3b0-0f5e-4d67-9d0a-1b7e7c5a0e03', name: 'essential-2'},
      {cents: 5000, id: 'c1e7a3b0-0f5e-4d67-9d0a-1b7e7c5a0e04', name: 'standard-0'},
      {cents: 20_000, id: 'c1e7a3b0-0f5e-4d67-9d0a-1b7e7c5a0e05', name: 'premium-0'},
    ],
    prefix: 'postgresql',
  },
  {
    colorPrefix: 'HEROKU_REDIS',
    defaultAttachment: 'REDIS',
    humanName: 'Heroku Key-Value Store',
    id: 'ea5a04be-6f1a-4e9b-9dc3-d6bf6b61b2f5',
    kind: 'redis',
    name: 'heroku-redis',
    plans: [
      {cents: 300, id: 'd2f8b4c1-1a6f-4e78-8e1b-2c8f8d6b1f01', name: 'mini'},
      {cents: 1500, id: 'd2f8b4c1-1a6f-4e78-8e1b-2c8f8d6b1f02', name: 'premium-0'},
      {cents: 6000, id: 'd2f8b4c1-1a6f-4e78-8e1b-2c8f8d6b1f03', name: 'premium-1'},
    ],
    prefix: 'redis',
  },
]

/** Timestamps of the catalogue (it never changes). */
const CATALOG_AT = '2026-01-01T00:00:00Z'

export function findService(idOrName: string): ServiceDef | undefined {
  return SERVICES.find(s => s.id === idOrName || s.name === idOrName || (s.kind === 'postgres' && idOrName === 'postgresql'))
}

export function serviceOf(name: string): ServiceDef {
  const service = findService(name)
  if (!service) throw new Error(`unknown add-on service ${name}`)
  return service
}

/**
 * `heroku-postgresql`, `heroku-postgresql:essential-0` or a plan id → service and plan (the first plan is the
 * default, like Heroku's). undefined when either is unknown.
 */
export function resolvePlan(spec: string): undefined | {plan: ServiceDef['plans'][number]; service: ServiceDef} {
  for (const service of SERVICES) {
    const byId = service.plans.find(p => p.id === spec)
    if (byId) return {plan: byId, service}
  }

  const [serviceName, planName] = spec.split(':', 2)
  const service = findService(serviceName)
  if (!service) return undefined
  const plan = planName === undefined || planName === '' ? service.plans[0] : service.plans.find(p => p.name === planName)
  return plan ? {plan, service} : undefined
}

/** The clear sentence for a spec resolvePlan() does not know. */
export function unknownPlanMessage(spec: string): string {
  const [serviceName, planName] = spec.split(':', 2)
  const service = findService(serviceName)
  if (!service) {
    return `Couldn't find either the add-on service or the add-on plan of "${spec}". Available services: ${SERVICES.map(s => s.name).join(', ')}.`
  }

  return `Couldn't find the plan "${planName}" of ${service.name}. Available plans: ${service.plans.map(p => `${service.name}:${p.name}`).join(', ')}.`
}

export function presentService(service: ServiceDef): AddonService {
  return {
    cli_plugin_name: service.kind === 'postgres' ? 'heroku-pg' : 'heroku-redis',
    created_at: CATALOG_AT,
    human_name: service.humanName,
    id: service.id,
    name: service.name,
    state: 'ga',
    supported_generations: [{id: '7a2ce3b7-2d47-4e2b-8a35-3f4a2a7c0d01', name: 'cedar'}],
    supports_multiple_installations: true,
    supports_sharing: true,
    updated_at: CATALOG_AT,
  }
}

export function presentPlan(service: ServiceDef, plan: ServiceDef['plans'][number]): AddonPlan {
  return {
    addon_service: {id: service.id, name: service.name},
    compliance: null,
    created_at: CATALOG_AT,
    default: plan === service.plans[0],
    description: `${service.humanName} ${plan.name}`,
    human_name: plan.name.replaceAll('-', ' ').replace(/^\w/, c => c.toUpperCase()),
    id: plan.id,
    installable_inside_private_network: false,
    installable_outside_private_network: true,
    name: `${service.name}:${plan.name}`,
    price: {cents: plan.cents, contract: false, unit: 'month'},
    space_default: false,
    state: 'public',
    updated_at: CATALOG_AT,
    visible: true,
  }
}
