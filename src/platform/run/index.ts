// One-off dynos: POST /apps/:app/dynos and the rendezvous listener for attached sessions.
export {EXIT_STATUS_MARKER, Rendezvous, type RendezvousOptions} from './rendezvous.js'
export {registerRunRoutes, runRoutes, type RunRoutesOptions} from './routes.js'
