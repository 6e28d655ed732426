// Chapter 10 end to end, as the unprivileged test user: user-defined networks.
// Two containers on one network reach each other by name (and alias); the
// /etc/hosts of the one left follows the other's removal; network rm of a
// network in use is refused; connect and disconnect change a running
// container's interfaces; and once the last container is gone, nothing of the
// rootless network namespace is left: no holder, no helper, no namespace (so
// no bridge). All traffic stays in namespaces the test made.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pidfdOpen, waitForExit } from '../../scripts/lib/pidfd.mjs';
import { assertOneLineError, containerFixture } from './fixture.mjs';

const c = containerFixture();

/** Why user-defined networks cannot run here (a SKIP line), or undefined. */
async function cannotRun() {
  for (const [program, pkg] of [['nft', 'nftables'], ['ip', 'iproute2']]) {
    const found = await c.runner.exec('sh', ['-c', `PATH=$PATH:/usr/sbin:/sbin command -v ${program}`]);
    if (found.code !== 0) return `SKIP: ${program} is not installed (apt-get install ${pkg}; .ci/run does)`;
  }
  const helper = await c.runner.exec('sh', ['-c', 'command -v pasta || command -v slirp4netns']);
  if (helper.code !== 0) return 'SKIP: neither pasta nor slirp4netns is installed (.ci/run installs both)';
  const tun = await c.runner.exec('sh', ['-c', 'test -r /dev/net/tun && test -w /dev/net/tun']);
  if (tun.code !== 0) return `SKIP: ${c.runner.user.name} cannot open /dev/net/tun (chmod 0666 /dev/net/tun; .ci/run does)`;
  return undefined;
}

async function ok(args) {
  const r = await c.runner.cellblock(args);
  assert.equal(r.code, 0, `cellblock ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

const statePath = () => join(c.runner.runtimeDir, 'cellblock', 'rootless-netns', 'state.json');
const readState = () => JSON.parse(readFileSync(statePath(), 'utf8'));

/** Pids of processes whose network namespace is NETNS (e.g. "net:[4026532179]"). */
function processesIn(netns) {
  return readdirSync('/proc').filter((pid) => /^\d+$/.test(pid)).filter((pid) => {
    try {
      return readlinkSync(`/proc/${pid}/ns/net`) === netns;
    } catch {
      return false;
    }
  });
}

/** A page for busybox httpd to serve, in the fixture's root filesystem. */
function prepareWww(text) {
  const www = join(c.rootfs, 'www');
  mkdirSync(www, { recursive: true });
  writeFileSync(join(www, 'index.html'), text);
  c.runner.chownTree(www);
}

test('two containers on one network fetch from each other by name and alias; hosts follow removals; network rm in use is refused; nothing is left after', async (t) => {
  const missing = await cannotRun();
  if (missing) return t.skip(missing);
  const net = `app${process.pid}`;
  assert.equal(await ok(['network', 'create', net]), net);
  t.after(() => c.runner.cellblock(['network', 'rm', net]));
  const listed = await ok(['network', 'ls']);
  assert.match(listed, new RegExp(`\\b${net}\\s+bridge\\s+10\\.89\\.\\d+\\.0/24`));

  prepareWww('served by web\n');
  const web = `web-${process.pid}`;
  const client = `client-${process.pid}`;
  await ok(['run', '-d', '--name', web, '--network', net, '--network-alias', 'www', '--rootfs', c.rootfs, 'sh', '-c', 'httpd -p 80 -h /www && exec sleep 1000']);
  t.after(() => c.runner.cellblock(['rm', '-f', web]));
  prepareWww('served by client\n');
  await ok(['run', '-d', '--name', client, '--network', net, '--rootfs', c.rootfs, 'sh', '-c', 'httpd -p 80 -h /www && exec sleep 1000']);
  t.after(() => c.runner.cellblock(['rm', '-f', client]));

  // Both ways, by name; and by web's alias.
  assert.equal(await ok(['exec', client, 'wget', '-q', '-O-', `http://${web}/`]), 'served by client', 'one www dir, shared rootfs: the page says whose httpd, not whose file');
  const fromWeb = await ok(['exec', web, 'sh', '-c', `wget -q -O- http://${client}/ && grep -w ${client} /etc/hosts`]);
  assert.match(fromWeb, new RegExp(`^served by client\\n10\\.89\\.\\d+\\.\\d+\\t${client}\\b`));
  await ok(['exec', client, 'wget', '-q', '-O', '/dev/null', 'http://www/']);
  const addresses = await ok(['exec', client, 'sh', '-c', 'ip -o -4 addr show eth0 | awk \'{print $4}\'']);
  const inspect = JSON.parse(await ok(['network', 'inspect', net]))[0];
  const members = Object.values(inspect.Containers).map((m) => `${m.Name} ${m.IPv4Address}`).sort();
  assert.equal(members.length, 2);
  assert.ok(members.includes(`${client} ${addresses}`), `inspect lists ${client} on ${addresses}: ${members}`);
  assert.deepEqual(inspect.IPAM.Config[0].Gateway.split('.').at(-1), '1');

  // Both share the rootless namespace's user namespace; each has its network namespace.
  const state = readState();
  const holderNet = readlinkSync(`/proc/${state.holder.pid}/ns/net`);
  const holderUser = readlinkSync(`/proc/${state.holder.pid}/ns/user`);
  const pids = [];
  for (const name of [web, client]) pids.push(JSON.parse(await ok(['inspect', name]))[0].State.Pid);
  for (const pid of pids) {
    assert.equal(readlinkSync(`/proc/${pid}/ns/user`), holderUser);
    assert.notEqual(readlinkSync(`/proc/${pid}/ns/net`), holderNet);
  }

  assertOneLineError(assert, await c.runner.cellblock(['network', 'rm', net]), new RegExp(`^cellblock: network ${net} is in use by container`));

  await ok(['rm', '-f', web]);
  const hosts = await ok(['exec', client, 'cat', '/etc/hosts']);
  assert.doesNotMatch(hosts, new RegExp(`${web}|\\bwww\\b`), 'web is gone from the hosts file');
  assert.match(hosts, new RegExp(`\\t[0-9a-f]{12} ${client}$`, 'm'), 'its own line stays');

  const handles = [state.holder.pid, state.helper.pid].map((pid) => pidfdOpen(pid));
  await ok(['rm', '-f', client]);
  for (const handle of handles) assert.ok(handle === undefined || waitForExit(handle, 10_000), 'the holder and the helper end with the last container');
  assert.ok(!existsSync(statePath()), 'no state left');
  assert.deepEqual(processesIn(holderNet), [], 'no process holds the rootless network namespace (nor its bridge)');
  assert.equal(await ok(['network', 'rm', net]), net);
});

