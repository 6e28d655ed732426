// Chapter 10 — which network a container gets: --network, and the default.
//
// A network namespace of its own gives a container nothing but a loopback
// interface that is down. Connecting it to the world takes a pair of
// interfaces with one end outside — a veth pair plugged into a bridge, as
// rootful docker does — and creating an interface in the host's namespace
// needs CAP_NET_ADMIN there, which an unprivileged user never has. So
// rootless runtimes hand the container a tap device instead, and a program
// on the host reads the packets it sends and replays them with ordinary
// sockets, as any program may: pasta (from passt) or slirp4netns. Which one
// is this module's choice; src/network/pasta.ts and slirp4netns.ts run them.
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { NetworkMode, NetworkSpec } from '../runtime/spec.js';
import { hostRoute } from './host-route.js';

export const NETWORK_MODES: readonly NetworkMode[] = ['none', 'host', 'pasta', 'slirp4netns'];

/** The modes that run a helper program on the host, and the Debian package that has it. */
const HELPERS = { pasta: 'passt', slirp4netns: 'slirp4netns' } as const;
export type HelperMode = keyof typeof HELPERS;

/** The container's interface, whatever the host's is called: docker's name. */
export const CONTAINER_INTERFACE = 'eth0';

/** The device both helpers open to make the container's tap interface. */
export const TUN_DEVICE = '/dev/net/tun';

/** docker's names for its default bridge network, which rootless cellblock does not have. */
const NO_DEFAULT_BRIDGE = ['bridge', 'default'];

/** The words --network reads as something else than a network's name: no network may be called so. */
export const RESERVED_NETWORK_NAMES: readonly string[] = [...NETWORK_MODES, ...NO_DEFAULT_BRIDGE];

/**
 * --network VALUE: a mode, or else the name of a user-defined network
 * (`network create`), which is the mode "bridge"; whether that network
 * exists is plan.ts's question.
 */
export function parseNetworkMode(value: string): NetworkMode {
  if ((NETWORK_MODES as string[]).includes(value)) return value as NetworkMode;
  if (NO_DEFAULT_BRIDGE.includes(value)) {
    throw new Error(`--network ${value}: there is no default bridge network here: leave --network out for the default (pasta, or slirp4netns), use ${modeList()}, or a network of your own (cellblock network create NAME)`);
  }
  return 'bridge';
}

/** Whether --network VALUE is a user-defined network's name rather than a mode (networks.ts: namesExistingNetwork asks whether it exists). */
export function namesUserNetwork(value: string | undefined): boolean {
  return value !== undefined && !RESERVED_NETWORK_NAMES.includes(value);
}

const modeList = () => NETWORK_MODES.join(', ');

/**
 * Whether the container gets a network namespace of its own: every mode but
 * host. A record made before networking has no NetworkSpec: it shared the host's.
 */
export function hasNetworkNamespace(network: NetworkSpec | NetworkMode | undefined): boolean {
  const mode = typeof network === 'object' ? network.mode : network;
  return mode !== undefined && mode !== 'host';
}

/** What the host offers, asked only when needed (tests pass their own). */
export interface HostTools {
  /** Whether PROGRAM is on PATH. */
  has(program: string): boolean;
  /** Why TUN_DEVICE cannot be opened for reading and writing by us, if it cannot. */
  tunProblem(): string | undefined;
  /** Whether the host has an IPv4 default route (pasta copies its address from it: host-route.ts). */
  hasRoute(): boolean;
}

/**
 * The mode to run with: REQUESTED, or the default — pasta when passt is
 * installed, else slirp4netns (podman's order). pasta gives the container
 * the host's own address, so a host offline, with no default route, has none
 * to give: the default is then slirp4netns, whose small network is its own.
 * A mode whose helper is missing, or that cannot open /dev/net/tun, is a
 * one-line error saying what to install or change: never a silent fall back
 * to no network.
 */
export function chooseNetworkMode(requested: NetworkMode | undefined, host: HostTools = hostTools()): NetworkMode {
  if (requested === 'none' || requested === 'host') return requested;
  if (requested === 'bridge') {
    // A user-defined network goes out through the default helper, run in the rootless network namespace: it must be there.
    chooseNetworkMode(undefined, host);
    return 'bridge';
  }
  const mode = requested ?? defaultMode(host);
  const flag = requested ? `--network ${mode}` : `the default network (${mode})`;
  if (!host.has(mode)) {
    if (requested) throw new Error(`${flag}: ${mode} is not installed (apt-get install ${HELPERS[mode]})`);
    throw new Error(`no network helper is installed: install passt (for pasta) or slirp4netns (apt-get install passt slirp4netns), or run with --network none or --network host`);
  }
  const problem = host.tunProblem();
  if (problem) throw new Error(`${flag} needs ${TUN_DEVICE}, but ${problem}; or run with --network none or --network host`);
  return mode;
}

function defaultMode(host: HostTools): HelperMode {
  if (!host.has('pasta')) return 'slirp4netns';
  return host.hasRoute() || !host.has('slirp4netns') ? 'pasta' : 'slirp4netns';
}

function hostTools(): HostTools {
  return { has: (program) => findProgram(program) !== undefined, tunProblem, hasRoute: () => hostRoute() !== undefined };
}

/** Where PROGRAM is on PATH (an executable file), if anywhere. */
function findProgram(program: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, program);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function tunProblem(): string | undefined {
  try {
    accessSync(TUN_DEVICE, constants.R_OK | constants.W_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return `${TUN_DEVICE} does not exist (as root: modprobe tun)`;
    const mode = (statSync(TUN_DEVICE).mode & 0o777).toString(8).padStart(4, '0');
    // Debian and Fedora ship it 0666: opening it is harmless, since only
    // CAP_NET_ADMIN (ours, in our own namespaces) can make an interface with it.
    return `you cannot open it (mode ${mode}; as root: chmod 0666 ${TUN_DEVICE}, as Debian ships it)`;
  }
}
