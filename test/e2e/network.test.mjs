// Chapter 10 end to end, as the unprivileged test user: --network none, host,
// pasta and slirp4netns; the generated /etc files; published ports. All the
// traffic stays on the host's loopback or inside namespaces the test made: the
// servers the containers reach listen on 127.0.0.1, and the ports published
// are fetched from 127.0.0.1.
import { test } from 'node:test';
import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { pidfdOpen, waitForExit } from '../../scripts/lib/pidfd.mjs';
import { assertOneLineError, containerFixture } from './fixture.mjs';

const c = containerFixture();
const HELPERS = { pasta: 'passt', slirp4netns: 'slirp4netns' };

/** Why MODE's helper cannot run for the test user here (a SKIP line), or undefined. */
async function helperMissing(mode) {
  const program = await c.runner.exec('sh', ['-c', `command -v ${mode}`]);
  if (program.code !== 0) return `SKIP: ${mode} is not installed (apt-get install ${HELPERS[mode]}; .ci/run does)`;
  const tun = await c.runner.exec('sh', ['-c', 'test -r /dev/net/tun && test -w /dev/net/tun']);
  if (tun.code !== 0) return `SKIP: ${c.runner.user.name} cannot open /dev/net/tun (as root: chmod 0666 /dev/net/tun, as Debian ships it; .ci/run does)`;
  return undefined;
}

/** An HTTP server on the host's loopback that answers "reached URL" and counts its requests. */
async function hostServer(t) {
  const server = createServer((request, response) => {
    server.requests++;
    response.end(`reached ${request.url}\n`);
  });
  server.requests = 0;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  return server;
}

