// Chapter 10 — user-defined networks: `cellblock network create NAME`.
//
// A network is only a promise until a container joins it: a name, a subnet
// the containers get their addresses from, the gateway address its bridge
// will have, and the bridge's interface name. One JSON file per network under
// the data dir, so it outlives reboots as docker's do; the bridge itself is
// made in the rootless network namespace (rootless-netns.ts) when the first
// container joins, and goes with that namespace.
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { dataDir, ensureDir } from '../runtime/paths.js';
import { RESERVED_NETWORK_NAMES, namesUserNetwork } from './mode.js';

export interface Network {
  name: string;
  /** 64 hex digits, like docker's; `network ls` shows 12. */
  id: string;
  driver: 'bridge';
  /** IPv4 CIDR, e.g. 10.89.0.0/24. */
  subnet: string;
  gateway: string;
  /** The bridge's name in the rootless network namespace (at most 15 bytes: IFNAMSIZ). */
  bridge: string;
  created: string;
}

const networksPath = () => join(dataDir(), 'networks');
const networksDir = () => ensureDir(networksPath());
const networkPath = (name: string) => join(networksDir(), `${name}.json`);

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** podman's default pool: 10.89.N.0/24, the first N no network has. */
const DEFAULT_POOL = (n: number) => `10.89.${n}.0/24`;


export function listNetworks(): Network[] {
  // Read-only: a look-up (a --network typo) must not create the directory.
  const dir = networksPath();
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .flatMap((file) => {
      try {
        return [JSON.parse(readFileSync(join(dir, file), 'utf8')) as Network];
      } catch {
        return []; // being written (never half: see createNetwork), or not ours
      }
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The network NAME (or a unique prefix of its id), or a one-line error. */
export function findNetwork(reference: string): Network {
  const networks = listNetworks();
  const byName = networks.find((network) => network.name === reference);
  if (byName) return byName;
  const byId = /^[0-9a-f]{3,64}$/.test(reference) ? networks.filter((network) => network.id.startsWith(reference)) : [];
  if (byId.length === 1) return byId[0];
  throw new Error(`network ${reference}: no such network (cellblock network ls lists them)`);
}

/**
 * Whether --network VALUE is a user-defined network that exists: told to the
 * supervisor before the input is checked, so that it joins the rootless
 * network namespace early (supervisor/main.ts) — and starts none for a typo.
 */
export function namesExistingNetwork(value: string | undefined): boolean {
  if (!namesUserNetwork(value)) return false;
  try {
    findNetwork(value!);
    return true;
  } catch {
    return false;
  }
}

export interface NetworkOptions {
  subnet?: string;
  gateway?: string;
}

/** Create network NAME; a name in use, a bad or overlapping subnet is a one-line error. */
export function createNetwork(name: string, options: NetworkOptions = {}): Network {
  if (!NAME.test(name)) throw new Error(`network create ${JSON.stringify(name)}: a network name is letters, digits, "_", "." and "-", starting with a letter or digit`);
  if (RESERVED_NETWORK_NAMES.includes(name)) throw new Error(`network create ${name}: "${name}" is a --network mode, not a name a network can have`);
  const others = listNetworks();
  const subnet = options.subnet === undefined ? freeSubnet(others) : parseSubnet(options.subnet);
  const clash = others.find((other) => overlaps(parseSubnet(other.subnet), subnet));
  if (clash) throw new Error(`network create ${name}: subnet ${formatSubnet(subnet)} overlaps ${clash.subnet} of network ${clash.name}`);
  const gateway = options.gateway === undefined ? formatAddress(subnet.base + 1) : parseGateway(options.gateway, subnet);
  const id = randomBytes(32).toString('hex');
  const network: Network = {
    name, id, driver: 'bridge', subnet: formatSubnet(subnet), gateway, bridge: `cb-${id.slice(0, 12)}`, created: new Date().toISOString(),
  };
  // O_EXCL: of two `network create app` at once, one wins and the other is told.
  let fd: number;
  try {
    fd = openSync(networkPath(name), 'wx', 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new Error(`network create ${name}: a network with that name exists already`);
    throw error;
  }
  try {
    writeSync(fd, `${JSON.stringify(network, null, 2)}\n`);
  } finally {
    closeSync(fd);
  }
  return network;
}

export function removeNetworkFile(network: Network): void {
  rmSync(networkPath(network.name), { force: true });
}

// ─── IPv4 arithmetic: an address is a 32-bit number ───

export interface Subnet {
  base: number;
  prefixLength: number;
}

export function parseAddress(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((part) => /^\d{1,3}$/.test(part) && Number(part) <= 255)) return undefined;
  return parts.reduce((value, part) => value * 256 + Number(part), 0);
}

export function formatAddress(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

export function parseSubnet(text: string): Subnet {
  const [address, bits, extra] = text.split('/');
  const base = parseAddress(address);
  const prefixLength = Number(bits);
  // /8 to /30: at least a gateway and two containers; larger than a /8 is a mistake.
  if (base === undefined || extra !== undefined || !/^\d+$/.test(bits ?? '') || prefixLength < 8 || prefixLength > 30) {
    throw new Error(`--subnet ${JSON.stringify(text)}: expected an IPv4 CIDR from /8 to /30, like 10.89.5.0/24`);
  }
  const size = 2 ** (32 - prefixLength);
  if (base % size !== 0) throw new Error(`--subnet ${text}: host bits are set (the network is ${formatAddress(base - (base % size))}/${prefixLength})`);
  return { base, prefixLength };
}

export const formatSubnet = (subnet: Subnet): string => `${formatAddress(subnet.base)}/${subnet.prefixLength}`;
export const subnetSize = (subnet: Subnet): number => 2 ** (32 - subnet.prefixLength);

function overlaps(a: Subnet, b: Subnet): boolean {
  return a.base < b.base + subnetSize(b) && b.base < a.base + subnetSize(a);
}

/** Whether ADDRESS is a usable host address of SUBNET (not its network or broadcast address). */
export function isHostAddress(subnet: Subnet, address: number): boolean {
  return address > subnet.base && address < subnet.base + subnetSize(subnet) - 1;
}

function parseGateway(text: string, subnet: Subnet): string {
  const address = parseAddress(text);
  if (address === undefined || !isHostAddress(subnet, address)) throw new Error(`--gateway ${JSON.stringify(text)}: not a host address in ${formatSubnet(subnet)}`);
  return formatAddress(address);
}

function freeSubnet(others: Network[]): Subnet {
  const taken = others.map((other) => parseSubnet(other.subnet));
  for (let n = 0; n < 256; n++) {
    const candidate = parseSubnet(DEFAULT_POOL(n));
    if (!taken.some((subnet) => overlaps(subnet, candidate))) return candidate;
  }
  throw new Error('network create: every subnet of 10.89.0.0/16 is taken: give one with --subnet');
}
