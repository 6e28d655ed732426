// cellblock network create|ls|inspect|rm|connect|disconnect — user-defined
// networks (chapter 10, src/network/networks.ts), as `docker network` shows them.
import { EXIT_RUNTIME_FAILED } from '../runtime/exit-status.js';
import { findRecord, isAlive, listRecords, shortId, type ContainerRecord } from '../runtime/records.js';
import { connectContainer, disconnectContainer } from '../network/join.js';
import { createNetwork, findNetwork, listNetworks, removeNetworkFile, type Network } from '../network/networks.js';
import { parseAlias } from '../network/plan.js';
import { withRootlessNetns, type Endpoint } from '../network/rootless-netns.js';
import { formatTable } from './format.js';

export function networkCreate(name: string, options: { subnet?: string; gateway?: string; driver: string }): void {
  if (options.driver !== 'bridge') throw new Error(`network create: driver "${options.driver}" is not supported (only "bridge")`);
  process.stdout.write(`${createNetwork(name, options).name}\n`);
}

export function networkLs(options: { quiet?: boolean }): void {
  const networks = listNetworks();
  if (options.quiet) return void process.stdout.write(networks.map((network) => `${network.name}\n`).join(''));
  const rows = networks.map((network) => [shortId(network.id), network.name, network.driver, network.subnet]);
  process.stdout.write(formatTable([['NETWORK ID', 'NAME', 'DRIVER', 'SUBNET'], ...rows]));
}

/** The containers on NETWORK, running (with their address) or not: the ones whose spec names it. */
export function usersOf(network: Network): ContainerRecord[] {
  return listRecords().filter((record) => record.spec.network?.networks?.some((entry) => entry.name === network.name));
}

/** The running members' endpoints, by container id (read from the rootless network namespace's state, without starting it). */
async function liveEndpoints(): Promise<Map<string, Endpoint[]>> {
  return withRootlessNetns(false, async (state) => new Map((state?.members ?? []).flatMap((member) => (member.container ? [[member.container.id, member.endpoints]] : []))));
}

export async function networkInspect(references: string[]): Promise<void> {
  const networks = references.map(findNetwork);
  const live = await liveEndpoints();
  const shown = networks.map((network) => ({
    Name: network.name,
    Id: network.id,
    Created: network.created,
    Driver: network.driver,
    NetworkInterface: network.bridge,
    IPAM: { Driver: 'default', Config: [{ Subnet: network.subnet, Gateway: network.gateway }] },
    Containers: Object.fromEntries(usersOf(network).flatMap((record) => {
      const endpoint = live.get(record.id)?.find((e) => e.network === network.name);
      if (!endpoint) return [];
      return [[record.id, { Name: record.name, IPv4Address: `${endpoint.address}/${endpoint.prefixLength}`, Aliases: endpoint.aliases }]];
    })),
  }));
  process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
}

/** Remove networks; one that a container (running or not) is on is refused, as in podman. Returns the exit status. */
export function networkRm(references: string[]): number {
  let status = 0;
  for (const reference of references) {
    try {
      const network = findNetwork(reference);
      const users = usersOf(network);
      if (users.length > 0) {
        throw new Error(`network ${network.name} is in use by container ${users.map((record) => record.name).join(', ')}: remove ${users.length > 1 ? 'them' : 'it'}, or network disconnect, first`);
      }
      removeNetworkFile(network);
      process.stdout.write(`${network.name}\n`);
    } catch (error) {
      process.stderr.write(`cellblock: ${(error as Error).message}\n`);
      status = EXIT_RUNTIME_FAILED;
    }
  }
  return status;
}

export async function networkConnect(networkName: string, container: string, options: { alias: string[] }): Promise<void> {
  const network = findNetwork(networkName);
  const record = findRecord(container);
  await connectContainer(record, network, options.alias.map(parseAlias), isAlive(record));
}

export async function networkDisconnect(networkName: string, container: string): Promise<void> {
  const network = findNetwork(networkName);
  const record = findRecord(container);
  await disconnectContainer(record, network, isAlive(record));
}
