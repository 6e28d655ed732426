// Lab 10 — networking: network namespaces, a veth pair by hand, and what cellblock gives a container.
// Chapter: chapters/10-networking.md
// Code:    src/network/mode.ts (which network), src/network/pasta.ts and slirp4netns.ts (the
//          helpers), src/network/host-ports.ts (-p), src/network/etc-files.ts and
//          src/init/network.ts (lo, the /etc files), src/network/rootless-netns.ts,
//          veth.ts and members.ts (user-defined networks)
//
// Run: node labs/10-networking/lab.mjs
//
// Part one uses no cellblock: as the unprivileged user, two network namespaces
// in one user namespace, joined by a veth pair — and the same command refused
// where the user has no CAP_NET_ADMIN. Part two runs cellblock: --network none,
// the default network, a published port, and a network of your own.
import { readFileSync, readdirSync, readlinkSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { check, lab, missingCommands, note, onCleanup, section, show, skip, within, DEFAULT_TIMEOUT_MS } from '../lib.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const firstLine = (text) => text.trim().split('\n')[0] ?? '';
const nsOf = (pid, kind) => { try { return readlinkSync(`/proc/${pid}/ns/${kind}`); } catch (e) { return `(${e.code})`; } };

/** `ip -o link` (iproute2's or busybox's) as [{ name, up }]: "2: veth0@if2: <BROADCAST,UP,…> …". */
function links(text) {
  return text.split('\n').flatMap((line) => {
    const match = /^\d+: ([^:@\s]+)(?:@\S+)?: <([^>]*)>/.exec(line);
    return match ? [{ name: match[1], up: match[2].split(',').includes('UP') }] : [];
  });
}
const describeLinks = (list) => list.map((l) => `${l.name} ${l.up ? 'UP' : 'DOWN'}`).join(', ') || '(none)';

/** The IPv4 address in `ip -o -4 addr show IFACE`: "2: eth0    inet 10.89.0.2/24 …" → 10.89.0.2. */
const ipv4Of = (text) => /\binet (\d+\.\d+\.\d+\.\d+)\//.exec(text)?.[1];

/** The address /etc/hosts gives NAME (names are every field after the first). */
function hostsAddress(hosts, name) {
  return hosts.split('\n').map((l) => l.trim().split(/\s+/)).find((fields) => fields[0] && !fields[0].startsWith('#') && fields.slice(1).includes(name))?.[0];
}

/** Whether dotted ADDRESS is inside CIDR (a.b.c.d/n). */
function inSubnet(address, cidr) {
  const [base, bits] = cidr.split('/');
  const number = (dotted) => dotted.split('.').reduce((n, part) => n * 256 + Number(part), 0);
  const size = 2 ** (32 - Number(bits));
  return Math.floor(number(address) / size) === Math.floor(number(base) / size);
}

/** Host pids of every process whose KIND namespace is one of IDS ("net:[4026532183]"…). */
function processesIn(kind, ids) {
  return readdirSync('/proc').filter((e) => /^\d+$/.test(e)).filter((pid) => ids.includes(nsOf(pid, kind))).map(Number);
}

/**
 * Who listens on 127.0.0.1:PORT in our network namespace (the host's):
 * /proc/net/tcp names the socket's owner (uid) and inode; the process is the
 * one with that inode among its fds — when we may look (pasta makes itself
 * unreadable to anyone but root).
 */
function listenerOn(port) {
  const wanted = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const fields = readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1).map((l) => l.trim().split(/\s+/))
    .find((f) => f[1] === wanted && f[3] === '0A'); // 0A: TCP_LISTEN
  if (!fields) return undefined;
  const [uid, inode] = [Number(fields[7]), fields[9]];
  for (const pid of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const fds = readdirSync(`/proc/${pid}/fd`).map((fd) => readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (fds.includes(`socket:[${inode}]`)) return { uid, pid: Number(pid), comm: readFileSync(`/proc/${pid}/comm`, 'utf8').trim(), fds };
    } catch {
      // gone, or not ours to read
    }
  }
  return { uid };
}

