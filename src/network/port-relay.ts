// Chapter 10 — -p for a container on a user-defined network.
//
// There, pasta serves the whole rootless network namespace, not one
// container, so it cannot publish a container's port itself. Instead the
// supervisor binds each host port here, in the host's network namespace, and
// hands the listening sockets to a relay (port-relay-main.ts) started in the
// rootless namespace, from where the container's address is one hop away.
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { PortMapping } from '../runtime/spec.js';
import { startHelper, type HelperProcess } from './helper.js';

const RELAY_MAIN = fileURLToPath(new URL('./port-relay-main.js', import.meta.url));

/**
 * Bind PORTS (tcp) on the host and start the relay to ADDRESS in the
 * namespaces of HOLDER_PID. Connections that come before the relay has
 * started wait in the listening socket's backlog: nothing is lost, and there
 * is nothing to wait for.
 */
export async function startPortRelay(holderPid: number, address: string, ports: PortMapping[]): Promise<HelperProcess | undefined> {
  if (ports.length === 0) return undefined;
  const servers: Server[] = [];
  try {
    // listen() binds at once; only its 'listening' event waits, for process.nextTick — never for the
    // event loop's poll phase, which is where Node would accept connections on these sockets itself.
    for (const port of ports) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: port.hostIp, port: port.hostPort, exclusive: true }, () => resolve());
      });
    }
  } catch (error) {
    for (const server of servers) server.close();
    throw new Error(`-p: cannot bind a host port: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  // The listening socket's descriptor (Node keeps it in its handle) becomes the relay's fd 3, 4…
  const fds = servers.map((server) => (server as unknown as { _handle: { fd: number } })._handle.fd);
  const targets = ports.map((port, index) => ({ fd: 3 + index, address, port: port.containerPort }));
  const relay = startHelper('the port relay', [
    'setpriv', '--pdeathsig', 'KILL', '--',
    'nsenter', `--user=/proc/${holderPid}/ns/user`, `--net=/proc/${holderPid}/ns/net`, '--',
    process.execPath, RELAY_MAIN, JSON.stringify(targets),
  ], fds, (child) => child.kill('SIGTERM'));
  for (const server of servers) server.close(); // the relay has its own copies now
  return relay;
}
