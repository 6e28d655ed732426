// Pulling and running images from a real registry (Debian's docker-registry on
// 127.0.0.1), as an unprivileged user — chapters 07 and 08.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startRegistry } from '../helpers/registry.mjs';
import { pushMultiArch, pushSingleLayer, pushThreeLayers } from '../helpers/images.mjs';
import { assertOneLineError, containerFixture, hasSubordinateIds } from './fixture.mjs';

const c = containerFixture();
let registry;
let single;
let three;
let multi;

before(async () => {
  registry = await startRegistry({ auth: 'none' });
  [single, three, multi] = await Promise.all([
    pushSingleLayer(registry, 'test/single'),
    pushThreeLayers(registry, 'test/three'),
    pushMultiArch(registry, 'test/multi'),
  ]);
});
after(() => registry?.stop());

const cellblock = (...args) => c.runner.cellblock(args);
const layersDir = (mode) => join(c.runner.dataDir, 'cellblock', 'layers', mode);
const subids = () => hasSubordinateIds(c.runner.user);

test('pull then run a single-layer image by name; it is listed and inspectable', async () => {
  const pulled = await cellblock('pull', single.reference);
  assert.equal(pulled.code, 0, pulled.stderr);
  assert.match(pulled.stdout, new RegExp(`Pulled ${registry.host}/test/single:latest`));
  const r = await cellblock('run', '--rm', single.reference, 'sh', '-c', 'echo $$; cat /proc/self/uid_map | wc -l; ls /bin/busybox');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), ['1', subids() ? '2' : '1', '/bin/busybox']);
  const listed = await cellblock('images');
  assert.match(listed.stdout, new RegExp(`^${registry.host}/test/single\\s+latest\\s+${single.config.slice(7, 19)}\\s`, 'm'));
  const [inspected] = JSON.parse((await cellblock('image', 'inspect', single.reference)).stdout);
  assert.equal(inspected.Id, single.config);
  assert.equal(inspected.Manifest, single.digest);
  assert.equal(inspected.Os, 'linux');
});

test('three layers: whiteout, opaque dir, hardlink, symlink, modes, owners, and the image config', async (t) => {
  if (!subids()) return t.skip(`SKIP: ${c.runner.user.name} has no /etc/subuid range; the image runs as 1000:1000`);
  assert.equal((await cellblock('pull', three.reference)).code, 0);
  // The image's own Cmd, User and WorkingDir: `sh -c 'cat /data/new'` as 1000 in /data.
  const byDefault = await cellblock('run', '--rm', three.reference);
  assert.deepEqual([byDefault.code, byDefault.stdout, byDefault.stderr], [0, 'new\n', '']);
  const r = await cellblock('run', '--rm', '-u', '0', three.reference, 'sh', '-c', [
    'id -u', 'pwd', 'echo $GREETING',
    'test -e /etc/deleteme && echo deleteme-present || echo deleteme-gone',
    'ls /data | tr "\\n" " "; echo',
    'cat /data/hard', 'readlink /data/link',
    'stat -c "%a %u:%g %h" /usr/local/bin/suid /shared /home/alice/owned /data/new',
  ].join('; '));
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), [
    '0', '/data', 'hello from layer 3',
    'deleteme-gone',
    'hard link new ', // /data/old went with the opaque directory
    'new', 'new',
    '4755 0:0 1', '1777 0:0 2', '640 1000:1000 1', '644 0:0 2',
  ]);
  // On the host, inside uid 1000 is the subordinate id start + 999.
  const start = Number(readFileSync('/etc/subuid', 'utf8').split('\n').find((l) => l.startsWith(`${c.runner.user.name}:`) || l.startsWith(`${c.runner.user.uid}:`)).split(':')[1]);
  const owned = readdirSync(layersDir('subids')).map((hex) => join(layersDir('subids'), hex, 'home/alice/owned')).find(existsSync);
  assert.equal(statSync(owned).uid, start + 999);
});

