// Storage for containers, as an unprivileged user: named and anonymous
// volumes, host directories, tmpfs, copy-up, and the volume verbs.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, linkSync, lchownSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { lgetxattr, lsetxattr } from '../../dist/syscalls/index.js';
import { assertOneLineError, containerFixture, hasSubordinateIds } from './fixture.mjs';

const c = containerFixture();
const cellblock = (...args) => c.runner.cellblock(args);
const lines = (text) => text.split('\n').filter(Boolean);
const volumes = async () => lines((await cellblock('volume', 'ls', '-q')).stdout);
const containers = async () => lines((await cellblock('ps', '-a', '-q')).stdout);
/** Where volume NAME's files are on the host. */
const dataOf = (name) => join(c.runner.dataDir, 'cellblock', 'volumes', name, '_data');
/** A directory of the runner's user, with FILES (name → content) in it. */
function hostDir(files = {}) {
  const dir = c.runner.tempDir('cellblock-host-');
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  c.runner.chownTree(dir);
  return dir;
}

test('a named volume outlives its container: the next one sees what the first wrote', async () => {
  const first = await c.sh('echo kept > /vol/file', ['-v', 'keep:/vol']);
  assert.equal(first.code, 0, first.stderr);
  assert.ok((await volumes()).includes('keep'), 'run -v NAME:/x creates the volume');
  assert.deepEqual(await containers(), [], 'the container is gone (--rm)');
  const second = await c.run(['--mount', 'source=keep,target=/elsewhere'], ['cat', '/elsewhere/file']);
  assert.deepEqual([second.code, second.stdout], [0, 'kept\n'], second.stderr);
  assert.equal(readFileSync(join(dataOf('keep'), 'file'), 'utf8'), 'kept\n');
});

test(':ro refuses writes (EROFS) and the host directory stays as it was; --read-only leaves volumes writable', async () => {
  const host = hostDir({ f: 'original\n' });
  for (const flags of [['-v', `${host}:/h:ro`], ['--mount', `type=bind,src=${host},dst=/h,readonly`]]) {
    const r = await c.sh('echo changed > /h/f; touch /h/new; cat /h/f', flags);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'original\n');
    assert.match(r.stderr, /can't create \/h\/f: Read-only file system/);
    assert.match(r.stderr, /touch: \/h\/new: Read-only file system/);
  }
  assert.deepEqual(readdirSync(host), ['f']);
  assert.equal(readFileSync(join(host, 'f'), 'utf8'), 'original\n');

  const volume = await c.sh('echo x > /vol/other', ['-v', 'keep:/vol:ro']);
  assert.notEqual(volume.code, 0);
  assert.match(volume.stderr, /Read-only file system/);
  assert.ok(!existsSync(join(dataOf('keep'), 'other')));

  const readOnlyRoot = await c.sh('echo w > /vol/w && cat /vol/w; touch /not-here', ['--read-only', '-v', 'keep:/vol']);
  assert.equal(readOnlyRoot.stdout, 'w\n');
  assert.match(readOnlyRoot.stderr, /touch: \/not-here: Read-only file system/);
});

test('a bind of a host directory shows its files and writes land on the host; a host file binds onto a file', async () => {
  const host = hostDir({ 'from-host': 'hello\n', 'app.conf': 'setting=1\n' });
  const r = await c.sh('cat /h/from-host; echo back > /h/from-container; cat /etc/app.conf', ['-v', `${host}:/h`, '-v', `${host}/app.conf:/etc/app.conf:ro`]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'hello\nsetting=1\n');
  assert.equal(readFileSync(join(host, 'from-container'), 'utf8'), 'back\n');
  // Root in the container is the caller on the host.
  assert.equal(statSync(join(host, 'from-container')).uid, c.runner.user.uid);
});

test('a tmpfs is empty at start, writable, sized, and gone afterwards', async () => {
  const r = await c.sh(
    'ls -A /scratch | wc -l; echo data > /scratch/f && cat /scratch/f; stat -c %a /scratch; grep " /scratch " /proc/self/mountinfo; ' +
    'dd if=/dev/zero of=/scratch/big bs=1k count=2048 2>&1 | grep -o "No space left on device"',
    ['--tmpfs', '/scratch:size=1m,mode=1770'],
  );
  assert.equal(r.code, 0, r.stderr);
  const [count, data, mode, mountinfo, full] = lines(r.stdout);
  assert.deepEqual([count.trim(), data, mode, full], ['0', 'data', '1770', 'No space left on device']);
  assert.match(mountinfo, / \/scratch rw,nosuid,nodev,noexec\b.* - tmpfs tmpfs rw,size=1024k,mode=1770/);
  assert.deepEqual(readdirSync(join(c.rootfs, 'scratch')), [], 'on the host, only the empty mount point');
  const next = await c.sh('ls -A /scratch');
  assert.deepEqual([next.code, next.stdout], [0, '']);
  const readOnly = await c.sh('touch /scratch/f', ['--mount', 'type=tmpfs,dst=/scratch,ro']);
  assert.notEqual(readOnly.code, 0);
  assert.match(readOnly.stderr, /touch: \/scratch\/f: Read-only file system/);
});

