// Chapter 10 — published ports, as docker spells them. Pure: parsing -p and
// the image's ExposedPorts, and showing the result as ps, port and inspect do.
//
// "Publishing" port 80 means a socket listening on the HOST (0.0.0.0:8080,
// say) whose connections are carried into the container's namespace, to
// port 80 there. Rootful docker does it with NAT rules; rootless, nothing may
// change the host's firewall, so the helper that already runs the container's
// network (pasta, slirp4netns) opens the listening socket itself.
import { isIP } from 'node:net';
import type { PortMapping } from '../runtime/spec.js';

export type Protocol = PortMapping['protocol'];

/** One -p as typed, checked: the host port is undefined when it is ours to pick. */
export interface PortRequest {
  hostIp: string;
  hostPort?: number;
  containerPort: number;
  protocol: Protocol;
  /** What the user typed (-p 8080:80), or how the port came to be asked for (the image's ExposedPorts). */
  given: string;
}

/** docker's default: every IPv4 address of the host. */
export const ANY_ADDRESS = '0.0.0.0';

/**
 * -p [IP:][HOSTPORT:]CPORT[/tcp|/udp]. An IPv6 address goes in brackets
 * ([::1]:8080:80); an empty HOSTPORT (127.0.0.1::80) means "any free port".
 */
export function parsePublish(value: string): PortRequest {
  const bad = (why: string) => new Error(`invalid -p ${JSON.stringify(value)}: ${why} (expected [IP:][HOSTPORT:]CONTAINERPORT[/tcp|udp])`);
  let rest = value;
  let protocol: Protocol = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash !== -1) {
    const name = rest.slice(slash + 1).toLowerCase();
    if (name !== 'tcp' && name !== 'udp') throw bad(`protocol "${rest.slice(slash + 1)}" is not tcp or udp`);
    protocol = name;
    rest = rest.slice(0, slash);
  }
  let hostIp: string | undefined;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']:');
    if (close === -1) throw bad('an IPv6 address in brackets must be followed by ":"');
    hostIp = rest.slice(1, close);
    rest = rest.slice(close + 2);
  }
  const parts = rest.split(':');
  if (parts.length > (hostIp === undefined ? 3 : 2)) throw bad('too many ":" (an IPv6 address goes in brackets: [::1]:8080:80)');
  if (hostIp === undefined && parts.length === 3) hostIp = parts.shift()!;
  const containerPort = portNumber(parts.pop()!, 'container port', bad);
  const hostPort = parts.length === 0 || parts[0] === '' ? undefined : portNumber(parts[0], 'host port', bad);
  if (hostIp !== undefined && isIP(hostIp) === 0) throw bad(`"${hostIp}" is not an IP address`);
  return { hostIp: hostIp ?? ANY_ADDRESS, hostPort, containerPort, protocol, given: value };
}

function portNumber(text: string, what: string, bad: (why: string) => Error): number {
  if (/^\d+-\d+$/.test(text)) throw bad('port ranges are not supported');
  if (!/^\d+$/.test(text)) throw bad(`${what} "${text}" is not a number`);
  const port = Number(text);
  if (port < 1 || port > 65535) throw bad(`${what} ${text} is not between 1 and 65535`);
  return port;
}

/**
 * -P: every port of the image's ExposedPorts ({"80/tcp": {}, "53/udp": {}}),
 * on a free host port of every IPv4 address, as docker does.
 */
export function exposedPortRequests(exposed: Record<string, unknown> | undefined): PortRequest[] {
  return Object.keys(exposed ?? {}).map((key) => {
    const port = parseContainerPort(key);
    if (!port) throw new Error(`-P: the image exposes "${key}", which is not a port (PORT or PORT/tcp|udp)`);
    return { hostIp: ANY_ADDRESS, containerPort: port.port, protocol: port.protocol, given: `-P (the image exposes ${key})` };
  });
}

/** PORT or PORT/tcp|udp: a key of ExposedPorts, or `port`'s argument; undefined if it is not one. */
export function parseContainerPort(value: string): { port: number; protocol: Protocol } | undefined {
  const match = /^(\d+)(?:\/(tcp|udp))?$/i.exec(value);
  const port = Number(match?.[1]);
  if (!match || port < 1 || port > 65535) return undefined;
  return { port, protocol: (match[2]?.toLowerCase() ?? 'tcp') as Protocol };
}

/** The host side of a mapping as docker prints it: 0.0.0.0:8080, [::1]:8080. */
export function hostAddress(mapping: PortMapping): string {
  return `${isIP(mapping.hostIp) === 6 ? `[${mapping.hostIp}]` : mapping.hostIp}:${mapping.hostPort}`;
}

const key = (mapping: PortMapping) => `${mapping.containerPort}/${mapping.protocol}`;

/** ps's PORTS column: "0.0.0.0:8080->80/tcp, 127.0.0.1:5353->53/udp". */
export function portsColumn(mappings: PortMapping[]): string {
  return sorted(mappings).map((m) => `${hostAddress(m)}->${key(m)}`).join(', ');
}

/** `cellblock port`'s lines: "80/tcp -> 0.0.0.0:8080", only those of PRIVATE (80, 80/udp) if given. */
export function portLines(mappings: PortMapping[], only?: { port: number; protocol: Protocol }): string[] {
  return sorted(mappings)
    .filter((m) => !only || (m.containerPort === only.port && m.protocol === only.protocol))
    .map((m) => (only ? hostAddress(m) : `${key(m)} -> ${hostAddress(m)}`));
}

/**
 * inspect's NetworkSettings.Ports (the ports as bound) or, with REQUESTED,
 * HostConfig.PortBindings (as asked: "" for a host port left to us).
 */
export function portMap(mappings: PortMapping[], requested = false): Record<string, { HostIp: string; HostPort: string }[]> {
  const map: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const m of mappings) {
    (map[key(m)] ??= []).push({ HostIp: m.hostIp, HostPort: requested && m.random ? '' : String(m.hostPort) });
  }
  return map;
}

function sorted(mappings: PortMapping[]): PortMapping[] {
  return [...mappings].sort((a, b) => a.containerPort - b.containerPort || a.protocol.localeCompare(b.protocol) || a.hostPort - b.hostPort);
}
