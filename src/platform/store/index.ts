// The platform store: SQLite-backed desired state (apps, config, releases, slugs, formation, builds, buildpacks, features).
export {addDomain, type DomainRecord, findDomain, listDomains, normalizeHostname, removeDomain} from './domains.js'
export {conflictError, invalidError, notFoundError, StoreError} from './errors.js'
export {DEFAULT_SIZE, DYNO_SIZES, dynoSize, MAX_QUANTITY_PER_TYPE, normalizeSize, PROCESS_TYPE_RE, resolveQuantity} from './formation.js'
export {migrate, MIGRATIONS} from './migrations.js'
export {APP_NAME_MESSAGE, APP_NAME_RE, generateAppName} from './names.js'
export {
  type AccountRecord,
  type AppRecord,
  type BuildpackInstallationRecord,
  type BuildRecord,
  type BuildStatus,
  type ConfigChange,
  type CreateReleaseOptions,
  DEFAULT_STACK,
  type FormationRecord,
  LOCAL_USER_EMAIL,
  type ReleaseRecord,
  type SlugRecord,
  type SourceBlob,
  Store,
  type StoreOptions,
  validateAppName,
} from './store.js'
