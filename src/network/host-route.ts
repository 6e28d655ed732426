// Chapter 10 — the host's way out: its first IPv4 default route, and the
// address of the interface it leaves through.
//
// pasta's idea is that the container should look like the host: by default it
// gives the container's interface the host's own address, netmask and
// gateway, taken from the interface of the first default route. We take the
// same values and hand them to pasta explicitly, so that /etc/hosts and
// inspect say exactly what the container got.
import { readFileSync } from 'node:fs';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';

export interface HostRoute {
  /** The interface the default route leaves through (eth0). */
  interface: string;
  address: string;
  prefixLength: number;
  gateway: string;
}

/**
 * The first default route of /proc/net/route (what `ip -4 route show default`
 * lists first) and that interface's first IPv4 address; undefined when the
 * host has no IPv4 default route or that interface no address.
 */
export function hostRoute(
  routeTable = readFileSync('/proc/net/route', 'utf8'),
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces(),
): HostRoute | undefined {
  for (const line of routeTable.split('\n').slice(1)) {
    const [name, destination, gateway, flags, , , , mask] = line.trim().split(/\s+/);
    // RTF_UP (1) and RTF_GATEWAY (2): a route in use, through a router.
    if (destination !== '00000000' || mask !== '00000000' || (parseInt(flags, 16) & 3) !== 3) continue;
    const ipv4 = interfaces[name]?.find((info) => info.family === 'IPv4' && !info.internal);
    if (!ipv4) continue;
    const prefixLength = Number(ipv4.cidr?.split('/')[1] ?? 32);
    return { interface: name, address: ipv4.address, prefixLength, gateway: hexAddress(gateway) };
  }
  return undefined;
}

/** /proc/net/route writes addresses as the kernel stores them: 32-bit hex in host (little-endian) order. */
function hexAddress(hex: string): string {
  const value = parseInt(hex, 16);
  return [0, 8, 16, 24].map((shift) => (value >>> shift) & 0xff).join('.');
}
