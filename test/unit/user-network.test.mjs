// User-defined networks without namespaces: the network store (subnets,
// names, overlaps) and the members' address leases and /etc/hosts lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const home = mkdtempSync(join(tmpdir(), 'cellblock-networks-'));
process.env.XDG_DATA_HOME = join(home, 'share');
const { createNetwork, findNetwork, listNetworks, parseSubnet, formatAddress, removeNetworkFile } = await import('../../dist/network/networks.js');
const { allocateAddress, peerLines, refreshHosts } = await import('../../dist/network/members.js');
const { namesUserNetwork } = await import('../../dist/network/mode.js');
test.after(() => rmSync(home, { recursive: true, force: true }));

test('network create: 10.89.N.0/24 in turn, gateway .1, a bridge name that fits IFNAMSIZ; names and overlaps checked', () => {
  const a = createNetwork('a');
  const b = createNetwork('b');
  assert.deepEqual([a.subnet, a.gateway, b.subnet, b.gateway], ['10.89.0.0/24', '10.89.0.1', '10.89.1.0/24', '10.89.1.1']);
  assert.ok(a.bridge.length <= 15, a.bridge);
  const custom = createNetwork('custom', { subnet: '172.30.0.0/16', gateway: '172.30.0.254' });
  assert.equal(custom.gateway, '172.30.0.254');
  assert.deepEqual(listNetworks().map((n) => n.name), ['a', 'b', 'custom']);
  assert.equal(findNetwork(a.id.slice(0, 12)).name, 'a', 'an id prefix finds it');
  const bad = [
    [['a'], /network create a: a network with that name exists already$/],
    [['host'], /"host" is a --network mode/],
    [['-x'], /a network name is letters/],
    [['c', { subnet: '10.89.0.128/25' }], /overlaps 10\.89\.0\.0\/24 of network a$/],
    [['c', { subnet: '10.1.2.3/24' }], /host bits are set \(the network is 10\.1\.2\.0\/24\)$/],
    [['c', { subnet: '10.1.2.0/31' }], /expected an IPv4 CIDR from \/8 to \/30/],
    [['c', { subnet: 'fd00::/64' }], /expected an IPv4 CIDR/],
    [['c', { subnet: '10.9.0.0/24', gateway: '10.9.1.1' }], /--gateway "10\.9\.1\.1": not a host address in 10\.9\.0\.0\/24$/],
    [['c', { subnet: '10.9.0.0/24', gateway: '10.9.0.255' }], /not a host address/],
  ];
  for (const [args, pattern] of bad) assert.throws(() => createNetwork(...args), pattern);
  assert.throws(() => findNetwork('nope'), /^Error: network nope: no such network/);
  removeNetworkFile(b);
  assert.equal(createNetwork('again').subnet, '10.89.1.0/24', "a removed network's subnet is free again");
});

test('IPv4 arithmetic', () => {
  assert.deepEqual(parseSubnet('192.168.4.0/22'), { base: 0xc0a80400, prefixLength: 22 });
  assert.equal(formatAddress(0xc0a80401), '192.168.4.1');
});

test('namesUserNetwork: anything but a mode (and bridge/default, which are errors)', () => {
  assert.deepEqual(['app', 'none', 'host', 'pasta', 'slirp4netns', 'bridge', undefined].map(namesUserNetwork), [true, false, false, false, false, false, false]);
});

/** A state with members on NETWORK at ADDRESSES. */
function stateWith(network, members) {
  return {
    holder: { pid: 1, startTime: '1' }, helper: { pid: 2, startTime: '2', mode: 'pasta' }, dns: '169.254.0.1', bridges: [],
    members: members.map(([name, address, aliases = [], hostsFile = '/nonexistent']) => ({
      supervisor: { pid: 3, startTime: '3' },
      container: { id: `${name}`.padEnd(64, '0'), name, hostname: `${name}-host`, hostsFile, hostsBase: `base of ${name}\n` },
      endpoints: [{ network: network.name, networkId: network.id, address, prefixLength: 24, gateway: network.gateway, aliases, interface: 'eth0', hostInterface: 'v0' }],
    })),
  };
}

test('addresses: the lowest free one, never the gateway; a full subnet is an error', () => {
  const small = createNetwork('small', { subnet: '10.77.0.0/30' });
  assert.equal(allocateAddress(stateWith(small, []), small), '10.77.0.2', '.1 is the gateway');
  assert.throws(() => allocateAddress(stateWith(small, [['x', '10.77.0.2']]), small), /^Error: network small: every address of 10\.77\.0\.0\/30 is in use$/);
  const net = findNetwork('a');
  assert.equal(allocateAddress(stateWith(net, [['x', '10.89.0.2'], ['y', '10.89.0.4']]), net), '10.89.0.3');
});

test('/etc/hosts: each member lists the others (name, hostname, short id, aliases), rewritten in place even if made read-only', () => {
  const net = findNetwork('a');
  const files = ['web', 'db'].map((name) => join(home, `${name}.hosts`));
  for (const file of files) writeFileSync(file, 'old\n');
  chmodSync(files[1], 0o444); // as a container's root may do
  const state = stateWith(net, [['web', '10.89.0.2', ['www'], files[0]], ['db', '10.89.0.3', [], files[1]]]);
  assert.deepEqual(peerLines(state, state.members[1]), [`10.89.0.2\tweb web-host ${'web'.padEnd(12, '0')} www`]);
  refreshHosts(state);
  assert.equal(readFileSync(files[1], 'utf8'), `base of db\n# other containers on its networks (cellblock)\n10.89.0.2\tweb web-host ${'web'.padEnd(12, '0')} www\n`);
  state.members.shift();
  refreshHosts(state);
  assert.equal(readFileSync(files[1], 'utf8'), 'base of db\n', 'web left: its line is gone');
});