test('a multi-platform index gives this machine its own image, and --platform another', async () => {
  assert.equal((await cellblock('pull', multi.reference)).code, 0);
  const r = await cellblock('run', '--rm', multi.reference, 'cat', '/arch');
  assert.equal(r.stdout, 'amd64\n');
  const [inspected] = JSON.parse((await cellblock('image', 'inspect', multi.reference)).stdout);
  assert.equal(inspected.Manifest, multi.manifests.amd64.digest);
  assert.notEqual(inspected.Manifest, multi.manifests.arm64.digest, 'the arm64 entry is not chosen on amd64');
  const other = await cellblock('pull', '--platform', 'linux/arm64', multi.reference);
  assert.equal(other.code, 0, other.stderr);
  const [arm] = JSON.parse((await cellblock('image', 'inspect', multi.reference)).stdout);
  assert.equal(arm.Manifest, multi.manifests.arm64.digest);
  const none = await cellblock('pull', '--platform', 'linux/s390x', multi.reference);
  assertOneLineError(assert, none, /no image for linux\/s390x in this index \(it has: linux\/amd64, linux\/arm64\)/);
});

test("writes go to the container's upper layer only; rm removes it; the image layers are untouched", async () => {
  const before = readdirSync(layersDir(subids() ? 'subids' : 'single')).sort();
  const name = 'writer';
  const r = await cellblock('run', '--name', name, single.reference, 'sh', '-c', 'echo changed > /etc/motd; rm /bin/ls; echo new > /created');
  assert.equal(r.code, 0, r.stderr);
  const [record] = readdirSync(join(c.runner.runtimeDir, 'cellblock', 'containers')).map((f) => JSON.parse(readFileSync(join(c.runner.runtimeDir, 'cellblock', 'containers', f), 'utf8'))).filter((rec) => rec.name === name);
  const upper = join(record.storage, 'upper');
  assert.equal(readFileSync(join(upper, 'created'), 'utf8'), 'new\n');
  assert.ok(statSync(join(upper, 'bin/ls')).isCharacterDevice(), 'deleting a lower file leaves a whiteout in the upper dir');
  assert.deepEqual(readdirSync(layersDir(subids() ? 'subids' : 'single')).sort(), before);
  const again = await cellblock('run', '--rm', single.reference, 'sh', '-c', 'test -e /created || echo fresh; ls /bin/ls');
  assert.equal(again.stdout, 'fresh\n/bin/ls\n', 'another container starts from the image, not from the first one’s changes');
  assert.equal((await cellblock('rm', name)).code, 0);
  assert.ok(!existsSync(record.storage));
});

test('bad references, unknown images and closed ports are one-line errors', async () => {
  assertOneLineError(assert, await cellblock('pull', 'Bad:Ref'), /invalid image reference "Bad:Ref"/);
  assertOneLineError(assert, await cellblock('run', '--rm', 'UPPER', 'true'), /invalid image reference "UPPER": repository names must be lowercase/);
  assertOneLineError(assert, await cellblock('pull', `${registry.host}/test/nope:1`), /test\/nope:1: not found \(404/);
  assertOneLineError(assert, await cellblock('run', '--rm', '--pull=never', `${registry.host}/test/nope`, 'true'), /is not in the local store \(and --pull=never\)/);
  const closed = await freePort();
  assertOneLineError(assert, await cellblock('pull', `127.0.0.1:${closed}/x`), new RegExp(`127\\.0\\.0\\.1:${closed}: cannot connect \\(ECONNREFUSED\\)`));
});

test('rmi refuses an image a container uses unless -f; removing the last name frees its layers', async () => {
  const ref = `${registry.host}/test/single:rmi`;
  assert.equal((await cellblock('tag', single.reference, ref)).code, 0);
  assert.equal((await cellblock('run', '--name', 'user-of-image', ref, 'true')).code, 0);
  assertOneLineError(assert, await cellblock('rmi', ref), /is used by container [0-9a-f]{12} \(user-of-image\)/);
  assert.equal((await cellblock('rm', 'user-of-image')).code, 0);
  const removed = await cellblock('rmi', ref);
  assert.equal(removed.code, 0, removed.stderr);
  assert.match(removed.stdout, new RegExp(`Untagged: ${ref}`));
  assert.ok((await cellblock('images')).stdout.includes('test/single'), 'the other name still holds the image');
});

test('import makes a one-layer image from a directory, with --change for its config', async () => {
  const r = await cellblock('import', '--change', 'CMD ["sh", "-c", "echo $GREETING from $(pwd)"]', '--change', 'ENV GREETING=hi', '--change', 'WORKDIR /tmp', c.rootfs, 'localhost/imported:1');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'Imported localhost/imported:1\n');
  const ran = await cellblock('run', '--rm', 'localhost/imported:1');
  assert.deepEqual([ran.code, ran.stdout], [0, 'hi from /tmp\n']);
  assertOneLineError(assert, await cellblock('import', '--change', 'RUN make', c.rootfs, 'localhost/x'), /invalid --change "RUN make"/);
});

