// Unit tests of chapter 10's pure parts: the flags, the mode chosen, the
// generated /etc files, the host's route, the helpers' command lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseNetworkMode, hasNetworkNamespace, parseNetworkMode } from '../../dist/network/mode.js';
import { exposedPortRequests, parseContainerPort, parsePublish, portLines, portMap, portsColumn } from '../../dist/network/ports.js';
import { parseAddHost, parseDns, parseNetworkFlags } from '../../dist/network/plan.js';
import { etcFileContents, hostsFile, nameserversOf, resolvConf } from '../../dist/network/etc-files.js';
import { hostRoute } from '../../dist/network/host-route.js';
import { pastaArgs } from '../../dist/network/pasta.js';
import { slirp4netnsArgs } from '../../dist/network/slirp4netns.js';
import { unshareArgs } from '../../dist/userns/spawn.js';
import { applyChange } from '../../dist/image/run-config.js';

test('-p: docker\'s spellings, the host port left to us when not given', () => {
  const p = (value) => {
    const { given, ...rest } = parsePublish(value);
    assert.equal(given, value);
    return rest;
  };
  assert.deepEqual(p('80'), { hostIp: '0.0.0.0', hostPort: undefined, containerPort: 80, protocol: 'tcp' });
  assert.deepEqual(p('8080:80'), { hostIp: '0.0.0.0', hostPort: 8080, containerPort: 80, protocol: 'tcp' });
  assert.deepEqual(p('127.0.0.1:8080:80/udp'), { hostIp: '127.0.0.1', hostPort: 8080, containerPort: 80, protocol: 'udp' });
  assert.deepEqual(p('127.0.0.1::80'), { hostIp: '127.0.0.1', hostPort: undefined, containerPort: 80, protocol: 'tcp' });
  assert.deepEqual(p('[::1]:8080:80/TCP'), { hostIp: '::1', hostPort: 8080, containerPort: 80, protocol: 'tcp' });
  assert.deepEqual(p('53/udp'), { hostIp: '0.0.0.0', hostPort: undefined, containerPort: 53, protocol: 'udp' });
});

test('-p: every malformed value is one line naming what is wrong', () => {
  const cases = [
    ['80/sctp', /protocol "sctp" is not tcp or udp/],
    ['http', /container port "http" is not a number/],
    ['0', /container port 0 is not between 1 and 65535/],
    ['65536:80', /host port 65536 is not between/],
    ['8000-8001:80', /port ranges are not supported/],
    ['1.2.3:80:80', /"1.2.3" is not an IP address/],
    ['::1:80:80', /too many ":"/],
    ['[::1]8080:80', /must be followed by ":"/],
    ['a:b:c:d', /too many ":"/],
    ['', /container port "" is not a number/],
  ];
  for (const [value, pattern] of cases) {
    assert.throws(() => parsePublish(value), (error) => {
      assert.match(error.message, new RegExp(`^invalid -p ${JSON.stringify(value).replace(/[[\]]/g, '\\$&')}: `));
      assert.match(error.message, pattern);
      assert.ok(!error.message.includes('\n'));
      return true;
    }, value);
  }
});

test('-P: the image\'s ExposedPorts, each on a free port of 0.0.0.0; EXPOSE sets them', () => {
  assert.deepEqual(exposedPortRequests({ '80/tcp': {}, '53/udp': {}, 8080: {} }).map(({ containerPort, protocol, hostPort, hostIp }) => [containerPort, protocol, hostPort, hostIp]),
    [[8080, 'tcp', undefined, '0.0.0.0'], [80, 'tcp', undefined, '0.0.0.0'], [53, 'udp', undefined, '0.0.0.0']]);
  assert.deepEqual(exposedPortRequests(undefined), []);
  assert.throws(() => exposedPortRequests({ '1:2': {} }), /-P: the image exposes "1:2", which is not a port/);
  assert.deepEqual(parseContainerPort('80'), { port: 80, protocol: 'tcp' });
  assert.equal(parseContainerPort('80/sctp'), undefined);
  assert.deepEqual(applyChange({}, 'EXPOSE 80 53/udp').ExposedPorts, { '80/tcp': {}, '53/udp': {} });
  assert.throws(() => applyChange({}, 'EXPOSE http'), /EXPOSE takes ports/);
});

