// Unit tests of the isolation switches: --isolate, --no-isolate, docker's
// one-namespace flags, what each combination may ask for, and the unshare
// options that follow (src/runtime/isolation.ts, src/userns/spawn.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NAMESPACES, checkIsolation, isolates, parseIsolation, sharedNamespacesOf } from '../../dist/runtime/isolation.js';
import { unshareArgs } from '../../dist/userns/spawn.js';

const ALL_OFF = NAMESPACES.join(',');
/** A run asking for nothing special, from a directory. */
const plain = {
  rootfs: '/tmp/rootfs', hostname: false, user: false, mounts: false, readOnly: false, tty: false, init: false,
  addHost: false, dns: false, security: false, cgroup: false,
};

test('no flag: every namespace of its own', () => {
  assert.deepEqual(parseIsolation({}), { shared: [], sharedBy: {} });
});

test('--no-isolate LIST shares those; --isolate LIST shares the rest', () => {
  assert.deepEqual(parseIsolation({ noIsolate: 'pid' }).shared, ['pid']);
  assert.deepEqual(parseIsolation({ noIsolate: 'uts, ipc,uts' }).shared, ['uts', 'ipc']);
  assert.deepEqual(parseIsolation({ isolate: 'user,mount,pid,uts,ipc' }).shared, ['net', 'cgroup']);
  assert.deepEqual(parseIsolation({ isolate: ALL_OFF }).shared, []);
  assert.deepEqual(parseIsolation({ noIsolate: ALL_OFF }).shared, [...NAMESPACES]);
  assert.equal(parseIsolation({ noIsolate: 'pid,net' }).sharedBy.net, '--no-isolate=pid,net');
});

test("docker's spellings: --pid/--uts host, --ipc/--cgroupns host|private, --userns host, --network host", () => {
  assert.deepEqual(parseIsolation({ pid: 'host', uts: 'host', ipc: 'host', cgroupns: 'host' }).shared, ['pid', 'uts', 'ipc', 'cgroup']);
  assert.deepEqual(parseIsolation({ ipc: 'private', cgroupns: 'private', userns: 'subids' }).shared, []);
  assert.deepEqual(parseIsolation({ network: 'host' }).shared, ['net']);
  assert.deepEqual(parseIsolation({ network: 'pasta' }).shared, []);
  assert.deepEqual(parseIsolation({ userns: 'host', noIsolate: 'mount,pid,uts,ipc,net,cgroup' }).shared, [...NAMESPACES]);
  assert.equal(parseIsolation({ pid: 'host' }).sharedBy.pid, '--pid host');
});

test('bad lists, both lists, unknown values: one line each', () => {
  assert.throws(() => parseIsolation({ isolate: 'pid', noIsolate: 'uts' }), /^Error: --isolate and --no-isolate: give one or the other/);
  assert.throws(() => parseIsolation({ noIsolate: '' }), /^Error: --no-isolate=: an empty name/);
  assert.throws(() => parseIsolation({ isolate: 'user,,pid' }), /^Error: --isolate=user,,pid: an empty name/);
  assert.throws(() => parseIsolation({ noIsolate: 'pid,network' }), /^Error: --no-isolate=pid,network: no namespace is called "network" \(known: user, mount, pid, uts, ipc, net, cgroup\)$/);
  assert.throws(() => parseIsolation({ pid: 'container:web' }), /^Error: --pid container:web: use host$/);
  assert.throws(() => parseIsolation({ cgroupns: 'shared' }), /^Error: --cgroupns shared: use host or private$/);
  for (const flags of [{ isolate: 'pid' }, { isolate: '' }, { pid: 'nope' }]) {
    assert.throws(() => parseIsolation(flags), (error) => !error.message.includes('\n'));
  }
});