/** A port nobody listens on now: the kernel's choice for port 0. */
async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** GET URL with Node's fetch until it answers (the server in the container may not be listening yet). */
async function fetchText(url, ms = DEFAULT_TIMEOUT_MS) {
  let last;
  for (const deadline = Date.now() + ms; Date.now() < deadline; await sleep(100)) {
    try {
      const response = await within(fetch(url), 2_000, undefined);
      if (response) return { status: response.status, text: await response.text() };
      last = 'no answer within 2 s';
    } catch (error) {
      last = error.cause?.code ?? error.message;
    }
  }
  return { status: 0, text: '', error: last };
}

await lab('Lab 10 · networking', async (context) => {
  await byHand(context);
  await withCellblock(context);
});

// ───────────────────────────── part one: by hand ─────────────────────────────

async function byHand({ user, asUser, startAsUser }) {
  section(`by hand, as ${user.name}: network namespaces, and a veth pair between two of them`);
  const missing = missingCommands(['ip', 'nsenter', 'unshare', 'busybox']);
  if (missing.length > 0) {
    skip('a veth pair by hand', `missing ${missing.join(', ')} (apt-get install iproute2 util-linux busybox-static)`);
    return;
  }
  // Each namespace is held by a shell that waits on its stdin: it says
  // "ready" once it is in its namespaces, and goes when we kill it — or when
  // the lab ends, however it ends, since its stdin is a pipe from us.
  const hold = ['sh', '-c', 'echo ready; read line'];
  const holder = async (file, args) => {
    const held = startAsUser(file, [...args, ...hold]);
    await held.line(/^ready$/);
    return held;
  };
  const a = await holder('unshare', ['--user', '--map-root-user', '--net']);
  const pidA = String(a.child.pid);
  // B: a second network namespace, made from inside A's user namespace, so A's user namespace owns it too.
  const b = await holder('nsenter', ['-t', pidA, '-U', '--preserve-credentials', 'unshare', '--net']);
  const pidB = String(b.child.pid);
  // C: what a container with a user namespace of its own has: both namespaces new.
  const c = await holder('unshare', ['--user', '--map-root-user', '--net']);
  const pidC = String(c.child.pid);
  const holders = { A: a, B: b, C: c };
  note(`A, pid ${pidA}: unshare --user --map-root-user --net sh -c '${hold[2]}'`);
  note(`B, pid ${pidB}: nsenter -t ${pidA} -U --preserve-credentials unshare --net sh -c '…'`);
  note(`C, pid ${pidC}: unshare --user --map-root-user --net sh -c '…'`);

  // nsenter -U gives us every capability in that user namespace (as its root);
  // --preserve-credentials: do not setgroups(), which unshare -r has denied there.
  const inside = (pid, command) => asUser('nsenter', ['-t', pid, '-U', '-n', '--preserve-credentials', ...command]);
  const ids = Object.fromEntries(Object.entries(holders).map(([name, h]) => [name, { user: nsOf(h.child.pid, 'user'), net: nsOf(h.child.pid, 'net') }]));
  const host = { user: nsOf('self', 'user'), net: nsOf('self', 'net') };
  const [linksA, linksB] = await Promise.all([inside(pidA, ['ip', '-o', 'link']), inside(pidB, ['ip', '-o', 'link'])]);
  show([
    ['the host', host.user, host.net],
    ['A', ids.A.user, ids.A.net],
    ['B (made in A\'s user namespace)', ids.B.user, ids.B.net],
    ['C', ids.C.user, ids.C.net],
  ], ['', 'user namespace', 'network namespace']);
  check(ids.A.user === ids.B.user && ids.A.user !== host.user && ids.C.user !== ids.A.user,
    'A and B share one user namespace of their own; C has another', JSON.stringify(ids));
  check(new Set([host.net, ids.A.net, ids.B.net, ids.C.net]).size === 4, 'and four network namespaces: the host\'s, A\'s, B\'s and C\'s');
  show([['ip -o link', describeLinks(links(linksA.stdout)), describeLinks(links(linksB.stdout))]], ['', 'A', 'B']);
  check([linksA, linksB].every((r) => describeLinks(links(r.stdout)) === 'lo DOWN'),
    'a new network namespace has one interface, lo, and it is down', `${linksA.stdout}${linksA.stderr}${linksB.stdout}${linksB.stderr}`);

  section('a veth pair across: from A\'s user namespace, which owns both network namespaces');
  const hostLinks = async () => describeLinks(links((await asUser('ip', ['-o', 'link'])).stdout));
  const hostBefore = await hostLinks();
  note(`$ nsenter -t ${pidA} -U -n --preserve-credentials ip link add veth0 type veth peer name veth1 netns ${pidB}`);
  const made = await inside(pidA, ['ip', 'link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'veth1', 'netns', pidB]);
  check(made.code === 0, 'A creates the pair: veth0 in its own namespace, veth1 in B\'s', made.stderr.trim());
  const configure = (address, iface) => `ip addr add ${address}/24 dev ${iface} && ip link set ${iface} up && ip link set lo up && ip -o link`;
  const upA = await inside(pidA, ['sh', '-c', configure('10.200.0.1', 'veth0')]);
  const upB = await inside(pidB, ['sh', '-c', configure('10.200.0.2', 'veth1')]);
  const ping = await inside(pidA, ['busybox', 'ping', '-c1', '-W2', '10.200.0.2']);
  const hostAfter = await hostLinks();
  show([
    ['ip -o link', describeLinks(links(upA.stdout)), describeLinks(links(upB.stdout))],
    ['address', '10.200.0.1/24 on veth0', '10.200.0.2/24 on veth1'],
    ['busybox ping -c1 10.200.0.2', /(\d+ packets received)/.exec(ping.stdout)?.[1] ?? firstLine(ping.stderr), ''],
  ], ['', 'A', 'B']);
  check(upA.code === 0 && upB.code === 0, 'each end gets its address and goes up', `${upA.stderr}${upB.stderr}`.trim());
  check(ping.code === 0, 'A reaches B over the pair: one ping, one answer', `${ping.stdout}${ping.stderr}`.trim());
  check(hostAfter === hostBefore, 'the host\'s own interfaces are as they were: neither end is there', `before: ${hostBefore}; after: ${hostAfter}`);

  section('the same command where the user has no CAP_NET_ADMIN');
  // The kernel wants CAP_NET_ADMIN over BOTH namespaces, i.e. in the user
  // namespaces that own them: the host's is owned by the initial one (not
  // ours), C's by C's own user namespace (not A's).
  const fromHost = await asUser('ip', ['link', 'add', 'lab10a', 'type', 'veth', 'peer', 'name', 'lab10b', 'netns', pidB]);
  const toC = await inside(pidA, ['ip', 'link', 'add', 'lab10a', 'type', 'veth', 'peer', 'name', 'lab10b', 'netns', pidC]);
  show([
    ['the host → B', `ip link add … netns ${pidB}`, `exit ${fromHost.code}: ${firstLine(fromHost.stderr)}`],
    ['A → C', `nsenter -t ${pidA} -U -n … netns ${pidC}`, `exit ${toC.code}: ${firstLine(toC.stderr)}`],
  ], ['', 'as', 'result']);
  check(fromHost.code !== 0 && /Operation not permitted/.test(fromHost.stderr),
    'from the host\'s namespaces: "Operation not permitted" — why rootless needs pasta or slirp4netns', fromHost.stderr.trim());
  check(toC.code !== 0 && /Operation not permitted/.test(toC.stderr),
    'from A into C\'s namespace, owned by another user namespace: refused too — why a user network\'s containers share one', toC.stderr.trim());

  section('cleaning up: every holder, by its pid');
  for (const h of Object.values(holders)) await h.stop();
  const left = processesIn('net', [ids.A.net, ids.B.net, ids.C.net]);
  show(Object.entries(holders).map(([name, h]) => [name, `pid ${h.child.pid}: ${h.child.signalCode ?? h.child.exitCode}`, '']), ['', 'ended', '']);
  check(Object.values(holders).every((h) => h.child.signalCode === 'SIGKILL'), 'each holder was killed by its pid');
  check(left.length === 0, 'no process is left in A\'s, B\'s or C\'s network namespace: they, and the pair, are gone', `pids ${left.join(' ')}`);
}

// ──────────────────────────── part two: cellblock ────────────────────────────

async function withCellblock({ user, rootfs, run, sh, cellblock }) {
  const marker = `lab10-${randomBytes(4).toString('hex')}`;
  mkdirSync(join(rootfs, 'www'), { recursive: true });
  writeFileSync(join(rootfs, 'www/index.html'), `${marker}\n`, { mode: 0o644 });
  const httpd = ['httpd', '-f', '-p', '80', '-h', '/www']; // busybox httpd, in the foreground
  const detach = async (flags, command) => {
    const r = await cellblock(['run', '-d', ...flags, '--rootfs', rootfs, ...command]);
    if (r.code !== 0) throw new Error(`run -d ${flags.join(' ')}: ${firstLine(r.stderr)}`);
    return r.stdout.trim();
  };
  const pidOf = async (name) => (await cellblock(['inspect', '-f', '{{.State.Pid}}', name])).stdout.trim();

  section('--network none: lo, and nothing else');
  const none = await run(['ip', '-o', 'link'], { flags: ['--network', 'none'] });
  show([['ip -o link', '', describeLinks(links(none.stdout))]]);
  check(describeLinks(links(none.stdout)) === 'lo UP', 'only lo — and up: cellblock\'s init brought it up (src/init/network.ts)', `${none.stdout}${none.stderr}`.trim());

  section('the default network: eth0 from a helper, and /etc files of its own');
  const probe = await sh('ip -o -4 addr show eth0; echo "hostname=$(hostname)"; cat /etc/hosts; awk \'$5 ~ "^/etc/"\' /proc/self/mountinfo | wc -l');
  const address = ipv4Of(probe.stdout);
  const hostname = /^hostname=(.*)$/m.exec(probe.stdout)?.[1];
  const mounts = probe.stdout.trim().split('\n').at(-1);
  const imageHosts = readFileSync(join(rootfs, 'etc/hosts'), 'utf8');
  show([
    ['eth0', '', address ?? '(no address)'],
    [`/etc/hosts: ${hostname}`, `ROOTFS/etc/hosts: ${imageHosts.length} bytes`, hostsAddress(probe.stdout, hostname) ?? '(absent)'],
    ['mounts on /etc/…', '', mounts],
  ]);
  check(probe.code === 0 && address !== undefined, 'the container has eth0 with an IPv4 address', `${probe.stdout}${probe.stderr}`.trim());
  check(hostsAddress(probe.stdout, hostname) === address, 'its /etc/hosts names it on that address', probe.stdout);
  check(mounts === '3' && imageHosts === '', '/etc/hosts, hostname and resolv.conf are bind mounts: the root filesystem\'s own file stays empty',
    `${mounts} mounts; ROOTFS/etc/hosts has ${imageHosts.length} bytes`);

  section('-p 127.0.0.1:PORT:80: the helper listens on the host, and connects inside');
  const port = await freePort();
  const before = (await cellblock(['ps', '-a', '-q'])).stdout;
  await detach(['--name', 'lab10-web', '-p', `127.0.0.1:${port}:80`], httpd);
  onCleanup(() => cellblock(['rm', '-f', 'lab10-web']));
  const page = await fetchText(`http://127.0.0.1:${port}/`);
  const listener = listenerOn(port);
  const published = (await cellblock(['port', 'lab10-web'])).stdout.trim();
  const webPid = await pidOf('lab10-web');
  const defaultUserns = nsOf(webPid, 'user');
  const mode = (await cellblock(['inspect', '-f', '{{.HostConfig.NetworkMode}}', 'lab10-web'])).stdout.trim();
  show([
    ['the default network here', mode, ''],
    ['fetch http://127.0.0.1:PORT/', page.error ?? `${page.status} ${page.text.trim()}`, `busybox httpd on port 80`],
    ['cellblock port lab10-web', published, ''],
    [`who listens on 127.0.0.1:${port}`, listener?.comm ? `${listener.comm} (pid ${listener.pid}), uid ${listener.uid}` : `uid ${listener?.uid ?? '(nobody)'}`, ''],
    ['its network namespace', listener?.pid ? `${nsOf(listener.pid, 'net')}${listener.fds.includes('/dev/net/tun') ? ', holds /dev/net/tun' : ''}` : '(not ours to read: run as root)', nsOf(webPid, 'net')],
  ]);
  check(page.status === 200 && page.text.trim() === marker, 'the page, fetched on the host through the published port', page.error ?? `${page.status} ${page.text}`);
  check(published === `80/tcp -> 127.0.0.1:${port}`, '`cellblock port` lists the mapping', published);
  check(listener?.uid === user.uid, `the listening socket is in the host's network namespace, an ordinary one of ${user.name}'s (uid ${user.uid})`,
    listener ? `owned by uid ${listener.uid}` : 'nobody listens there');
  const taken = await cellblock(['run', '--rm', '-p', `127.0.0.1:${port}:80`, '--rootfs', rootfs, 'true']);
  const after = (await cellblock(['ps', '-a', '-q'])).stdout;
  note(`$ cellblock run -p 127.0.0.1:${port}:80 … → exit ${taken.code}: ${taken.stderr.trim()}`);
  check(taken.code === 125 && taken.stderr.trim().split('\n').length === 1 && /already in use/.test(taken.stderr),
    'the same host port again: exit 125, one line, "already in use"', `exit ${taken.code}: ${taken.stderr.trim()}`);
  check(after.split('\n').filter(Boolean).length === before.split('\n').filter(Boolean).length + 1, '…refused before the container existed: no record was made');

  await userNetwork({ cellblock, detach, pidOf, httpd, marker, defaultUserns });
}

async function userNetwork({ cellblock, detach, pidOf, httpd, marker, defaultUserns }) {
  section('a network of your own: network create, containers that reach each other by name');
  const listed = async () => (await cellblock(['network', 'ls'])).stdout.split(/\s+/);
  const created = await cellblock(['network', 'create', 'labnet']);
  note(`$ cellblock network create labnet → exit ${created.code} ${created.stdout.trim() || created.stderr.trim()}`);
  if (!check(created.code === 0 && (await listed()).includes('labnet'), 'network create labnet, and network ls lists it', firstLine(created.stderr))) return;
  onCleanup(() => cellblock(['network', 'rm', 'labnet'])); // after the containers: cleanups run last first
  const inspected = await cellblock(['network', 'inspect', 'labnet']);
  const subnet = /\b\d+\.\d+\.\d+\.\d+\/\d+\b/.exec(inspected.stdout)?.[0];
  note(`subnet: ${subnet ?? '(none found in network inspect)'}`);

  await detach(['--name', 'web', '--network', 'labnet'], httpd);
  onCleanup(() => cellblock(['rm', '-f', 'web']));
  await detach(['--name', 'client', '--network', 'labnet'], ['sleep', '1000']);
  onCleanup(() => cellblock(['rm', '-f', 'client']));
  const exec = async (name, script) => cellblock(['exec', name, 'sh', '-c', script]);
  const [webAddress, clientAddress] = await Promise.all(['web', 'client'].map(async (n) => ipv4Of((await exec(n, 'ip -o -4 addr show eth0')).stdout)));
  const hostsBefore = (await exec('client', 'cat /etc/hosts')).stdout;
  // Look web up in /etc/hosts ourselves: a static busybox reads /etc/hosts only
  // if its glibc has NSS's "files" built in (2.34 on; Debian 12's does), and
  // this works with any. /etc/hosts is what is being checked either way.
  const lookup = 'addr=$(awk \'{ for (i = 2; i <= NF; i++) if ($i == "web") { print $1; exit } }\' /etc/hosts)';
  const fetched = await exec('client', `${lookup}; wget -q -O- "http://$addr/"`);
  const [webPid, clientPid] = await Promise.all([pidOf('web'), pidOf('client')]);
  show([
    ['eth0', `web: ${webAddress}`, `client: ${clientAddress}`],
    ['client\'s /etc/hosts: web', '', hostsAddress(hostsBefore, 'web') ?? '(absent)'],
    ['wget http://web/ (by /etc/hosts)', '', fetched.stdout.trim() || firstLine(fetched.stderr)],
    ['user namespace', `web: ${nsOf(webPid, 'user')}`, `client: ${nsOf(clientPid, 'user')}`],
    ['…of a default-network container', defaultUserns, ''],
    ['network namespace', `web: ${nsOf(webPid, 'net')}`, `client: ${nsOf(clientPid, 'net')}`],
  ], ['', 'web', 'client']);
  check(subnet !== undefined && [webAddress, clientAddress].every((a) => a && inSubnet(a, subnet)) && webAddress !== clientAddress,
    `each has eth0 with an address of its own in ${subnet}`, `web ${webAddress}, client ${clientAddress}`);
  check(hostsAddress(hostsBefore, 'web') === webAddress, 'client\'s /etc/hosts names web on web\'s address', hostsBefore);
  check(fetched.code === 0 && fetched.stdout.trim() === marker, 'client fetches web\'s page by its name', `${fetched.stdout}${fetched.stderr}`.trim());
  check(nsOf(webPid, 'user') === nsOf(clientPid, 'user') && nsOf(webPid, 'user') !== defaultUserns,
    'both are in one user namespace, the rootless network namespace\'s (a default-network container has its own)');
  check(nsOf(webPid, 'net') !== nsOf(clientPid, 'net'), '…each in a network namespace of its own');

  section('members come and go: /etc/hosts follows, and a network in use stays');
  await cellblock(['rm', '-f', 'web']);
  let hostsAfter = '';
  for (const deadline = Date.now() + 5_000; Date.now() < deadline; await sleep(100)) {
    hostsAfter = (await exec('client', 'cat /etc/hosts')).stdout;
    if (hostsAddress(hostsAfter, 'web') === undefined) break;
  }
  const refused = await cellblock(['network', 'rm', 'labnet']);
  show([
    ['client\'s /etc/hosts: web', `before rm -f web: ${hostsAddress(hostsBefore, 'web')}`, `after: ${hostsAddress(hostsAfter, 'web') ?? '(gone)'}`],
    ['network rm labnet (client on it)', `exit ${refused.code}`, firstLine(refused.stderr)],
  ], ['', '', '']);
  check(hostsAddress(hostsAfter, 'web') === undefined && hostsAddress(hostsAfter, 'client') === clientAddress,
    'after rm -f web, client\'s /etc/hosts (the same mounted file) no longer names web', hostsAfter);
  check(refused.code !== 0 && refused.stderr.trim().split('\n').length === 1 && (await listed()).includes('labnet'),
    'network rm of a network in use is refused in one line, and the network stays', refused.stderr.trim());

  const sharedUserns = nsOf(clientPid, 'user');
  await cellblock(['rm', '-f', 'client']);
  const removed = await cellblock(['network', 'rm', 'labnet']);
  let holders = processesIn('user', [sharedUserns]);
  for (const deadline = Date.now() + 5_000; holders.length > 0 && Date.now() < deadline; await sleep(100)) holders = processesIn('user', [sharedUserns]);
  check(removed.code === 0 && !(await listed()).includes('labnet'), 'once nothing uses it, network rm removes it', removed.stderr.trim());
  check(holders.length === 0, 'the last container gone, the rootless network namespace has ended: no process is left in its user namespace', `pids ${holders.join(' ')}`);
}