test('published ports as ps, port and inspect show them', () => {
  const mappings = [
    { hostIp: '0.0.0.0', hostPort: 32768, containerPort: 80, protocol: 'tcp', random: true },
    { hostIp: '127.0.0.1', hostPort: 5353, containerPort: 53, protocol: 'udp' },
    { hostIp: '::1', hostPort: 8080, containerPort: 80, protocol: 'tcp' },
  ];
  // By container port, protocol, then host port.
  assert.equal(portsColumn(mappings), '127.0.0.1:5353->53/udp, [::1]:8080->80/tcp, 0.0.0.0:32768->80/tcp');
  assert.deepEqual(portLines(mappings), ['53/udp -> 127.0.0.1:5353', '80/tcp -> [::1]:8080', '80/tcp -> 0.0.0.0:32768']);
  assert.deepEqual(portLines(mappings, { port: 80, protocol: 'tcp' }), ['[::1]:8080', '0.0.0.0:32768']);
  assert.deepEqual(portLines(mappings, { port: 81, protocol: 'tcp' }), []);
  assert.deepEqual(portMap(mappings), {
    '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '32768' }, { HostIp: '::1', HostPort: '8080' }],
    '53/udp': [{ HostIp: '127.0.0.1', HostPort: '5353' }],
  });
  // PortBindings: what was asked for, so a port we picked is "".
  assert.equal(portMap(mappings, true)['80/tcp'][0].HostPort, '');
});

test('--network: the four modes; bridge and default are one line; any other word names a network', () => {
  for (const mode of ['none', 'host', 'pasta', 'slirp4netns']) assert.equal(parseNetworkMode(mode), mode);
  assert.throws(() => parseNetworkMode('bridge'), /^Error: --network bridge: there is no default bridge network here/);
  assert.equal(parseNetworkMode('wifi'), 'bridge', 'any other word names a user-defined network (plan.ts checks it exists)');
  assert.equal(hasNetworkNamespace('none'), true);
  assert.equal(hasNetworkNamespace('host'), false);
  assert.equal(hasNetworkNamespace({ mode: 'pasta' }), true);
  assert.equal(hasNetworkNamespace(undefined), false, 'a record from before networking shared the host\'s');
});

test('the default is pasta when passt is installed (and the host has a route), else slirp4netns; a missing helper or /dev/net/tun is an error, never a silent fallback', () => {
  const host = (programs, tun, route = true) => ({ has: (p) => programs.includes(p), tunProblem: () => tun, hasRoute: () => route });
  assert.equal(chooseNetworkMode(undefined, host(['pasta', 'slirp4netns'])), 'pasta');
  assert.equal(chooseNetworkMode(undefined, host(['slirp4netns'])), 'slirp4netns');
  assert.equal(chooseNetworkMode(undefined, host(['pasta', 'slirp4netns'], undefined, false)), 'slirp4netns', 'offline: pasta has no address to copy');
  assert.equal(chooseNetworkMode(undefined, host(['pasta'], undefined, false)), 'pasta', '(which then says so when the container starts)');
  assert.equal(chooseNetworkMode('pasta', host(['pasta', 'slirp4netns'], undefined, false)), 'pasta', 'asked for: not second-guessed');
  assert.equal(chooseNetworkMode('slirp4netns', host(['pasta', 'slirp4netns'])), 'slirp4netns');
  assert.throws(() => chooseNetworkMode(undefined, host([])), /^Error: no network helper is installed: install passt \(for pasta\) or slirp4netns .* or run with --network none or --network host$/);
  assert.throws(() => chooseNetworkMode('pasta', host(['slirp4netns'])), /^Error: --network pasta: pasta is not installed \(apt-get install passt\)$/);
  assert.throws(() => chooseNetworkMode('slirp4netns', host(['pasta'])), /apt-get install slirp4netns/);
  assert.throws(() => chooseNetworkMode(undefined, host(['pasta'], 'you cannot open it (mode 0600)')), /^Error: the default network \(pasta\) needs \/dev\/net\/tun, but you cannot open it \(mode 0600\); or run with --network none or --network host$/);
  // none and host need nothing.
  assert.equal(chooseNetworkMode('none', host([], 'no tun')), 'none');
  assert.equal(chooseNetworkMode('host', host([], 'no tun')), 'host');
});

