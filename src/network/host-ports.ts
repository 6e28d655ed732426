// Chapter 10 — is the host port free? Asked before the container exists.
//
// The helper binds the published ports only once the container's namespaces
// exist; by then the container has a record, a writable layer and a
// supervisor. docker refuses a taken port before any of that ("port is
// already allocated"), and so do we: bind each host port here, in the CLI,
// then let go of it. The same bind picks the port for -p CPORT: port 0 asks
// the kernel for a free one, and we keep the number it chose.
//
// All of them are held until the last is bound, so that two -p asking for
// the same port (or 0.0.0.0:8080 next to 127.0.0.1:8080) collide here too.
// Between letting go and the helper's bind another program could take the
// port: then the helper fails, and the container with it, saying so.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, isIP, type Server } from 'node:net';
import { readFileSync } from 'node:fs';
import type { PortMapping } from '../runtime/spec.js';
import { hostAddress, type PortRequest } from './ports.js';

/** Bind every request's host port (a free one where none is given); throws a one-line Error for the first that cannot be. */
export async function claimHostPorts(requests: PortRequest[]): Promise<PortMapping[]> {
  const held: (Server | UdpSocket)[] = [];
  try {
    const mappings: PortMapping[] = [];
    for (const request of requests) {
      const { socket, port } = await bindPort(request);
      held.push(socket);
      const { hostIp, containerPort, protocol } = request;
      mappings.push({ hostIp, hostPort: port, containerPort, protocol, ...(request.hostPort === undefined ? { random: true } : {}) });
    }
    return mappings;
  } finally {
    await Promise.all(held.map((socket) => new Promise<void>((resolve) => socket.close(() => resolve()))));
  }
}

async function bindPort(request: PortRequest): Promise<{ socket: Server | UdpSocket; port: number }> {
  const port = request.hostPort ?? 0;
  try {
    if (request.protocol === 'tcp') {
      const server = createServer();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        // exclusive: no sharing the port with a cluster worker's listener (Node's own trick).
        server.listen({ host: request.hostIp, port, exclusive: true }, () => resolve());
      });
      return { socket: server, port: (server.address() as { port: number }).port };
    }
    const socket = createSocket(isIP(request.hostIp) === 6 ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: request.hostIp, port, exclusive: true }, () => resolve());
    });
    return { socket, port: socket.address().port };
  } catch (error) {
    throw new Error(`-p ${request.given}: ${whyNot(request, error as NodeJS.ErrnoException)}`);
  }
}

function whyNot(request: PortRequest, error: NodeJS.ErrnoException): string {
  const where = `${hostAddress({ ...request, hostPort: request.hostPort ?? 0 })}/${request.protocol}`;
  switch (error.code) {
    case 'EADDRINUSE':
      return `${where} is already in use on the host`;
    case 'EACCES':
      return `${where}: ports below ${unprivilegedPortStart()} need privileges (as root: sysctl net.ipv4.ip_unprivileged_port_start=${request.hostPort})`;
    case 'EADDRNOTAVAIL':
      return `${request.hostIp} is not an address of this host`;
    default:
      return `${where}: ${error.code ?? error.message}`;
  }
}

/** Ports below this one need CAP_NET_BIND_SERVICE in the host's network namespace (1024 unless changed). */
function unprivilegedPortStart(): string {
  try {
    return readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8').trim();
  } catch {
    return '1024';
  }
}