/** A TCP port free on 127.0.0.1 right now. */
async function freePort() {
  const server = createTcpServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Run cellblock; fail the test with its stderr when it does not exit 0. */
async function ok(args) {
  const r = await c.runner.cellblock(args);
  assert.equal(r.code, 0, `cellblock ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

/**
 * pasta and slirp4netns processes of this runner's containers: their command
 * lines name the runner's own data dir (pasta's pid FIFO) or runtime dir
 * (slirp4netns's API socket).
 */
function helperProcesses() {
  return readdirSync('/proc').filter((pid) => /^\d+$/.test(pid)).filter((pid) => {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      return /^(pasta|slirp4netns)$/.test(argv[0]) && argv.some((arg) => arg.startsWith(c.runner.dataDir) || arg.startsWith(c.runner.runtimeDir));
    } catch {
      return false; // gone while we looked
    }
  });
}

const records = () => readdirSync(join(c.runner.runtimeDir, 'cellblock', 'containers')).filter((f) => f.endsWith('.json'));

/** The host's own (non-loopback) IPv4 address, if it has one. */
function hostAddress() {
  return Object.values(networkInterfaces()).flat().find((i) => i.family === 'IPv4' && !i.internal)?.address ?? '192.0.2.1';
}

test('--network none: only lo, up; a fresh /sys shows it alone; the host cannot be reached', async (t) => {
  const server = await hostServer(t);
  const port = server.address().port;
  // (busybox-static's wget crashes in a root filesystem without glibc's NSS libraries: nc does not.)
  const r = await c.sh(
    `ip -o link | cut -d: -f2 | tr -d ' '; ls /sys/class/net; ip -o -4 addr show lo | grep -c 127.0.0.1
     nc -w 3 127.0.0.1 ${port} </dev/null 2>&1 || echo "loopback: no"
     nc -w 3 ${hostAddress()} ${port} </dev/null 2>&1 || echo "host: no"`,
    ['--network', 'none'],
  );
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.deepEqual(lines.slice(0, 3), ['lo', 'lo', '1'], 'one interface, lo, with 127.0.0.1: it is up');
  assert.match(r.stdout, /Connection refused\nloopback: no/, "127.0.0.1 is the container's own loopback, where nothing listens");
  assert.match(r.stdout, /Network is unreachable\nhost: no/, 'no route leads anywhere else');
  assert.equal(server.requests, 0);
});

/** Why the default network cannot run here (SKIP line), or undefined: pasta, else slirp4netns. */
async function defaultMissing() {
  return (await helperMissing('pasta')) && (await helperMissing('slirp4netns'));
}

/**
 * The container reaches a server on the host's 127.0.0.1 through its helper
 * (MODE's, run with FLAGS): by the gateway's address (/etc/hosts calls it
 * host.containers.internal), and by --add-host names for it.
 */
async function reachesHost(t, mode, flags) {
  const missing = await helperMissing(mode);
  if (missing) return t.skip(missing);
  const server = await hostServer(t);
  const port = server.address().port;
  // busybox-static's wget crashes in a root filesystem without glibc's NSS
  // libraries; nc does not. Its stdin is kept open a moment after the
  // request: at end of input nc half-closes the connection, and Debian 12's
  // pasta (2023-03) mishandles a connection the container half-closes first —
  // it sends the reply again and again.
  const get = (path, host) => `{ printf 'GET ${path} HTTP/1.0\\r\\n\\r\\n'; sleep 1; } | nc -w 5 ${host} ${port} | tail -n 1`;
  const r = await c.sh(
    `gw=$(awk '$2 == "host.containers.internal" {print $1}' /etc/hosts)
     echo "gateway $gw $(ip route | awk '/^default/ {print $3}')"
     ${get('/by-gateway', '$gw')}
     ${get('/by-name', 'web.test')}
     ${get('/by-address', 'pinned.test')}`,
    ['--add-host', 'web.test:host-gateway', '--add-host', `pinned.test:${gatewayFor(mode)}`, ...flags],
  );
  assert.equal(r.code, 0, r.stderr);
  const [gatewayLine, ...replies] = r.stdout.trim().split('\n');
  const [, fromHosts, fromRoute] = gatewayLine.split(' ');
  assert.equal(fromHosts, gatewayFor(mode));
  assert.equal(fromRoute, fromHosts, '/etc/hosts names the default gateway host.containers.internal');
  assert.deepEqual(replies, ['reached /by-gateway', 'reached /by-name', 'reached /by-address']);
  assert.equal(server.requests, 3);
}

/** The host's gateway, from its first IPv4 default route (what pasta copies), if it has one. */
function hostGateway() {
  const route = readFileSync('/proc/net/route', 'utf8').split('\n').map((line) => line.trim().split(/\s+/))
    .find((f) => f[1] === '00000000' && f[7] === '00000000' && (parseInt(f[3], 16) & 3) === 3);
  if (!route) return undefined;
  const value = parseInt(route[2], 16);
  return [0, 8, 16, 24].map((shift) => (value >>> shift) & 255).join('.');
}

/** The gateway a container of MODE gets: pasta copies the host's, slirp4netns has its own. */
const gatewayFor = (mode) => (mode === 'slirp4netns' ? '10.0.2.2' : hostGateway());

test('the default network (pasta): the host\'s loopback server is reached through the gateway, by address and by --add-host names', (t) => {
  if (!hostGateway()) return t.skip('SKIP: this host has no IPv4 default route, so the default network is slirp4netns here (tested below)');
  return reachesHost(t, 'pasta', []);
});

test('--network slirp4netns: the same, through 10.0.2.2', (t) => reachesHost(t, 'slirp4netns', ['--network', 'slirp4netns']));

test('/etc/hosts, /etc/hostname and /etc/resolv.conf are generated, bound over the image\'s, and say what the container has', async (t) => {
  const r = await c.sh('cat /etc/hostname; echo ---; cat /etc/hosts; echo ---; cat /etc/resolv.conf; echo ---; grep -E " /etc/(hosts|hostname|resolv.conf) " /proc/self/mountinfo | wc -l',
    ['--network', 'none', '--name', 'etc-files', '-h', 'box', '--add-host', 'db.test:10.9.8.7', '--dns', '192.0.2.53']);
  assert.equal(r.code, 0, r.stderr);
  const [hostname, hosts, resolv, mounts] = r.stdout.split('---\n');
  assert.equal(hostname, 'box\n');
  assert.match(hosts, /^127\.0\.0\.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n/);
  assert.match(hosts, /\n10\.9\.8\.7\tdb\.test\n127\.0\.0\.1\tbox etc-files\n$/, '--add-host, then its own names (none: on 127.0.0.1)');
  assert.match(resolv, /^# Generated by cellblock\nnameserver 192\.0\.2\.53\n/);
  assert.equal(mounts.trim(), '3', 'three bind mounts');

  const missing = await helperMissing('pasta');
  if (missing) return t.skip(missing);
  const own = await c.sh('cat /etc/resolv.conf; ip -o -4 addr show eth0 | awk \'{print $4}\'; grep -v -e localhost -e ip6 -e host.containers /etc/hosts', ['--name', 'etc-pasta']);
  assert.equal(own.code, 0, own.stderr);
  assert.match(own.stdout, /^# Generated by cellblock\nnameserver 169\.254\.0\.1\n/, "pasta's DNS forwarder");
  const [address] = own.stdout.match(/^[\d.]+(?=\/\d+$)/m);
  assert.match(own.stdout, new RegExp(`^${address.replace(/\./g, '\\.')}\\t[0-9a-f]{12} etc-pasta$`, 'm'), 'its hostname and name on the address eth0 has');
  const host = await c.sh('cat /etc/resolv.conf', ['--network', 'host']);
  const hostServers = readFileSync('/etc/resolv.conf', 'utf8').split('\n').filter((l) => /^nameserver\s/.test(l)).map((l) => l.replace(/\s+/g, ' '));
  assert.deepEqual(host.stdout.split('\n').filter((l) => l.startsWith('nameserver')), hostServers, "--network host: the host's nameservers");
});

test('an image\'s layer is never written: its /etc/hosts stays, the container sees the generated one, and the writable layer holds nothing of it', async () => {
  const tree = c.runner.tempDir('cellblock-net-image-');
  const rootfs = join(tree, 'rootfs');
  mkdirSync(rootfs);
  // A copy of the fixture's busybox tree, with files of its own in /etc.
  execFileSync('cp', ['-a', `${c.rootfs}/.`, rootfs]);
  writeFileSync(join(rootfs, 'etc/hosts'), '# the image\'s own hosts\n');
  writeFileSync(join(rootfs, 'etc/hostname'), 'image-hostname\n');
  c.runner.chownTree(tree);
  await ok(['import', '--change', 'EXPOSE 80', rootfs, 'localhost/net-image:1']);
  const name = `net-image-${process.pid}`;
  const r = await c.runner.cellblock(['run', '--name', name, '--network', 'none', 'localhost/net-image:1', 'sh', '-c', 'cat /etc/hosts /etc/hostname; echo changed > /etc/hosts']);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /the image's own hosts/);
  assert.match(r.stdout, /\tlocalhost\n/);
  const [lower] = (await ok(['inspect', '-f', '{{.GraphDriver.Data.LowerDir}}', name])).split(':');
  const upper = await ok(['inspect', '-f', '{{.GraphDriver.Data.UpperDir}}', name]);
  assert.equal(readFileSync(join(lower, 'etc/hosts'), 'utf8'), "# the image's own hosts\n", 'the layer is untouched');
  assert.equal(readFileSync(join(lower, 'etc/hostname'), 'utf8'), 'image-hostname\n');
  assert.ok(!existsSync(join(upper, 'etc/hosts')), 'a write to /etc/hosts went to the bound file, not the writable layer');
  await ok(['rm', name]);
});

/** A page for busybox httpd to serve, in the fixture's root filesystem. */
function prepareWww() {
  const www = join(c.rootfs, 'www');
  mkdirSync(www, { recursive: true });
  writeFileSync(join(www, 'index.html'), 'served from the container\n');
  c.runner.chownTree(www);
}

/**
 * Publish container port 80 (busybox httpd) with FLAGS, in MODE ("default":
 * no --network), from --rootfs or IMAGE; fetch the page from the host; return
 * what port, ps, inspect and exec said. rm -f then leaves no helper.
 */
async function publishAndFetch(t, mode, flags, image) {
  const missing = mode === 'default' ? await defaultMissing() : await helperMissing(mode);
  if (missing) return t.skip(missing);
  prepareWww();
  const name = `web-${mode}-${process.pid}`;
  const networkFlags = mode === 'default' ? [] : ['--network', mode];
  const source = image ? [image] : ['--rootfs', c.rootfs];
  // Without -f, busybox httpd binds its port and then goes to the background: when run -d returns, it listens.
  await ok(['run', '-d', '--name', name, ...networkFlags, ...flags, ...source, 'sh', '-c', 'httpd -p 80 -h /www && exec sleep 1000']);
  t.after(() => c.runner.cellblock(['rm', '-f', name]));
  const port = await ok(['port', name]);
  const hostPort = (await ok(['port', name, '80/tcp'])).split('\n')[0].split(':').at(-1);
  const page = await (await fetch(`http://127.0.0.1:${hostPort}/index.html`)).text();
  assert.equal(page, 'served from the container\n');
  const ps = await ok(['ps', '--filter', `name=${name}`, '--format', '{{.Ports}}']);
  const inspect = JSON.parse(await ok(['inspect', name]))[0];
  const exec = await ok(['exec', name, 'sh', '-c', 'ip -o -4 addr show eth0 | awk \'{print $4}\'']);
  await ok(['rm', '-f', name]);
  assert.deepEqual(helperProcesses(), [], `rm -f left no ${mode} helper behind`);
  return { port, hostPort, ps, inspect, exec };
}

for (const mode of ['default', 'slirp4netns']) {
  test(`-p 127.0.0.1:PORT:80 (${mode}): the host fetches busybox httpd's page; port, ps and inspect say where`, async (t) => {
    const wanted = await freePort();
    const seen = await publishAndFetch(t, mode, ['-p', `127.0.0.1:${wanted}:80`]);
    if (!seen) return;
    assert.equal(seen.port, `80/tcp -> 127.0.0.1:${wanted}`);
    assert.equal(seen.ps, `127.0.0.1:${wanted}->80/tcp`);
    assert.deepEqual(seen.inspect.NetworkSettings.Ports, { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(wanted) }] });
    assert.deepEqual(seen.inspect.HostConfig.PortBindings, { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(wanted) }] });
    assert.equal(seen.inspect.HostConfig.NetworkMode, mode === 'default' ? 'pasta' : mode);
    assert.equal(`${seen.inspect.NetworkSettings.IPAddress}/${seen.inspect.NetworkSettings.IPPrefixLen}`, seen.exec, 'inspect gives the address eth0 has (exec joins the network namespace)');
    assert.match(seen.inspect.NetworkSettings.SandboxKey, /^\/proc\/\d+\/ns\/net$/);
  });
}

