// What a container sees, checked as an unprivileged user (chapters 01–05).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { containerFixture } from './fixture.mjs';

const c = containerFixture();

test('user namespace: uid 0 inside is the caller outside (single map)', async () => {
  const r = await c.sh('id -u; id -g; cat /proc/self/uid_map; cat /proc/self/setgroups', ['--userns=single']);
  assert.equal(r.code, 0, r.stderr);
  const [uid, gid, map, setgroups] = r.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).join(' '));
  assert.equal(uid, '0');
  assert.equal(gid, '0');
  assert.equal(map, `0 ${c.runner.user.uid} 1`);
  assert.equal(setgroups, c.runner.user.uid === 0 ? 'allow' : 'deny');
});

test('user namespace: subids map both ranges; a file chowned to 1000 belongs to a subordinate id on the host', async (t) => {
  const line = readFileSync('/etc/subuid', 'utf8').split('\n').find((l) => l.startsWith(`${c.runner.user.name}:`) || l.startsWith(`${c.runner.user.uid}:`));
  if (!line) return t.skip(`SKIP: ${c.runner.user.name} has no range in /etc/subuid (.ci/run adds one)`);
  const [, start, count] = line.split(':').map(Number);
  const r = await c.sh('cat /proc/self/uid_map; touch /owned && chown 1000:1000 /owned', ['--userns=subids']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).join(' '));
  assert.deepEqual(lines, [`0 ${c.runner.user.uid} 1`, `1 ${start} ${count}`]);
  assert.equal(statSync(`${c.rootfs}/owned`).uid, start + 999);
  // Only the user namespace can delete what belongs to a subordinate id.
  assert.equal((await c.run(['--userns=subids'], ['rm', '/owned'])).code, 0);
});

test('default --userns is subids when the caller has ranges, and -u alice gets uid 1000 and her groups', async (t) => {
  const r = await c.sh('id -u; id -g; id -G; echo $HOME; pwd', ['-u', 'alice', '-w', '/home/alice']);
  const hasRange = readFileSync('/etc/subuid', 'utf8').split('\n').some((l) => l.startsWith(`${c.runner.user.name}:`));
  if (!hasRange) {
    assert.equal(r.code, 125); // alice (1000) cannot exist in a single-id map
    return t.skip(`SKIP: ${c.runner.user.name} has no /etc/subuid range`);
  }
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), ['1000', '1000', '1000 50', '/home/alice', '/home/alice']);
});

test('pid namespace: /proc lists only the container, and the command is pid 1', async () => {
  // The glob is expanded by sh itself: no child process joins the list.
  const r = await c.sh('echo $$; echo /proc/[0-9]*');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), ['1', '/proc/1']);
  const ps = await c.run([], ['ps', '-o', 'pid,comm']);
  assert.deepEqual(ps.stdout.trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/)), [['1', 'ps']]);
});

test('uts namespace: the hostname is the short id, -h sets it, and changing it inside (with CAP_SYS_ADMIN) leaves the host alone', async () => {
  const before = hostname();
  // sethostname needs CAP_SYS_ADMIN, which docker's default set (chapter 11) does not keep.
  const refused = await c.sh('hostname changed-inside');
  assert.match(refused.stderr, /Operation not permitted/);
  const r = await c.sh('hostname; echo $HOSTNAME; hostname changed-inside && hostname', ['--cap-add', 'SYS_ADMIN']);
  assert.equal(r.code, 0, r.stderr);
  const [initial, variable, changed] = r.stdout.trim().split('\n');
  assert.match(initial, /^[0-9a-f]{12}$/);
  assert.equal(variable, initial);
  assert.equal(changed, 'changed-inside');
  assert.equal(hostname(), before);
  assert.equal((await c.run(['-h', 'web-1'], ['hostname'])).stdout, 'web-1\n');
});

test('mount namespace: a mount made inside is not in the host mount table', async () => {
  const tag = `cellblock-probe-${randomBytes(4).toString('hex')}`;
  // mount needs CAP_SYS_ADMIN (and docker's seccomp profile allows it only then): chapter 11.
  const r = await c.sh(`mount -t tmpfs ${tag} /tmp && grep -c ${tag} /proc/self/mountinfo`, ['--cap-add', 'SYS_ADMIN']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), '1');
  assert.ok(!readFileSync('/proc/self/mountinfo', 'utf8').includes(tag));
});

test('mount namespace: / is the rootfs, /dev is minimal, /sys is read-only', async () => {
  const r = await c.sh('ls /; echo ---; ls /dev; echo ---; touch /sys/x 2>&1; readlink /dev/ptmx; readlink /dev/fd');
  assert.equal(r.code, 0, r.stderr);
  const [root, dev, rest] = r.stdout.split('---\n');
  assert.ok(root.split('\n').includes('bin') && !root.split('\n').includes('work'), root);
  assert.deepEqual(dev.trim().split('\n').sort(), ['fd', 'full', 'mqueue', 'null', 'ptmx', 'pts', 'random', 'shm', 'stderr', 'stdin', 'stdout', 'tty', 'urandom', 'zero']);
  assert.match(rest, /Read-only file system/);
  assert.match(rest, /pts\/ptmx\n\/proc\/self\/fd\n/);
});

test('--read-only: / refuses writes, /dev/shm still takes them', async () => {
  const r = await c.sh('touch /x 2>&1; touch /dev/shm/y && echo shm-ok', ['--read-only']);
  assert.match(r.stdout, /Read-only file system/);
  assert.match(r.stdout, /shm-ok/);
});

test('ipc namespace: its own POSIX message queue filesystem', async () => {
  const r = await c.sh('grep " /dev/mqueue " /proc/self/mountinfo');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, / - mqueue /);
});

test('a root filesystem whose /proc is a symlink is refused, not followed', async () => {
  const hostile = c.runner.tempDir('cellblock-hostile-');
  const made = await c.runner.exec('sh', ['-c', `cp -a ${c.rootfs}/. ${hostile}/ && rmdir ${hostile}/proc && ln -s / ${hostile}/proc`]);
  assert.equal(made.code, 0, made.stderr);
  const r = await c.runner.cellblock(['run', '--rm', '--rootfs', hostile, 'true']);
  assert.equal(r.code, 125);
  assert.equal(r.stderr, 'cellblock: rootfs: /proc is a symlink; refusing to mount through it\n');
});