test('--add-host and --dns', () => {
  assert.deepEqual(parseAddHost('db:10.0.0.5'), { name: 'db', address: '10.0.0.5' });
  assert.deepEqual(parseAddHost('db=10.0.0.5'), { name: 'db', address: '10.0.0.5' });
  assert.deepEqual(parseAddHost('v6.test:::1'), { name: 'v6.test', address: '::1' });
  assert.deepEqual(parseAddHost('v6.test:[fe80::1]'), { name: 'v6.test', address: 'fe80::1' });
  assert.deepEqual(parseAddHost('host.test:host-gateway'), { name: 'host.test', address: 'host-gateway' });
  assert.throws(() => parseAddHost('nocolon'), /^Error: invalid --add-host "nocolon": expected NAME:IP or NAME:host-gateway$/);
  assert.throws(() => parseAddHost(':1.2.3.4'), /expected NAME:IP/);
  assert.throws(() => parseAddHost('bad name:1.2.3.4'), /expected NAME:IP/);
  assert.throws(() => parseAddHost('db:999.1.1.1'), /"999.1.1.1" is not an IP address \(or host-gateway\)/);
  assert.equal(parseDns('1.1.1.1'), '1.1.1.1');
  assert.equal(parseDns('2001:db8::53'), '2001:db8::53');
  assert.throws(() => parseDns('dns.example'), /^Error: invalid --dns "dns.example": not an IP address$/);
});

test('the flags together: -p with none is refused, with host discarded with a warning, IPv6 with slirp4netns refused', () => {
  const host = { has: () => true, tunProblem: () => undefined, hasRoute: () => true };
  const flags = (extra) => ({ publish: [], addHost: [], dns: [], ...extra });
  const warnings = [];
  const warn = (line) => warnings.push(line);
  assert.throws(() => parseNetworkFlags(flags({ network: 'none', publish: ['80'] }), warn, host), /^Error: -p\/-P: a container with --network none has no network to publish ports on$/);
  assert.throws(() => parseNetworkFlags(flags({ network: 'none', publishAll: true }), warn, host), /--network none has no network/);
  assert.throws(() => parseNetworkFlags(flags({ network: 'none', addHost: ['h:host-gateway'] }), warn, host), /--add-host h:host-gateway: a container with --network none has no way to the host/);
  const onHost = parseNetworkFlags(flags({ network: 'host', publish: ['80'], publishAll: true }), warn, host);
  assert.deepEqual([onHost.ports, onHost.publishAll], [[], false]);
  assert.deepEqual(warnings, ['warning: published ports are discarded when using host network mode']);
  assert.throws(() => parseNetworkFlags(flags({ network: 'slirp4netns', publish: ['[::1]:8080:80'] }), warn, host), /slirp4netns publishes ports on IPv4 addresses only/);
  const request = parseNetworkFlags(flags({ publish: ['8080:80'], addHost: ['a:1.2.3.4'], dns: ['9.9.9.9'] }), warn, host);
  assert.equal(request.mode, 'pasta');
  assert.deepEqual(request.extraHosts, [{ name: 'a', address: '1.2.3.4' }]);
  assert.deepEqual(request.dns, ['9.9.9.9']);
});

const FACTS = {
  mode: 'pasta', hostname: 'abc123', name: 'web', address: '192.0.2.2', hostGateway: '192.0.2.1',
  extraHosts: [{ name: 'db.test', address: '10.0.0.5' }], nameservers: ['169.254.0.1'],
  hostResolvConf: '# host\nnameserver 127.0.0.53\nsearch example.com\noptions edns0 trust-ad\n', hostHosts: '127.0.0.1 localhost\n10.1.1.1 nas\n',
};

test('/etc/hosts: localhost, --add-host, the container\'s names on its address, the way to the host', () => {
  assert.equal(hostsFile(FACTS), [
    '127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', 'fe00::0\tip6-localnet', 'ff00::0\tip6-mcastprefix',
    'ff02::1\tip6-allnodes', 'ff02::2\tip6-allrouters', '10.0.0.5\tdb.test', '192.0.2.2\tabc123 web',
    '192.0.2.1\thost.containers.internal host.docker.internal', '',
  ].join('\n'));
  // none: no address of its own, so its names are on 127.0.0.1, and there is no way to the host.
  const none = hostsFile({ ...FACTS, mode: 'none', address: undefined, hostGateway: undefined, name: 'abc123' });
  assert.match(none, /\n127\.0\.0\.1\tabc123\n$/);
  assert.doesNotMatch(none, /host\.containers\.internal/);
  // host: the host's own file, then ours.
  const host = hostsFile({ ...FACTS, mode: 'host', address: undefined, hostGateway: undefined });
  assert.equal(host, '127.0.0.1 localhost\n10.1.1.1 nas\n# added by cellblock\n10.0.0.5\tdb.test\n127.0.0.1\tabc123 web\n');
});

