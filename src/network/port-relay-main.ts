// Chapter 10 — the port relay's own process, for a container on a
// user-defined network: it runs in the rootless network namespace (where
// the containers' addresses can be reached), but listens on sockets bound in
// the host's namespace, which its parent made and handed it as fds 3, 4…
// (a socket stays in the namespace it was made in, whoever holds it). Each
// connection accepted there is carried to ADDRESS:PORT. podman's rootlessport
// works the same way.
//
// argv: a JSON list of { fd, address, port }.
import { connect, createServer, type Socket } from 'node:net';

interface Target {
  fd: number;
  address: string;
  port: number;
}

const targets = JSON.parse(process.argv[2] ?? '[]') as Target[];

/** Carry bytes both ways; each side's end of input is passed on (half-close), an error ends both. */
function splice(client: Socket, upstream: Socket): void {
  client.pipe(upstream);
  upstream.pipe(client);
  const end = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', end);
  upstream.on('error', end);
}

for (const target of targets) {
  createServer({ allowHalfOpen: true }, (client) => {
    splice(client, connect({ host: target.address, port: target.port, allowHalfOpen: true }));
  }).listen({ fd: target.fd });
}
