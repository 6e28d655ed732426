// Chapter 10 — pasta (from passt): the default way a rootless container reaches the network.
//
// pasta opens /dev/net/tun inside the container's network namespace and gets
// a tap interface there: whatever the container sends on it, pasta reads as
// raw frames. It does not route them anywhere: it terminates each TCP
// connection or UDP flow itself and opens an ordinary socket on the host for
// it — which any user may do. Answers come back the same way. From outside,
// the container's traffic is pasta's traffic: the container looks like the host.
//
//   setpriv --pdeathsig KILL  if the supervisor dies, even by SIGKILL, pasta dies too…
//   pasta --foreground        …which is why it stays our child, and does not daemonize
//     --quiet --config-net    no banner; set the address and routes, bring eth0 (and lo) up
//     --ns-ifname eth0        docker's name, not the host's interface's
//     -a ADDR -n BITS -g GW   the host's own address and gateway (host-route.ts)
//     --dns-forward 169.254.0.1   DNS to this address goes to the host's resolver
//     -t/-u SPEC | none       published ports: listen on the host, connect inside
//     -T none -U none         nothing from the container to the host's loopback by port
//     --pid FIFO              written once all of this is done: our "ready"
//     PID                     the init: join its user and network namespaces
//
// The gateway address is special: a connection to it is carried to the
// host's loopback (pasta's "map gateway"), which is how a container reaches a
// server on the host's 127.0.0.1 — /etc/hosts calls it host.containers.internal.
//
// Attached to a process (not to a namespace file under /run/netns), pasta
// never learns that the container has ended: it holds the namespace open
// itself. So the supervisor ends it (helper.ts), and --pdeathsig covers the
// supervisor's own sudden death.
import { constants, openSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { NetworkSettings } from '../runtime/records.js';
import type { PortMapping } from '../runtime/spec.js';
import { mkfifo } from '../supervisor/fifo.js';
import { startHelper, whenReady, type HelperProcess } from './helper.js';
import { CONTAINER_INTERFACE } from './mode.js';

/** Where pasta answers DNS for the container (podman 4 uses the same link-local address). */
export const PASTA_DNS = '169.254.0.1';

/** pasta's argv (after setpriv's) for the init PID, given ADDRESS (the host's: host-route.ts); PID_FILE is where it says it is ready. */
export function pastaArgs(pid: number, address: NetworkSettings, ports: PortMapping[], pidFile: string): string[] {
  const forward = (protocol: PortMapping['protocol']) => {
    const specs = ports.filter((p) => p.protocol === protocol).map((p) => `${p.hostIp}/${p.hostPort}:${p.containerPort}`);
    // pasta's default, "auto", would publish every port the container listens on.
    return specs.length === 0 ? ['none'] : specs;
  };
  return [
    'pasta', '--foreground', '--quiet', '--config-net', '--ns-ifname', CONTAINER_INTERFACE,
    '--address', address.ipAddress, '--netmask', String(address.prefixLength), '--gateway', address.gateway,
    '--dns-forward', PASTA_DNS,
    ...forward('tcp').flatMap((spec) => ['--tcp-ports', spec]),
    ...forward('udp').flatMap((spec) => ['--udp-ports', spec]),
    '--tcp-ns', 'none', '--udp-ns', 'none',
    ...stayRoot(),
    '--pid', pidFile,
    String(pid),
  ];
}

/**
 * Started by root, pasta would turn itself into nobody, who may not open the
 * namespaces of root's container: stay root (it still sandboxes itself).
 */
export function stayRoot(): string[] {
  return process.getuid?.() === 0 ? ['--runas', '0:0'] : [];
}

/**
 * Start pasta on the init PID's namespaces, and return once the container's
 * interface is up and its ports are bound. DIR (the container's own, under
 * the data dir) holds the FIFO pasta writes its pid to when it is ready: a
 * path it may write to even where AppArmor confines it (Debian's profile
 * allows the user's home and /tmp).
 */
export async function startPasta(pid: number, address: NetworkSettings, ports: PortMapping[], dir: string): Promise<HelperProcess> {
  const fifo = join(dir, 'pasta.pid');
  rmSync(fifo, { force: true });
  mkfifo([fifo]);
  // Opened for reading first, without blocking, so that pasta's open for writing does not wait for us.
  const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const pasta = startHelper('pasta', ['setpriv', '--pdeathsig', 'KILL', '--', ...pastaArgs(pid, address, ports, fifo)], [], (child) => child.kill('SIGKILL'));
  try {
    await whenReady(pasta, reader);
    return pasta;
  } finally {
    rmSync(fifo, { force: true });
  }
}
