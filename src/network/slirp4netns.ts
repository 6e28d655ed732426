// Chapter 10 — slirp4netns: the older way, and the fallback when passt is not installed.
//
// Like pasta it owns a tap device in the container's namespace, but behind
// it runs libslirp, a whole TCP/IP stack in user space (from QEMU's user-mode
// networking): the container talks to a small virtual network, 10.0.2.0/24,
// where 10.0.2.2 is the host (its loopback included) and 10.0.2.3 a DNS
// forwarder, and slirp turns each connection into a host socket.
//
//   slirp4netns --configure     set 10.0.2.100/24 and the default route, bring eth0 (and lo) up
//     --mtu=65520               big frames: fewer trips through user space
//     --ready-fd=3              it writes "1" there once all of that is done: our "ready"
//     --exit-fd=4               it exits when that pipe's other end closes: when the
//                               supervisor closes it, or dies, even by SIGKILL
//     --api-socket PATH         published ports are asked for here (add_hostfwd), once it is ready
//     --enable-sandbox --enable-seccomp   it confines itself (as podman runs it)
//     PID eth0                  join the init's user and network namespaces; name the tap eth0
import { closeSync, realpathSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import type { PortMapping } from '../runtime/spec.js';
import { fifos } from '../supervisor/fifo.js';
import { startHelper, whenReady, type HelperProcess } from './helper.js';
import { CONTAINER_INTERFACE } from './mode.js';

/** slirp4netns's fixed network (its defaults, with --configure). */
export const SLIRP_NETWORK = { address: '10.0.2.100', prefixLength: 24, gateway: '10.0.2.2', dns: '10.0.2.3' } as const;

export function slirp4netnsArgs(pid: number, apiSocket: string, sandbox: boolean): string[] {
  return [
    'slirp4netns', '--configure', '--mtu=65520', '--ready-fd=3', '--exit-fd=4', '--api-socket', apiSocket,
    ...(sandbox ? ['--enable-sandbox', '--enable-seccomp'] : []),
    String(pid), CONTAINER_INTERFACE,
  ];
}

/**
 * Start slirp4netns on the init PID's namespaces; return once the interface
 * is up and every port in PORTS is forwarded. PIPES_DIR is where the two
 * pipes are made (and unmade at once: src/supervisor/fifo.ts).
 */
export async function startSlirp4netns(pid: number, ports: PortMapping[], apiSocket: string, pipesDir: string): Promise<HelperProcess> {
  rmSync(apiSocket, { force: true }); // left by a supervisor that was killed
  const [ready, exit] = fifos(pipesDir, 2);
  const started = startHelper('slirp4netns', slirp4netnsArgs(pid, apiSocket, sandboxWorks()), [ready.write, exit.read], () => closeSync(exit.write));
  closeSync(ready.write);
  closeSync(exit.read);
  const slirp: HelperProcess = {
    ...started,
    stop: async () => {
      await started.stop();
      rmSync(apiSocket, { force: true });
    },
  };
  await whenReady(slirp, ready.read, async () => {
    for (const port of ports) await addHostForward(apiSocket, port);
  });
  return slirp;
}

/**
 * --enable-sandbox leaves slirp4netns only /etc and /run of the host's files,
 * so it refuses to start when /etc/resolv.conf leads elsewhere (podman checks
 * the same before asking for it).
 */
function sandboxWorks(): boolean {
  try {
    return /^\/(etc|run)\//.test(realpathSync('/etc/resolv.conf'));
  } catch {
    return false;
  }
}

/**
 * Ask slirp4netns to listen on the host for one published port. Its API is
 * one JSON request per connection, ended by shutting down our side
 * (end() here), and one JSON answer: {"return": …} or {"error": …}.
 */
async function addHostForward(apiSocket: string, port: PortMapping): Promise<void> {
  const request = {
    execute: 'add_hostfwd',
    arguments: { proto: port.protocol, host_addr: port.hostIp, host_port: port.hostPort, guest_port: port.containerPort },
  };
  const answer = await new Promise<string>((resolve, reject) => {
    let text = '';
    const socket = connect(apiSocket);
    socket.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    socket.once('error', reject).once('end', () => resolve(text));
    socket.end(JSON.stringify(request));
  });
  const reply = JSON.parse(answer || '{}') as { return?: unknown; error?: { desc?: string } };
  if (reply.return === undefined) {
    throw new Error(`slirp4netns could not publish ${port.hostIp}:${port.hostPort}->${port.containerPort}/${port.protocol} (is that host port taken?): ${reply.error?.desc ?? (answer || 'no answer')}`);
  }
}
