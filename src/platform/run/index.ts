// One-off dynos: the rendezvous listener for attached sessions and the pseudo-terminal wrapper. Their API route,
// POST /apps/:app/dynos, lives with the other routes (server/routes/one-off-dynos.ts).
export {ptyCommand} from './pty.js'
export {EXIT_STATUS_MARKER, Rendezvous, type RendezvousOptions} from './rendezvous.js'