test('-p through the relay; network connect and disconnect a running container; bad input is one line and changes nothing', async (t) => {
  const missing = await cannotRun();
  if (missing) return t.skip(missing);
  const [front, back] = [`front${process.pid}`, `back${process.pid}`];
  await ok(['network', 'create', front]);
  await ok(['network', 'create', '--subnet', '10.77.3.0/24', back]);
  t.after(() => c.runner.cellblock(['network', 'rm', front, back]));
  prepareWww('relayed\n');
  const [a, b] = [`a-${process.pid}`, `b-${process.pid}`];
  t.after(() => c.runner.cellblock(['rm', '-f', a, b]));
  // Port 0 is no -p value: ask the kernel for a free one through -p CPORT, and read it back.
  await ok(['run', '-d', '--name', a, '--network', front, '-p', '127.0.0.1::80', '--rootfs', c.rootfs, 'sh', '-c', 'httpd -p 80 -h /www && exec sleep 1000']);
  const published = await ok(['port', a, '80/tcp']);
  assert.match(published, /^127\.0\.0\.1:\d+$/);
  assert.equal(await (await fetch(`http://${published}/`)).text(), 'relayed\n', 'the host fetched the page through the relay');
  await ok(['run', '-d', '--name', b, '--network', back, '--rootfs', c.rootfs, 'sh', '-c', 'httpd -p 80 -h /www && exec sleep 1000']);
  assert.doesNotMatch(await ok(['exec', a, 'cat', '/etc/hosts']), new RegExp(b), 'on different networks, they do not know each other');

  await ok(['network', 'connect', '--alias', 'api', back, a]);
  assert.match(await ok(['exec', a, 'ip', '-o', '-4', 'addr', 'show', 'eth1']), /inet 10\.77\.3\.\d+\/24/, 'a second interface, on the second network');
  assert.equal(await ok(['exec', a, 'wget', '-q', '-O-', `http://${b}/`]), 'relayed');
  assert.match(await ok(['exec', b, 'cat', '/etc/hosts']), new RegExp(`^10\\.77\\.3\\.\\d+\\t${a} .* api$`, 'm'), 'b learns a (and its alias) at once');
  assert.deepEqual(JSON.parse(await ok(['inspect', a]))[0].HostConfig.NetworkMode, front);

  await ok(['network', 'disconnect', back, a]);
  const gone = await c.runner.cellblock(['exec', a, 'ip', 'link', 'show', 'eth1']);
  assert.notEqual(gone.code, 0, 'eth1 is gone');
  assert.doesNotMatch(await ok(['exec', b, 'cat', '/etc/hosts']), new RegExp(a), 'b forgets a');

  const before = await ok(['network', 'ls', '-q']);
  const cases = [
    [['network', 'create', front], /^cellblock: network create \S+: a network with that name exists already$/],
    [['network', 'create', 'bad name'], /^cellblock: network create "bad name": a network name is letters/],
    [['network', 'create', '--subnet', '10.77.3.0/25', 'x'], /^cellblock: network create x: subnet 10\.77\.3\.0\/25 overlaps 10\.77\.3\.0\/24 of network /],
    [['network', 'create', '--subnet', '300.1.1.0/24', 'x'], /^cellblock: --subnet "300\.1\.1\.0\/24": expected an IPv4 CIDR/],
    [['network', 'rm', 'nosuch'], /^cellblock: network nosuch: no such network/],
    [['network', 'connect', back, 'nosuch'], /^cellblock: no such container/i],
    [['network', 'connect', front, a], /is on network \S+ already$/],
    [['run', '--rm', '--network', 'nosuch', '--rootfs', c.rootfs, 'true'], /^cellblock: --network "nosuch": no such network mode .* or network/],
    [['run', '--rm', '--network', front, '-p', '53/udp', '--rootfs', c.rootfs, 'true'], /publishes tcp ports only/],
    [['run', '--rm', '--network', front, '--userns', 'single', '--rootfs', c.rootfs, 'true'], /^cellblock: --userns=single: containers on network \S+ share one user namespace, mapped --userns=subids$/],
    [['run', '--rm', '--network', front, '--network-alias', 'no/slash', '--rootfs', c.rootfs, 'true'], /^cellblock: invalid --network-alias "no\/slash"/],
  ];
  for (const [args, pattern] of cases) assertOneLineError(assert, await c.runner.cellblock(args), pattern);
  assert.equal(await ok(['network', 'ls', '-q']), before, 'no network was made or lost');

  const defaultOne = `plain-${process.pid}`;
  await ok(['run', '-d', '--name', defaultOne, '--network', 'none', '--rootfs', c.rootfs, 'sleep', '1000']);
  t.after(() => c.runner.cellblock(['rm', '-f', defaultOne]));
  assertOneLineError(assert, await c.runner.cellblock(['network', 'connect', front, defaultOne]), /was made with --network none: only a container made on a user-defined network can join another$/);

  await ok(['rm', '-f', a, b]);
  assert.ok(!existsSync(statePath()) || (await new Promise((r) => setTimeout(r, 500)), !existsSync(statePath())), 'the rootless network namespace ended with its last container');
});