test('copy-up: a new volume gets the image\'s files at its path, with owners (alice, 1000), modes, links; only the first time', async (t) => {
  if (!hasSubordinateIds(c.runner.user)) return t.skip(`SKIP: ${c.runner.user.name} has no /etc/subuid range, and the image's files belong to 1000`);
  const start = Number(readFileSync('/etc/subuid', 'utf8').split('\n').find((l) => l.startsWith(`${c.runner.user.name}:`) || l.startsWith(`${c.runner.user.uid}:`)).split(':')[1]);
  const alice = start + 999; // uid 1000 in the container
  const dir = join(c.runner.tempDir('cellblock-image-'), 'rootfs');
  execFileSync('cp', ['-a', c.rootfs, dir]);
  const app = join(dir, 'srv/app');
  mkdirSync(join(app, 'sub'), { recursive: true });
  writeFileSync(join(app, 'owned'), 'alice\n');
  linkSync(join(app, 'owned'), join(app, 'hard'));
  symlinkSync('owned', join(app, 'link'));
  for (const path of ['owned', 'sub']) chownSync(join(app, path), alice, alice);
  chmodSync(join(app, 'owned'), 0o604);
  chmodSync(join(app, 'sub'), 0o705);
  // import reads the tree as the runner's user: it records host uid START+999 as 1000.
  const imported = await cellblock('import', dir, 'localhost/volumes:1');
  assert.equal(imported.code, 0, imported.stderr);

  const seeded = await cellblock('run', '--rm', '-v', 'seeded:/srv/app', 'localhost/volumes:1', 'sh', '-c',
    'cd /srv/app && stat -c "%n %u:%g %a %h" * && readlink link && cat owned && rm owned hard');
  assert.equal(seeded.code, 0, seeded.stderr);
  assert.deepEqual(lines(seeded.stdout), ['hard 1000:1000 604 2', 'link 0:0 777 1', 'owned 1000:1000 604 2', 'sub 1000:1000 705 2', 'owned', 'alice']);
  assert.equal(statSync(join(dataOf('seeded'), 'sub')).uid, alice, 'on the host, a subordinate id owns the copy');

  const again = await cellblock('run', '--rm', '-v', 'seeded:/srv/app', 'localhost/volumes:1', 'ls', '/srv/app');
  assert.deepEqual([again.code, again.stdout], [0, 'link\nsub\n'], 'a volume that is not empty is not filled again');
  const nocopy = await cellblock('run', '--rm', '-v', 'bare:/srv/app:nocopy', 'localhost/volumes:1', 'ls', '-A', '/srv/app');
  assert.deepEqual([nocopy.code, nocopy.stdout], [0, ''], 'nocopy');
});