test('-p 80: a free host port is picked; port, ps and inspect report it, and it works', async (t) => {
  const seen = await publishAndFetch(t, 'default', ['-p', '80']);
  if (!seen) return;
  assert.match(seen.port, /^80\/tcp -> 0\.0\.0\.0:\d+$/);
  assert.notEqual(seen.hostPort, '80');
  assert.equal(seen.ps, `0.0.0.0:${seen.hostPort}->80/tcp`);
  assert.deepEqual(seen.inspect.HostConfig.PortBindings, { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '' }] }, 'asked for: any port');
  assert.deepEqual(seen.inspect.NetworkSettings.Ports, { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: seen.hostPort }] });
});

test('-P publishes what the image exposes (EXPOSE 80), on a free port', async (t) => {
  prepareWww();
  await ok(['import', '--change', 'EXPOSE 80', c.rootfs, 'localhost/net-web:1']);
  const seen = await publishAndFetch(t, 'default', ['-P'], 'localhost/net-web:1');
  if (!seen) return;
  assert.match(seen.port, /^80\/tcp -> 0\.0\.0\.0:\d+$/);
  assert.equal(seen.inspect.HostConfig.PublishAllPorts, true);
});

test('a host port already in use: one line, exit 125, and no container', async (t) => {
  const missing = await defaultMissing();
  if (missing) return t.skip(missing);
  const tcp = createTcpServer();
  await new Promise((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  t.after(() => tcp.close());
  const udp = createSocket('udp4');
  await new Promise((resolve) => udp.bind(0, '127.0.0.1', resolve));
  t.after(() => udp.close());
  const before = records().length;
  const taken = tcp.address().port;
  const inUse = new RegExp(`^cellblock: -p 127\\.0\\.0\\.1:${taken}:80: 127\\.0\\.0\\.1:${taken}/tcp is already in use on the host$`);
  assertOneLineError(assert, await c.run(['-p', `127.0.0.1:${taken}:80`], ['true']), inUse);
  if (!(await helperMissing('slirp4netns'))) assertOneLineError(assert, await c.run(['--network', 'slirp4netns', '-p', `127.0.0.1:${taken}:80`], ['true']), inUse);
  assertOneLineError(assert, await c.run(['-p', `127.0.0.1:${udp.address().port}:53/udp`], ['true']), /\/udp is already in use on the host$/);
  assertOneLineError(assert, await c.run(['-p', '192.0.2.254:18080:80'], ['true']), /^cellblock: -p 192\.0\.2\.254:18080:80: 192\.0\.2\.254 is not an address of this host$/);
  // Two -p for one host port collide with each other.
  const free = await freePort();
  assertOneLineError(assert, await c.run(['-p', `127.0.0.1:${free}:80`, '-p', `${free}:81`], ['true']), new RegExp(`^cellblock: -p ${free}:81: 0\\.0\\.0\\.0:${free}/tcp is already in use on the host$`));
  assert.equal(records().length, before, 'no record was made');
  assert.deepEqual(helperProcesses(), []);
});

test('bad --network, -p, --add-host and --dns values: one line each, and no container', async () => {
  const before = records().length;
  const cases = [
    [['--network', 'wifi'], /^cellblock: --network "wifi": no such network mode \(none, host, pasta, slirp4netns\) or network \(cellblock network create wifi makes one\)$/],
    [['--network', 'bridge'], /^cellblock: --network bridge: there is no default bridge network here/],
    [['--network-alias', 'db'], /^cellblock: --network-alias: only a container on a user-defined network \(--network NAME\) has aliases$/],
    [['-p', '80/sctp'], /^cellblock: invalid -p "80\/sctp": protocol "sctp" is not tcp or udp/],
    [['-p', '70000:80'], /^cellblock: invalid -p "70000:80": host port 70000 is not between 1 and 65535/],
    [['-p', '1.2.3.4.5:80:80'], /"1\.2\.3\.4\.5" is not an IP address/],
    [['-p', '8000-8010:80'], /port ranges are not supported/],
    [['--network', 'none', '-p', '80'], /^cellblock: -p\/-P: a container with --network none has no network to publish ports on$/],
    [['--add-host', 'nocolon'], /^cellblock: invalid --add-host "nocolon": expected NAME:IP or NAME:host-gateway$/],
    [['--add-host', 'db:not-an-ip'], /"not-an-ip" is not an IP address \(or host-gateway\)/],
    [['--dns', 'resolver.example'], /^cellblock: invalid --dns "resolver.example": not an IP address$/],
  ];
  for (const [flags, pattern] of cases) assertOneLineError(assert, await c.run(flags, ['true']), pattern);
  assert.equal(records().length, before);
});

test('no helper outlives its container: not after rm -f, not after its supervisor is killed with SIGKILL', async (t) => {
  const missing = { pasta: await helperMissing('pasta'), slirp4netns: await helperMissing('slirp4netns') };
  if (missing.pasta && missing.slirp4netns) return t.skip(missing.pasta);
  for (const mode of ['pasta', 'slirp4netns']) {
    if (missing[mode]) {
      t.diagnostic(`${mode}: ${missing[mode]}`);
      continue;
    }
    const id = await ok(['run', '-d', '--network', mode, '--rootfs', c.rootfs, 'sleep', '1000']);
    assert.equal(helperProcesses().length, 1, `one ${mode} while it runs`);
    await ok(['rm', '-f', id]);
    assert.deepEqual(helperProcesses(), [], `rm -f: no ${mode} left`);

    const again = await ok(['run', '-d', '--network', mode, '--rootfs', c.rootfs, 'sleep', '1000']);
    const record = JSON.parse(readFileSync(join(c.runner.runtimeDir, 'cellblock', 'containers', `${again}.json`), 'utf8'));
    const [helper] = helperProcesses();
    const handle = pidfdOpen(Number(helper)); // taken while it lives: its pid cannot be reused under us
    process.kill(record.supervisorPid, 'SIGKILL');
    // pasta dies of --pdeathsig, slirp4netns of its --exit-fd closing: at once, but not in the same instant.
    assert.ok(handle === undefined || waitForExit(handle, 10_000), `${mode} outlived its supervisor's SIGKILL`);
    assert.deepEqual(helperProcesses(), []);
    await ok(['rm', '-f', again]);
  }
});