test('a supervisor killed with SIGKILL: the others forget its container, and rm -f of the last container ends the rootless namespace', async (t) => {
  const missing = await cannotRun();
  if (missing) return t.skip(missing);
  const net = `crash${process.pid}`;
  await ok(['network', 'create', net]);
  t.after(() => c.runner.cellblock(['network', 'rm', net]));
  const [victim, witness] = [`victim-${process.pid}`, `witness-${process.pid}`];
  t.after(() => c.runner.cellblock(['rm', '-f', victim, witness]));
  await ok(['run', '-d', '--name', witness, '--network', net, '--rootfs', c.rootfs, 'sleep', '1000']);
  const id = await ok(['run', '-d', '--name', victim, '--network', net, '--rootfs', c.rootfs, 'sleep', '1000']);
  assert.match(await ok(['exec', witness, 'cat', '/etc/hosts']), new RegExp(victim));
  const record = JSON.parse(readFileSync(join(c.runner.runtimeDir, 'cellblock', 'containers', `${id}.json`), 'utf8'));
  const state = readState();
  const handle = pidfdOpen(record.supervisorPid);
  process.kill(record.supervisorPid, 'SIGKILL');
  assert.ok(handle === undefined || waitForExit(handle, 10_000));
  await ok(['rm', '-f', victim]);
  assert.doesNotMatch(await ok(['exec', witness, 'cat', '/etc/hosts']), new RegExp(victim), 'rm -f of the orphan told the witness');
  const holder = pidfdOpen(state.holder.pid);
  await ok(['rm', '-f', witness]);
  assert.ok(holder === undefined || waitForExit(holder, 10_000), 'the holder ended with the last container');
  assert.ok(!existsSync(statePath()));
});

test('a full subnet: the next container is refused in one line, gives back its place, and the namespace still ends with the last one', async (t) => {
  const missing = await cannotRun();
  if (missing) return t.skip(missing);
  const net = `tiny${process.pid}`;
  await ok(['network', 'create', '--subnet', '10.66.0.0/30', net]); // .1 the gateway, .2 the only address
  t.after(() => c.runner.cellblock(['network', 'rm', net]));
  const first = `first-${process.pid}`;
  await ok(['run', '-d', '--name', first, '--network', net, '--rootfs', c.rootfs, 'sleep', '1000']);
  t.after(() => c.runner.cellblock(['rm', '-f', first]));
  assertOneLineError(assert, await c.run(['--network', net], ['true']), new RegExp(`^cellblock: network ${net}: every address of 10\\.66\\.0\\.0/30 is in use$`));
  assert.equal(readState().members.length, 1, 'the refused one left');
  const holder = pidfdOpen(readState().holder.pid);
  await ok(['rm', '-f', first]);
  assert.ok(holder === undefined || waitForExit(holder, 10_000), 'the holder ended with the last container');
  assert.ok(!existsSync(statePath()));
});
