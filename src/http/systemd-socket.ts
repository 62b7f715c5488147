import type { ListenAddress } from '../config/flags.js';

/** Where a server listens: an address to bind, or a socket already listening (systemd's). */
export type ListenTarget = ListenAddress | { readonly fd: number };

// sd_listen_fds(3): passed sockets start at file descriptor 3.
const SD_LISTEN_FDS_START = 3;

/**
 * The listening sockets systemd passed (socket activation, sd_listen_fds(3)), as
 * exporter-toolkit's --web.systemd-socket takes them: LISTEN_FDS of them from fd 3, only
 * when LISTEN_PID names this process. The variables are then removed, so no child takes
 * them for its own.
 */
export function systemdSockets(env: NodeJS.ProcessEnv = process.env, pid: number = process.pid): { fd: number }[] {
  const count = Number(env['LISTEN_FDS']);
  const forUs = env['LISTEN_PID'] === String(pid);
  delete env['LISTEN_PID'];
  delete env['LISTEN_FDS'];
  delete env['LISTEN_FDNAMES'];
  if (!forUs || !Number.isInteger(count) || count < 1) {
    throw new Error('--web.systemd-socket: systemd passed no socket (LISTEN_FDS and LISTEN_PID unset or for another process)');
  }
  return Array.from({ length: count }, (_, i) => ({ fd: SD_LISTEN_FDS_START + i }));
}