test('two flags that disagree about one namespace are refused, naming both', () => {
  assert.throws(() => parseIsolation({ noIsolate: 'net', network: 'none' }), /^Error: --no-isolate=net contradicts --network none: the first shares the host's net namespace, the second gives the container its own$/);
  assert.throws(() => parseIsolation({ isolate: ALL_OFF, pid: 'host' }), /^Error: --pid host contradicts --isolate=/);
  assert.throws(() => parseIsolation({ isolate: 'user,mount,pid,uts,ipc,cgroup', network: 'pasta' }), /contradicts --network pasta/);
  // Agreeing flags are fine.
  assert.deepEqual(parseIsolation({ noIsolate: 'pid,net', pid: 'host', network: 'host' }).shared, ['pid', 'net']);
});

test('user off is only "no container at all": every other namespace off too', () => {
  assert.throws(() => parseIsolation({ noIsolate: 'user' }),
    /^Error: --no-isolate=user: without a user namespace, an unprivileged user may create no other namespace \(unshare: EPERM, it needs CAP_SYS_ADMIN\): keep user, or share mount, pid, uts, ipc, net, cgroup too/);
  assert.throws(() => parseIsolation({ isolate: 'pid' }), /^Error: --isolate=pid: .*keep user, or share pid too/);
  assert.throws(() => parseIsolation({ userns: 'host' }), /^Error: --userns host: without a user namespace/);
});

test('what a shared namespace rules out: an image or a directory without mount, -h without uts, -u and security flags without user', () => {
  const mountOff = parseIsolation({ noIsolate: 'mount,cgroup' });
  assert.throws(() => checkIsolation(mountOff, { ...plain, rootfs: undefined }), /^Error: --no-isolate=mount,cgroup: without a mount namespace nothing can be mounted \(no overlay, no \/proc, no pivot_root\), so an image's layers cannot become the root: the host's is, say so with --rootfs \/$/);
  assert.throws(() => checkIsolation(mountOff, plain), /so \/tmp\/rootfs cannot become the root/);
  checkIsolation(mountOff, { ...plain, rootfs: '/' });
  for (const [asked, flag] of [['mounts', '-v'], ['readOnly', '--read-only'], ['tty', '-t'], ['init', '--init'], ['addHost', '--add-host'], ['dns', '--dns']]) {
    assert.throws(() => checkIsolation(mountOff, { ...plain, rootfs: '/', [asked]: true }), new RegExp(`^Error: ${flag}.* needs a mount, and with --no-isolate=mount,cgroup nothing can be mounted`));
  }
  // A cgroup namespace is made by the step that mounts its cgroup2.
  assert.throws(() => checkIsolation(parseIsolation({ noIsolate: 'mount' }), { ...plain, rootfs: '/', cgroup: true }), /share cgroup too/);
  checkIsolation(parseIsolation({ noIsolate: 'mount' }), { ...plain, rootfs: '/', cgroup: false });

  assert.throws(() => checkIsolation(parseIsolation({ uts: 'host' }), { ...plain, hostname: true }), /^Error: -h\/--hostname: with --uts host the hostname is the host's/);
  checkIsolation(parseIsolation({ uts: 'host' }), plain);

  const none = parseIsolation({ noIsolate: ALL_OFF });
  checkIsolation(none, { ...plain, rootfs: '/' });
  assert.throws(() => checkIsolation(none, { ...plain, rootfs: '/', user: true }), /^Error: -u: --no-isolate=.* runs the command as you/);
  assert.throws(() => checkIsolation(none, { ...plain, rootfs: '/', security: true }), /no capabilities to give or take/);
  assert.throws(() => checkIsolation(none, plain), /cannot become the root/);
});

test('the supervisor reads the flags leniently: input run will refuse counts as "share nothing"', () => {
  assert.deepEqual(sharedNamespacesOf({ noIsolate: 'pid', network: 'host' }), ['pid', 'net']);
  assert.deepEqual(sharedNamespacesOf({ noIsolate: 'bogus' }), []);
});

test('isolates: a record without hostNamespaces has them all; net follows --network', () => {
  assert.equal(isolates({ network: { mode: 'pasta' } }, 'pid'), true);
  assert.equal(isolates({ hostNamespaces: ['pid'], network: { mode: 'pasta' } }, 'pid'), false);
  assert.equal(isolates({ hostNamespaces: ['pid'], network: { mode: 'pasta' } }, 'net'), true);
  assert.equal(isolates({ network: { mode: 'host' } }, 'net'), false);
});

test('unshareArgs leaves out the options of shared namespaces, and nothing else', () => {
  const all = unshareArgs({ netns: true });
  const command = all.slice(all.lastIndexOf('--'));
  assert.deepEqual(unshareArgs({ netns: true, share: [] }), all);
  const pidOff = unshareArgs({ netns: true, share: ['pid'] });
  assert.deepEqual(pidOff.filter((a) => !all.includes(a)), []);
  assert.deepEqual(all.filter((a) => !pidOff.includes(a)), ['--pid']);
  assert.ok(pidOff.includes('--fork') && pidOff.includes('--kill-child'), 'unshare stays the parent that takes its child along');
  assert.deepEqual(unshareArgs({ netns: true, share: ['mount', 'uts', 'ipc'] }).slice(0, all.lastIndexOf('--')).filter((a) => /^--(mount|propagation|uts|ipc)$|^unchanged$/.test(a)), []);
  const none = unshareArgs({ netns: false, share: ['user', 'mount', 'pid', 'uts', 'ipc', 'cgroup'] });
  assert.deepEqual(none, ['--pdeathsig', 'KILL', '--', 'unshare', '--fork', '--kill-child', ...command]);
});
