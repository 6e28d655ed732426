// Chapter 10 — connecting a container as it starts. The supervisor calls this
// once the init exists, in its new namespaces, and before it says "go": the
// files the init will bind over /etc are written, and the helper is started
// on the init's namespaces and waited for, so that the payload never runs a
// moment without its network.
import { readFileSync } from 'node:fs';
import { attachSocketPath, type ContainerRecord, type NetworkSettings } from '../runtime/records.js';
import { runtimeDir } from '../runtime/paths.js';
import type { NetworkMode, NetworkSpec } from '../runtime/spec.js';
import { HOST_GATEWAY, etcFileContents, nameserversOf, writeEtcFiles, type EtcFile } from './etc-files.js';
import { joinNetworks, leaveNetworks } from './join.js';
import { startPortRelay } from './port-relay.js';
import type { HelperProcess } from './helper.js';
import { hostRoute } from './host-route.js';
import { PASTA_DNS, startPasta } from './pasta.js';
import { SLIRP_NETWORK, startSlirp4netns } from './slirp4netns.js';

export interface ConnectedNetwork {
  /** The container's address, for inspect (none for none and host). */
  settings?: NetworkSettings;
  /** The container has ended: end its helper, if it has one. */
  disconnect(): Promise<void>;
}

/** How a mode addresses the container: its address, the way to the host, and who answers DNS. */
interface Addressing {
  settings?: NetworkSettings;
  /** The address of the host as the container reaches it. */
  hostGateway?: string;
  dns?: string;
}

/** Write the container's /etc files and, for pasta and slirp4netns, start the helper on the init PID. */
export async function connectNetwork(record: ContainerRecord, pid: number): Promise<ConnectedNetwork> {
  const network = record.spec.network;
  if (!network) return { disconnect: async () => {} }; // made before networking: the host's, nothing generated
  if (network.mode === 'bridge') {
    // User-defined networks: veth pairs to bridges in the rootless network namespace (join.ts).
    // (If either step fails, the supervisor gives back the place it reserved: supervise.ts.)
    const joined = await joinNetworks(record, pid, (addressing) => writeFiles(record, network, addressing).hosts);
    const relay = await startPortRelay(joined.holderPid, joined.settings.ipAddress, network.ports);
    return { settings: joined.settings, disconnect: async () => { await relay?.stop(); await leaveNetworks(); } };
  }
  const addressing = addressingOf(network.mode);
  writeFiles(record, network, addressing);
  const helper = await startHelperFor(record.id, network, pid, addressing);
  return { settings: addressing.settings, disconnect: async () => helper?.stop() };
}

function startHelperFor(id: string, network: NetworkSpec, pid: number, addressing: Addressing): Promise<HelperProcess> | undefined {
  if (network.mode === 'pasta') return startPasta(pid, addressing.settings!, network.ports, network.filesDir);
  if (network.mode === 'slirp4netns') return startSlirp4netns(pid, network.ports, `${attachSocketPath(id)}.slirp4netns`, runtimeDir());
  return undefined;
}

function addressingOf(mode: NetworkMode): Addressing {
  if (mode === 'slirp4netns') {
    const { address, prefixLength, gateway, dns } = SLIRP_NETWORK;
    return { settings: { ipAddress: address, prefixLength, gateway }, hostGateway: gateway, dns };
  }
  if (mode === 'pasta') {
    const route = hostRoute();
    if (!route) throw new Error('pasta: this host has no IPv4 default route, so there is no address to give the container: use --network slirp4netns');
    return { settings: { ipAddress: route.address, prefixLength: route.prefixLength, gateway: route.gateway }, hostGateway: route.gateway, dns: PASTA_DNS };
  }
  return {};
}

/** Write the three files; returns what they say. */
function writeFiles(record: ContainerRecord, network: NetworkSpec, addressing: Addressing): Record<EtcFile, string> {
  const hostResolvConf = readHostFile('/etc/resolv.conf');
  // Sharing the host's network, the host is 127.0.0.1; none has no way there (refused by plan.ts).
  const toHost = addressing.hostGateway ?? '127.0.0.1';
  const contents = etcFileContents({
    mode: network.mode,
    hostname: record.spec.hostname,
    name: record.name,
    address: addressing.settings?.ipAddress,
    hostGateway: addressing.hostGateway,
    extraHosts: network.extraHosts.map(({ name, address }) => ({ name, address: address === HOST_GATEWAY ? toHost : address })),
    nameservers: network.dns.length > 0 ? network.dns : addressing.dns ? [addressing.dns] : nameserversOf(hostResolvConf),
    hostResolvConf,
    hostHosts: network.mode === 'host' ? readHostFile('/etc/hosts') : '',
  });
  writeEtcFiles(network.filesDir, contents);
  return contents;
}

function readHostFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
