// Chapter 10 — who is on which network: addresses, and names in /etc/hosts.
//
// Docker answers name lookups with a DNS server of its own; podman with
// aardvark-dns. Ours is the older way, docker's "links": every member's
// /etc/hosts lists the other members of its networks, by name, short id and
// --network-alias, rewritten whenever one joins or leaves.
//
// Rewritten IN PLACE: the container sees the file through a bind mount,
// which holds the file's inode. A new file renamed over the old one (as
// etc-files.ts does before the container starts) would never be seen inside.
import { chmodSync, writeFileSync } from 'node:fs';
import { shortId } from '../runtime/records.js';
import { formatAddress, isHostAddress, parseSubnet, type Network } from './networks.js';
import type { Endpoint, Member, RootlessNetns } from './rootless-netns.js';

/** The lowest free host address of NETWORK that is not its gateway. */
export function allocateAddress(state: RootlessNetns, network: Network): string {
  const subnet = parseSubnet(network.subnet);
  const taken = new Set(endpointsOn(state, network.name).map((endpoint) => endpoint.address));
  taken.add(network.gateway);
  for (let address = subnet.base + 1; isHostAddress(subnet, address); address++) {
    if (!taken.has(formatAddress(address))) return formatAddress(address);
  }
  throw new Error(`network ${network.name}: every address of ${network.subnet} is in use`);
}

function endpointsOn(state: RootlessNetns, name: string): Endpoint[] {
  return state.members.flatMap((member) => member.endpoints.filter((endpoint) => endpoint.network === name));
}

/** The lines MEMBER's /etc/hosts gets for the others on its networks (each peer once, by its first shared network). */
export function peerLines(state: RootlessNetns, member: Member): string[] {
  const lines: string[] = [];
  for (const other of state.members) {
    if (other === member || !other.container) continue;
    const shared = other.endpoints.find((endpoint) => member.endpoints.some((mine) => mine.network === endpoint.network));
    if (!shared) continue;
    const names = [...new Set([other.container.name, other.container.hostname, shortId(other.container.id), ...shared.aliases])];
    lines.push(`${shared.address}\t${names.join(' ')}`);
  }
  return lines;
}

/** Rewrite every member's /etc/hosts: what it was given at start, then its peers. */
export function refreshHosts(state: RootlessNetns): void {
  for (const member of state.members) {
    if (!member.container) continue;
    const peers = peerLines(state, member);
    const text = member.container.hostsBase + (peers.length > 0 ? `# other containers on its networks (cellblock)\n${peers.join('\n')}\n` : '');
    writeInPlace(member.container.hostsFile, text);
  }
}

function writeInPlace(path: string, text: string): void {
  try {
    writeFileSync(path, text); // O_TRUNC on the same inode
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return; // its container was removed meanwhile
    if (code !== 'EACCES') throw error;
    // The container's root made it read-only (chmod 444): the file is ours, so we may undo that.
    chmodSync(path, 0o644);
    writeFileSync(path, text);
  }
}