test('fuse-overlayfs, the fallback for kernels that refuse a rootless overlay, gives the same view', async (t) => {
  const fuse = await c.runner.exec('sh', ['-c', 'command -v fuse-overlayfs && test -r /dev/fuse -a -w /dev/fuse']);
  if (fuse.code !== 0) return t.skip('SKIP: fuse-overlayfs is not installed or /dev/fuse is not usable by this user (Debian ships it 0666; .ci/run sets that)');
  if (!subids()) return t.skip(`SKIP: ${c.runner.user.name} has no /etc/subuid range; the three-layer image runs as 1000:1000`);
  const r = await c.runner.cellblock(['run', '--rm', '-u', '0', three.reference, 'sh', '-c',
    'grep -c " / .* fuse.fuse-overlayfs " /proc/self/mountinfo; test -e /etc/deleteme || echo deleted; ls /data | tr "\\n" " "; echo; echo changed > /data/new; cat /data/new'],
    { env: { CELLBLOCK_OVERLAY: 'fuse-overlayfs' } });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), ['1', 'deleted', 'hard link new ', 'changed']);
});

test('--pull=always fetches again; image prune removes what no name or container uses any more', async () => {
  const again = await c.runner.cellblock(['run', '--rm', '--pull=always', single.reference, 'true']);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, new RegExp(`Pulling ${registry.host}/test/single:latest`), 'run prints pull progress on stderr');
  // Re-using a name for another image leaves the first one with no name: prune takes it.
  const one = c.runner.tempDir('cellblock-prune-');
  assert.equal((await c.runner.exec('sh', ['-c', `mkdir ${one}/a && cp -a ${c.rootfs}/. ${one}/a/ && echo first > ${one}/a/f`])).code, 0);
  assert.equal((await cellblock('import', `${one}/a`, 'localhost/prune:1')).code, 0);
  assert.equal((await c.runner.exec('sh', ['-c', `echo second > ${one}/a/f`])).code, 0);
  assert.equal((await cellblock('import', `${one}/a`, 'localhost/prune:1')).code, 0);
  const pruned = await cellblock('image', 'prune');
  assert.equal(pruned.code, 0, pruned.stderr);
  assert.match(pruned.stdout, /^Deleted: [1-9]\d* blobs, [1-9]\d* layers$/m);
  assert.match((await cellblock('image', 'prune')).stdout, /^Deleted: 0 blobs, 0 layers$/m, 'nothing left to prune');
  assert.equal((await cellblock('run', '--rm', 'localhost/prune:1', 'cat', '/f')).stdout, 'second\n');
  assert.ok((await cellblock('images')).stdout.includes('test/single'), 'images with names are kept');
});
