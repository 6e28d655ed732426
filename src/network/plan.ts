// Chapter 10 — run's network flags, checked before anything exists:
// --network, -p, -P, --add-host, --dns. Everything wrong is a one-line error
// (exit 125) before the container has a record; a taken host port too.
import { isIP } from 'node:net';
import type { NetworkMode, NetworkSpec } from '../runtime/spec.js';
import { HOST_GATEWAY } from './etc-files.js';
import { claimHostPorts } from './host-ports.js';
import { findNetwork } from './networks.js';
import { NETWORK_MODES, chooseNetworkMode, parseNetworkMode, type HostTools } from './mode.js';
import { exposedPortRequests, parsePublish, type PortRequest } from './ports.js';

/** The flags as commander gives them. */
export interface NetworkFlags {
  network?: string;
  networkAlias?: string[];
  publish: string[];
  publishAll?: boolean;
  addHost: string[];
  dns: string[];
}

/** The flags, checked: what is left to do needs the image (for -P) and binds ports. */
export interface NetworkRequest {
  mode: NetworkMode;
  ports: PortRequest[];
  publishAll: boolean;
  extraHosts: NetworkSpec['extraHosts'];
  dns: string[];
  /** --network NAME: that network (it exists), with --network-alias. */
  networks?: NonNullable<NetworkSpec['networks']>;
}

/** The cheap checks, before any pull. WARN says one line on stderr. */
export function parseNetworkFlags(flags: NetworkFlags, warn: (line: string) => void, host?: HostTools): NetworkRequest {
  const requested = flags.network === undefined ? undefined : parseNetworkMode(flags.network);
  let ports = flags.publish.map(parsePublish);
  const extraHosts = flags.addHost.map(parseAddHost);
  const dns = flags.dns.map(parseDns);
  const mode = chooseNetworkMode(requested, host);
  let publishAll = flags.publishAll ?? false;
  const networks = mode === 'bridge' ? [{ name: existingNetwork(flags.network!), aliases: (flags.networkAlias ?? []).map(parseAlias) }] : undefined;
  if (!networks && (flags.networkAlias ?? []).length > 0) throw new Error(`--network-alias: only a container on a user-defined network (--network NAME) has aliases`);
  if (mode === 'bridge') {
    // Published through a TCP relay (port-relay.ts): Node cannot take over a UDP socket by its fd.
    const udp = ports.find((port) => port.protocol === 'udp');
    if (udp) throw new Error(`-p ${udp.given}: a container on a user-defined network publishes tcp ports only (use the default network for udp)`);
  }
  if (mode === 'none') {
    if (ports.length > 0 || publishAll) throw new Error(`-p/-P: a container with --network none has no network to publish ports on`);
    const gateway = extraHosts.find((entry) => entry.address === HOST_GATEWAY);
    if (gateway) throw new Error(`--add-host ${gateway.name}:${HOST_GATEWAY}: a container with --network none has no way to the host`);
  }
  if (mode === 'host' && (ports.length > 0 || publishAll)) {
    // docker's words: the container's ports ARE the host's already.
    warn('warning: published ports are discarded when using host network mode');
    ports = [];
    publishAll = false;
  }
  if (mode === 'slirp4netns') {
    const ipv6 = ports.find((port) => isIP(port.hostIp) === 6);
    if (ipv6) throw new Error(`-p ${ipv6.given}: slirp4netns publishes ports on IPv4 addresses only (--network pasta does both)`);
  }
  return { mode, ports, publishAll, extraHosts, dns, ...(networks ? { networks } : {}) };
}

/**
 * The container's NetworkSpec: -P's ports added (those the image exposes and
 * no -p names already), then every host port bound once, free ones picked
 * (host-ports.ts). FILES_DIR is the container's own directory.
 */
export async function planNetwork(request: NetworkRequest, exposedPorts: Record<string, unknown> | undefined, filesDir: string): Promise<NetworkSpec> {
  const named = new Set(request.ports.map((port) => `${port.containerPort}/${port.protocol}`));
  const exposed = request.publishAll ? exposedPortRequests(exposedPorts).filter((port) => !named.has(`${port.containerPort}/${port.protocol}`)) : [];
  const udp = request.mode === 'bridge' ? exposed.find((port) => port.protocol === 'udp') : undefined;
  if (udp) throw new Error(`-P: the image exposes ${udp.containerPort}/udp, and a container on a user-defined network publishes tcp ports only`);
  const ports = await claimHostPorts([...request.ports, ...exposed]);
  return {
    mode: request.mode,
    ports,
    extraHosts: request.extraHosts,
    dns: request.dns,
    ...(request.publishAll ? { publishAll: true } : {}),
    ...(request.networks ? { networks: request.networks } : {}),
    filesDir,
  };
}

const HOST_NAME = /^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/;

/** --add-host NAME:ADDRESS (or NAME=ADDRESS); ADDRESS an IP (IPv6 may be in brackets) or host-gateway. */
export function parseAddHost(value: string): { name: string; address: string } {
  const at = value.includes('=') ? value.indexOf('=') : value.indexOf(':');
  const name = value.slice(0, at);
  const address = value.slice(at + 1).replace(/^\[(.*)\]$/, '$1');
  if (at <= 0 || !HOST_NAME.test(name)) throw new Error(`invalid --add-host ${JSON.stringify(value)}: expected NAME:IP or NAME:${HOST_GATEWAY}`);
  if (address !== HOST_GATEWAY && isIP(address) === 0) throw new Error(`invalid --add-host ${JSON.stringify(value)}: "${address}" is not an IP address (or ${HOST_GATEWAY})`);
  return { name, address };
}

/** --network NAME: a network `network create` made, or a one-line error that names the modes too. */
function existingNetwork(name: string): string {
  try {
    return findNetwork(name).name;
  } catch {
    throw new Error(`--network ${JSON.stringify(name)}: no such network mode (${NETWORK_MODES.join(', ')}) or network (cellblock network create ${name} makes one)`);
  }
}

/** --network-alias NAME: another name the container has on its network. */
export function parseAlias(value: string): string {
  if (!HOST_NAME.test(value)) throw new Error(`invalid --network-alias ${JSON.stringify(value)}: letters, digits, ".", "_" and "-"`);
  return value;
}

export function parseDns(value: string): string {
  if (isIP(value) === 0) throw new Error(`invalid --dns ${JSON.stringify(value)}: not an IP address`);
  return value;
}
