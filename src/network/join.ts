// Chapter 10 — a container on user-defined networks: plugged into each
// network's bridge as it starts (the supervisor, before "go"), and later by
// `network connect` / `network disconnect` while it runs.
import { join } from 'node:path';
import { updateRecord, type ContainerRecord, type NetworkSettings } from '../runtime/records.js';
import { allocateAddress, refreshHosts } from './members.js';
import { findNetwork, parseSubnet, type Network } from './networks.js';
import { ensureBridge, leaveRootlessNetns, withRootlessNetns, type Endpoint, type Member, type RootlessNetns } from './rootless-netns.js';
import { plugIn, unplug } from './veth.js';

/** What connect.ts needs to write the /etc files: the address, the way to the host, the DNS forwarder. */
export interface Joined {
  holderPid: number;
  settings: NetworkSettings;
  hostGateway?: string;
  dns: string;
}

/**
 * Plug the init PID into each of the record's networks (its first one gives
 * the default route), then WRITE_FILES (the /etc files; it returns the hosts
 * text) and list every member's peers in its /etc/hosts.
 */
export async function joinNetworks(record: ContainerRecord, pid: number, writeFiles: (joined: Joined) => string): Promise<Joined> {
  return withRootlessNetns(false, async (state) => {
    const member = state?.members.find((m) => m.supervisor.pid === process.pid);
    if (!state || !member) throw new Error('the rootless network namespace has gone away (was its holder killed?)');
    for (const { name, aliases } of record.spec.network!.networks ?? []) {
      member.endpoints.push(await plugEndpoint(state, member, findNetwork(name), aliases, pid, record.id));
    }
    const first = member.endpoints[0];
    const joined: Joined = { holderPid: state.holder.pid, settings: { ipAddress: first.address, prefixLength: first.prefixLength, gateway: first.gateway }, hostGateway: state.hostGateway, dns: state.dns };
    const hostsBase = writeFiles(joined);
    member.container = { id: record.id, name: record.name, hostname: record.spec.hostname, hostsFile: join(record.spec.network!.filesDir, 'hosts'), hostsBase };
    refreshHosts(state);
    return joined;
  });
}

/** The container has ended: the others' /etc/hosts forget it (its pairs went with its namespace). */
export function leaveNetworks(): Promise<void> {
  return leaveRootlessNetns(refreshHosts);
}

/** Plug PID into NETWORK as the member's next interface (eth0, eth1…). */
async function plugEndpoint(state: RootlessNetns, member: Member, network: Network, aliases: string[], pid: number, id: string): Promise<Endpoint> {
  if (member.endpoints.some((endpoint) => endpoint.network === network.name)) throw new Error(`the container is on network ${network.name} already`);
  await ensureBridge(state, network);
  const used = new Set(member.endpoints.map((endpoint) => endpoint.interface));
  let index = 0;
  while (used.has(`eth${index}`)) index++;
  const endpoint: Endpoint = {
    network: network.name, networkId: network.id, address: allocateAddress(state, network), prefixLength: parseSubnet(network.subnet).prefixLength,
    gateway: network.gateway, aliases, interface: `eth${index}`, hostInterface: `v${id.slice(0, 10)}n${index}`,
  };
  await plugIn({
    holderPid: state.holder.pid, containerPid: pid, bridge: network.bridge, hostInterface: endpoint.hostInterface,
    interface: endpoint.interface, address: endpoint.address, prefixLength: endpoint.prefixLength,
    gateway: member.endpoints.length === 0 ? network.gateway : undefined,
  });
  return endpoint;
}

/**
 * `network connect NETWORK CONTAINER`: a stopped container is on it from its
 * next start; a running one gets a new interface now. Only a container
 * started on a user-defined network can: any other has a user namespace of
 * its own, which owns its network namespace, and no process may make a veth
 * pair between that one and the rootless namespace (veth.ts).
 */
export async function connectContainer(record: ContainerRecord, network: Network, aliases: string[], running: boolean): Promise<void> {
  const spec = record.spec.network;
  if (spec?.mode !== 'bridge') throw new Error(`network connect: container ${record.name} was made with --network ${spec?.mode ?? 'host'}: only a container made on a user-defined network can join another`);
  if (spec.networks!.some((entry) => entry.name === network.name)) throw new Error(`network connect: container ${record.name} is on network ${network.name} already`);
  if (running) {
    await withRootlessNetns(false, async (state) => {
      const member = state?.members.find((m) => m.container?.id === record.id);
      if (!state || !member) throw new Error(`network connect: container ${record.name} is not on its networks yet (starting?)`);
      member.endpoints.push(await plugEndpoint(state, member, network, aliases, record.pid!, record.id));
      refreshHosts(state);
    });
  }
  updateRecord(record.id, { spec: { ...record.spec, network: { ...spec, networks: [...spec.networks!, { name: network.name, aliases }] } } });
}

/** `network disconnect NETWORK CONTAINER`: its pair on that network removed now, if it runs, and for later starts. */
export async function disconnectContainer(record: ContainerRecord, network: Network, running: boolean): Promise<void> {
  const spec = record.spec.network;
  if (spec?.mode !== 'bridge' || !spec.networks!.some((entry) => entry.name === network.name)) throw new Error(`network disconnect: container ${record.name} is not on network ${network.name}`);
  if (running) {
    await withRootlessNetns(false, async (state) => {
      const member = state?.members.find((m) => m.container?.id === record.id);
      const endpoint = member?.endpoints.find((e) => e.network === network.name);
      if (!state || !member || !endpoint) return;
      await unplug(state.holder.pid, endpoint.hostInterface);
      member.endpoints = member.endpoints.filter((e) => e !== endpoint);
      refreshHosts(state);
    });
  }
  updateRecord(record.id, { spec: { ...record.spec, network: { ...spec, networks: spec.networks!.filter((entry) => entry.name !== network.name) } } });
}