test('copy-up keeps extended attributes (user.*)', async () => {
  mkdirSync(join(c.rootfs, 'xattr-src'));
  writeFileSync(join(c.rootfs, 'xattr-src/file'), 'x');
  lsetxattr(join(c.rootfs, 'xattr-src/file'), 'user.origin', Buffer.from('image'));
  c.runner.chownTree(join(c.rootfs, 'xattr-src'));
  const r = await c.run(['-v', 'with-xattrs:/xattr-src'], ['true']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(lgetxattr(join(dataOf('with-xattrs'), 'file'), 'user.origin')?.toString(), 'image');
});

test('a symlink in the image that points outside the root cannot take a mount out of it', async () => {
  const outside = hostDir();
  const missing = `/tmp/cellblock-escape-${randomBytes(4).toString('hex')}`;
  symlinkSync(`/../../../../..${missing}`, join(c.rootfs, 'escape-relative'));
  symlinkSync(outside, join(c.rootfs, 'escape-absolute'));
  for (const link of ['escape-relative', 'escape-absolute']) lchownSync(join(c.rootfs, link), c.runner.user.uid, c.runner.user.gid);
  const r = await c.sh('echo in > /escape-relative/f && echo in > /escape-absolute/sub/g && cat /escape-relative/f /escape-absolute/sub/g',
    ['-v', 'escaped:/escape-relative', '--tmpfs', '/escape-absolute/sub']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'in\nin\n');
  assert.ok(!existsSync(missing), `${missing} on the host was not created`);
  assert.deepEqual(readdirSync(outside), [], `${outside} on the host is untouched`);
  assert.ok(statSync(join(c.rootfs, missing)).isDirectory(), 'the mount point was made inside the root');
  assert.ok(statSync(join(c.rootfs, outside, 'sub')).isDirectory());
  assert.equal(readFileSync(join(dataOf('escaped'), 'f'), 'utf8'), 'in\n');
});

test('every bad -v, --tmpfs, --mount and volume input is one line, exit 125, and creates nothing', async () => {
  const before = { volumes: await volumes(), containers: await containers() };
  const host = hostDir({ file: '' });
  execFileSync('mkfifo', [join(host, 'fifo')]);
  const runCases = [
    [['-v', 'rel/dir:/bad-x'], /invalid -v "rel\/dir:\/bad-x": "rel\/dir" is a relative host path: give it as an absolute one$/],
    [['-v', '/does/not/exist:/bad-x'], /host path \/does\/not\/exist does not exist$/],
    [['-v', `${host}/fifo:/bad-x`], /is not a directory or a regular file$/],
    [['-v', `${host}:bad-x`], /"bad-x" is not an absolute path in the container$/],
    [['-v', 'new-volume:/bad-x:bogus'], /unknown option "bogus"/],
    [['-v', 'x:/bad-x'], /"x" is not a valid volume name/],
    [['-v', 'new-volume:/bad-x', '-v', 'other-volume:/bad-x/'], /\/bad-x is already a mount point \(-v "new-volume:\/bad-x"\)$/],
    [['-v', 'new-volume:/'], /cannot be a mount point/],
    [['--tmpfs', 'bad-x'], /invalid --tmpfs "bad-x": "bad-x" is not an absolute path/],
    [['--tmpfs', '/bad-x:size=huge'], /bad value for size: "huge"/],
    [['--tmpfs', '/bad-x:suid=1'], /unknown tmpfs option "suid=1"/],
    [['--mount', 'type=nfs,dst=/bad-x'], /type "nfs" is not supported/],
    [['--mount', 'type=bind,dst=/bad-x'], /a bind needs source=/],
    [['--mount', 'type=bind,src=/does/not/exist,dst=/bad-x'], /host path \/does\/not\/exist does not exist$/],
    [['--mount', 'src=new-volume,dst=/bad-x,readonly=maybe'], /readonly=maybe: use true or false/],
    [['--mount', 'src=new-volume,dst=/bad-x,tmpfs-size=1m'], /tmpfs-size does not go with type=volume/],
  ];
  for (const [flags, pattern] of runCases) assertOneLineError(assert, await c.run([...flags, '-v', 'never-made:/bad-y'], ['true']), pattern);
  const verbCases = [
    [['volume', 'create', 'bad!name'], /volume create: "bad!name" is not a valid volume name/],
    [['volume', 'create', 'x'], /"x" is not a valid volume name/],
    [['volume', 'create', '--driver', 'nfs', 'fine-name'], /driver "nfs" is not supported/],
    [['volume', 'create', '--label', '=v', 'fine-name'], /invalid label "=v": the key is empty/],
    [['volume', 'create', '--bogus'], /unknown option '--bogus'/],
    [['volume', 'inspect', 'missing-volume'], /no such volume: missing-volume$/],
    [['volume', 'inspect', '../volumes'], /no such volume: \.\.\/volumes$/],
    [['volume', 'rm', 'missing-volume'], /no such volume: missing-volume$/],
    [['volume', 'frobnicate'], /unknown command 'frobnicate'/],
  ];
  for (const [args, pattern] of verbCases) assertOneLineError(assert, await cellblock(...args), pattern);
  assert.deepEqual(await volumes(), before.volumes, 'no volume was made');
  assert.deepEqual(await containers(), before.containers, 'no container record was made');
  assert.ok(!existsSync(join(c.rootfs, 'bad-x')) && !existsSync(join(c.rootfs, 'bad-y')), 'no mount point was made');
  assert.ok(!existsSync(join(c.runner.dataDir, 'cellblock/volumes/never-made')));

  // Only the container's init can see that the image has a directory where a file is to go.
  assertOneLineError(assert, await c.run(['-v', `${host}/file:/etc`], ['true']), /\/etc: cannot mount a file on a directory of the image$/);
});

test('volume create, ls, inspect, rm (refused while a container uses it, unless -f) and prune', async () => {
  const created = await cellblock('volume', 'create', '--label', 'app=web', 'v-one');
  assert.deepEqual([created.code, created.stdout], [0, 'v-one\n'], created.stderr);
  assert.deepEqual((await cellblock('volume', 'create', 'v-one')).stdout, 'v-one\n', 'creating it again is no error');
  const generated = (await cellblock('volume', 'create')).stdout.trim();
  assert.match(generated, /^[0-9a-f]{64}$/);

  const ls = await cellblock('volume', 'ls');
  assert.equal(lines(ls.stdout)[0], 'DRIVER    VOLUME NAME');
  assert.ok(lines(ls.stdout).includes('local     v-one'));
  assert.ok((await volumes()).includes(generated));

  const inspect = await cellblock('volume', 'inspect', 'v-one', generated);
  assert.equal(inspect.code, 0, inspect.stderr);
  const [one, two] = JSON.parse(inspect.stdout);
  assert.deepEqual(Object.keys(one), ['CreatedAt', 'Driver', 'Labels', 'Mountpoint', 'Name', 'Options', 'Scope']);
  assert.deepEqual([one.Name, one.Driver, one.Scope, one.Labels, one.Mountpoint], ['v-one', 'local', 'local', { app: 'web' }, dataOf('v-one')]);
  assert.ok(statSync(one.Mountpoint).isDirectory());
  assert.ok(Math.abs(Date.parse(one.CreatedAt) - Date.now()) < 600_000, one.CreatedAt);
  assert.deepEqual([two.Name, two.Labels], [generated, {}]);

  const user = await cellblock('run', '--name', 'volume-user', '--rootfs', c.rootfs, '-v', 'v-one:/d', 'true');
  assert.equal(user.code, 0, user.stderr);
  assertOneLineError(assert, await cellblock('volume', 'rm', 'v-one'), /volume v-one is in use by container [0-9a-f]{12} \(volume-user\)/);
  assert.ok((await volumes()).includes('v-one'));

  const declined = await c.runner.cellblock(['volume', 'prune'], { input: 'n\n' });
  assert.equal(declined.code, 0, declined.stderr);
  assert.match(declined.stdout, /Are you sure you want to continue\? \[y\/N\] $/);
  assert.ok((await volumes()).includes(generated), 'answering n removes nothing');
  const pruned = await cellblock('volume', 'prune', '-f');
  assert.equal(pruned.code, 0, pruned.stderr);
  assert.equal(lines(pruned.stdout)[0], 'Deleted Volumes:');
  assert.ok(lines(pruned.stdout).includes(generated));
  assert.ok(!lines(pruned.stdout).includes('v-one'), 'a volume a container uses is kept');
  assert.deepEqual(await volumes(), ['v-one']);

  const forced = await cellblock('volume', 'rm', '-f', 'v-one', 'missing-volume');
  assert.deepEqual([forced.code, forced.stdout], [0, 'v-one\n'], forced.stderr);
  assert.ok(!existsSync(join(c.runner.dataDir, 'cellblock/volumes/v-one')));
  assert.equal((await cellblock('rm', 'volume-user')).code, 0);
});

test('rm -v and --rm remove the container\'s anonymous volumes, and only those', async () => {
  const before = new Set(await volumes());
  const made = async () => (await volumes()).filter((name) => !before.has(name));
  const anonymous = /^[0-9a-f]{64}$/;

  const kept = await cellblock('run', '--name', 'anon-owner', '--rootfs', c.rootfs, '-v', '/anon', '--mount', 'type=volume,dst=/anon-too', '-v', 'named-stays:/named', 'true');
  assert.equal(kept.code, 0, kept.stderr);
  const fresh = await made();
  assert.equal(fresh.filter((name) => anonymous.test(name)).length, 2);
  assert.ok(fresh.includes('named-stays'));
  const labels = JSON.parse((await cellblock('volume', 'inspect', fresh.find((name) => anonymous.test(name)))).stdout)[0].Labels;
  assert.deepEqual(labels, { 'com.docker.volume.anonymous': '' });
  assertOneLineError(assert, await cellblock('volume', 'rm', fresh.find((name) => anonymous.test(name))), /in use by container [0-9a-f]{12} \(anon-owner\)/);
  assert.equal((await cellblock('rm', '-v', 'anon-owner')).code, 0);
  assert.deepEqual(await made(), ['named-stays']);

  const autoRemoved = await c.run(['-v', '/anon', '-v', 'named-stays:/named'], ['sh', '-c', 'echo x > /anon/f']);
  assert.equal(autoRemoved.code, 0, autoRemoved.stderr);
  assert.deepEqual(await made(), ['named-stays'], '--rm took the anonymous volume');

  assert.equal((await cellblock('run', '--name', 'plain-rm', '--rootfs', c.rootfs, '-v', '/anon', 'true')).code, 0);
  assert.equal((await cellblock('rm', 'plain-rm')).code, 0);
  const dangling = (await made()).filter((name) => anonymous.test(name));
  assert.equal(dangling.length, 1, 'rm without -v keeps it, as docker does');
  assert.equal((await cellblock('volume', 'rm', dangling[0], 'named-stays')).code, 0);
});
