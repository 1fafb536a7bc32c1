/**
 * A port that cannot be bound, as one line that says what and how to fix it (the CLI
 * prints it and exits 1).
 */
import { UidError } from '../errors.js';

export function listenError(error: unknown, what: string, host: string, port: number, portKey: string): UidError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const where = `${what} ${host.includes(':') ? `[${host}]` : host}:${port}`;
  let text: string;
  switch (code) {
    case 'EACCES':
      text = `cannot listen on ${where}: permission denied (ports below 1024 need a privilege); `
        + `allow node to bind them with "sudo setcap 'cap_net_bind_service=+ep' $(command -v node)", `
        + `or AmbientCapabilities=CAP_NET_BIND_SERVICE in the systemd unit, or set ${portKey} to 1024 or above`;
      break;
    case 'EADDRINUSE':
      text = `cannot listen on ${where}: the address is already in use by another program `
        + `(find it with "ss -lntup | grep :${port}"; rsyslog and syslog-ng often hold 514); stop it or set ${portKey} to another port`;
      break;
    case 'EADDRNOTAVAIL':
      text = `cannot listen on ${where}: ${host} is not an address of this machine; use one it has, 0.0.0.0 or ::`;
      break;
    default:
      text = `cannot listen on ${where}: ${(error as Error | undefined)?.message ?? String(error)}`;
  }
  return new UidError('UID_ERR_LISTEN', text, { cause: error });
}