test('/etc/resolv.conf: the nameservers given, the host\'s search and options kept', () => {
  assert.equal(resolvConf(FACTS.hostResolvConf, ['169.254.0.1']), '# Generated by cellblock\nnameserver 169.254.0.1\nsearch example.com\noptions edns0 trust-ad\n');
  assert.deepEqual(nameserversOf('nameserver 1.1.1.1\n# nameserver 2.2.2.2\n  nameserver ::1\n'), ['1.1.1.1', '::1']);
  const files = etcFileContents(FACTS);
  assert.deepEqual(Object.keys(files), ['hosts', 'hostname', 'resolv.conf']);
  assert.equal(files.hostname, 'abc123\n');
});

test('the host\'s route: the first default route with RTF_UP|RTF_GATEWAY, and its interface\'s IPv4 address', () => {
  const table = [
    'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
    'wg0\t00000000\t00000000\t0001\t0\t0\t0\t00000000\t0\t0\t0', // no gateway: not a way out through a router
    'eth0\t0000A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
    'eth0\t00000000\t0100A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0',
  ].join('\n');
  const interfaces = { eth0: [{ family: 'IPv6', address: 'fe80::1', internal: false, cidr: 'fe80::1/64' }, { family: 'IPv4', address: '192.168.0.7', internal: false, cidr: '192.168.0.7/24' }] };
  assert.deepEqual(hostRoute(table, interfaces), { interface: 'eth0', address: '192.168.0.7', prefixLength: 24, gateway: '192.168.0.1' });
  assert.equal(hostRoute(table.split('\n').slice(0, 3).join('\n'), interfaces), undefined, 'no default route');
  assert.equal(hostRoute(table, {}), undefined, 'an interface without an address');
});

test('the helpers\' command lines: pasta publishes only what is asked, slirp4netns is told when to go', () => {
  const address = { ipAddress: '192.0.2.2', prefixLength: 24, gateway: '192.0.2.1' };
  const ports = [
    { hostIp: '127.0.0.1', hostPort: 8080, containerPort: 80, protocol: 'tcp' },
    { hostIp: '0.0.0.0', hostPort: 5353, containerPort: 53, protocol: 'udp' },
  ];
  const args = pastaArgs(4242, address, ports, '/x/pasta.pid');
  assert.deepEqual(args.slice(0, 3), ['pasta', '--foreground', '--quiet']);
  const after = (flag) => args.flatMap((a, i) => (a === flag ? [args[i + 1]] : []));
  assert.deepEqual(after('--tcp-ports'), ['127.0.0.1/8080:80']);
  assert.deepEqual(after('--udp-ports'), ['0.0.0.0/5353:53']);
  assert.deepEqual([after('--tcp-ns'), after('--udp-ns')], [['none'], ['none']], 'nothing forwarded to the host\'s loopback by port');
  assert.deepEqual([after('--address'), after('--netmask'), after('--gateway'), after('--pid')], [['192.0.2.2'], ['24'], ['192.0.2.1'], ['/x/pasta.pid']]);
  assert.ok(args.includes('--config-net'));
  assert.equal(args.at(-1), '4242');
  assert.deepEqual(pastaArgs(1, address, [], '/p').filter((a, i, all) => all[i - 1] === '--tcp-ports' || all[i - 1] === '--udp-ports'), ['none', 'none'], 'pasta\'s default would be "auto": every listening port');
  const slirp = slirp4netnsArgs(4242, '/run/api.sock', true);
  for (const flag of ['--configure', '--ready-fd=3', '--exit-fd=4', '--enable-sandbox']) assert.ok(slirp.includes(flag), flag);
  assert.deepEqual(slirp.slice(-2), ['4242', 'eth0']);
  assert.ok(!slirp4netnsArgs(1, '/a', false).includes('--enable-sandbox'));
});

test('unshare gets --net for a network namespace of the container\'s own, and not for host', () => {
  assert.ok(unshareArgs({ netns: true }).includes('--net'));
  assert.ok(!unshareArgs({ netns: false }).includes('--net'));
  assert.ok(!unshareArgs({}).includes('--net'));
});
