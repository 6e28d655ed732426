// commit: a container's changes become a new image — a file added, a file
// deleted (a whiteout), a directory deleted and made again (opaque), an
// owner changed — and the new image runs, is listed, inspected and saved.
// As an unprivileged user, from an image imported from a busybox tree.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Runner, waitForLine } from '../../scripts/lib/as-user.mjs';
import { buildBusyboxRootfs } from '../../scripts/lib/rootfs.mjs';
import { assertOneLineError, containerFixture, hasSubordinateIds } from './fixture.mjs';

const c = containerFixture();
const cellblock = (...args) => c.runner.cellblock(args);
const BASE = 'localhost/commit-base:1';
const ID = /^sha256:[0-9a-f]{64}$/;

before(async () => {
  // The base image: busybox, and a directory with content for the container to replace.
  const root = buildBusyboxRootfs(join(c.runner.tempDir('cellblock-commit-base-'), 'rootfs'));
  mkdirSync(join(root, 'srv/data/sub'), { recursive: true });
  writeFileSync(join(root, 'srv/data/old'), 'old\n');
  writeFileSync(join(root, 'srv/data/sub/deep'), 'deep\n');
  c.runner.chownTree(root);
  const imported = await cellblock('import', root, BASE);
  assert.equal(imported.code, 0, imported.stderr);
});

const blobCount = () => readdirSync(join(c.runner.dataDir, 'cellblock', 'blobs', 'sha256')).length;

test('commit round trip: an added file, a deleted one, an opaque directory and an owner survive into the new image', async (t) => {
  const changes = [
    'echo hi > /new && ln /new /new-hard && ln -s new /new-link && touch -d "2001-02-03 04:05:06" /new',
    'rm /etc/group',
    'rm -rf /srv/data && mkdir /srv/data && echo fresh > /srv/data/only',
    subids() ? 'echo o > /owned && chown 1000:1000 /owned && chmod 4750 /owned' : 'true',
  ].join('; ');
  const made = await cellblock('run', '--name', 'changed', BASE, 'sh', '-c', changes);
  assert.equal(made.code, 0, made.stderr);
  const committed = await cellblock('commit', '-m', 'my changes', '-a', 'Ada <ada@example.com>', 'changed', 'localhost/committed:1');
  assert.equal(committed.code, 0, committed.stderr);
  const id = committed.stdout.trim();
  assert.match(id, ID, 'commit prints the new image id');

  const ran = await cellblock('run', '--rm', 'localhost/committed:1', 'sh', '-c',
    'cat /new; test -e /etc/group || echo group-gone; ls -A /srv/data | tr "\\n" " "; echo; cat /etc/passwd | head -1; stat -c "%h %Y" /new; readlink /new-link');
  assert.equal(ran.code, 0, ran.stderr);
  assert.deepEqual(ran.stdout.split('\n'), ['hi', 'group-gone', 'only ', 'root:x:0:0:root:/root:/bin/sh', '2 981173106', 'new', ''],
    'the new file is there (with its hard link, symlink and time), the deleted one is not, and the opaque directory hides all the image had in it');
  // The base image is unchanged.
  const base = await cellblock('run', '--rm', BASE, 'sh', '-c', 'test -e /new || echo no-new; ls /srv/data | tr "\\n" " "');
  assert.equal(base.stdout, 'no-new\nold sub ');

  const listed = await cellblock('images');
  assert.match(listed.stdout, new RegExp(`^localhost/committed\\s+1\\s+${id.slice(7, 19)}\\s`, 'm'));
  const [inspected] = JSON.parse((await cellblock('image', 'inspect', 'localhost/committed:1')).stdout);
  assert.equal(inspected.Id, id);
  assert.equal(inspected.Author, 'Ada <ada@example.com>');
  assert.equal(inspected.Comment, 'my changes');
  assert.equal(inspected.RootFS.Layers.length, 2, 'one layer more than the base');

  // save exports it, and another store runs it.
  const archive = join(c.runner.tempDir('cellblock-commit-save-'), 'committed.tar');
  const saved = await cellblock('save', '-o', archive, 'localhost/committed:1');
  assert.equal(saved.code, 0, saved.stderr);
  const other = new Runner();
  t.after(() => other.cleanup());
  assert.equal((await other.cellblock(['load', '-i', archive])).code, 0);
  const again = await other.cellblock(['run', '--rm', 'localhost/committed:1', 'sh', '-c', 'cat /new; ls -A /srv/data']);
  assert.deepEqual([again.code, again.stdout], [0, 'hi\nonly\n']);

  if (!subids()) return t.skip(`SKIP (owners): ${c.runner.user.name} has no /etc/subuid range, so only root exists in a container`);
  const owned = await cellblock('run', '--rm', 'localhost/committed:1', 'stat', '-c', '%a %u:%g', '/owned');
  assert.equal(owned.stdout, '4750 1000:1000\n', 'the owner set inside, and the setuid bit, are kept');
});

test('commit -c changes the config; without a name the image is <none>, and runs by its id', async () => {
  assert.equal((await cellblock('run', '--name', 'cmd-source', BASE, 'sh', '-c', 'echo from-cmd > /msg')).code, 0);
  const named = await cellblock('commit', '-c', 'CMD ["cat", "/msg"]', '-c', 'ENV FROM_COMMIT=yes', 'cmd-source', 'localhost/with-cmd');
  assert.equal(named.code, 0, named.stderr);
  const byDefault = await cellblock('run', '--rm', 'localhost/with-cmd');
  assert.deepEqual([byDefault.code, byDefault.stdout], [0, 'from-cmd\n'], 'the committed CMD is the default command');
  assert.equal((await cellblock('run', '--rm', 'localhost/with-cmd', 'sh', '-c', 'echo $FROM_COMMIT')).stdout, 'yes\n');

  const untagged = await cellblock('commit', 'cmd-source');
  assert.equal(untagged.code, 0, untagged.stderr);
  const id = untagged.stdout.trim();
  assert.match(id, ID);
  assert.match((await cellblock('images')).stdout, new RegExp(`^<none>\\s+<none>\\s+${id.slice(7, 19)}\\s`, 'm'));
  const byId = await cellblock('run', '--rm', id.slice(7, 19), 'cat', '/msg');
  assert.deepEqual([byId.code, byId.stdout], [0, 'from-cmd\n']);
  const [inspected] = JSON.parse((await cellblock('image', 'inspect', id)).stdout);
  assert.deepEqual(inspected.RepoTags, []);
  // Naming it takes it out of <none>.
  assert.equal((await cellblock('tag', id, 'localhost/named-later')).code, 0);
  assert.doesNotMatch((await cellblock('images')).stdout, /^<none>/m);
});

test('commit of a running container: its changes so far become the image, and it keeps running', async () => {
  const child = c.runner.spawnCellblock(['run', '--name', 'live', BASE, 'sh', '-c', 'echo live > /live; echo ready; sleep 1000']);
  child.stdin.end();
  try {
    await waitForLine(child.stdout, /^ready$/);
    const committed = await cellblock('commit', 'live', 'localhost/live');
    assert.equal(committed.code, 0, committed.stderr);
    const ran = await cellblock('run', '--rm', 'localhost/live', 'cat', '/live');
    assert.deepEqual([ran.code, ran.stdout], [0, 'live\n']);
    assert.equal(child.exitCode, null, 'the container was not stopped');
  } finally {
    await cellblock('rm', '-f', 'live');
    child.kill('SIGKILL');
  }
});

test('commit refuses a --rootfs container, a missing container and a bad name, and stores nothing', async () => {
  assert.equal((await c.runner.cellblock(['run', '--name', 'from-dir', '--rootfs', c.rootfs, 'true'])).code, 0);
  assert.equal((await cellblock('run', '--name', 'from-image', BASE, 'touch', '/x')).code, 0);
  const blobs = blobCount();
  const images = (await cellblock('images', '-q')).stdout;
  assertOneLineError(assert, await cellblock('commit', 'from-dir', 'localhost/x'), /container from-dir was made from a directory \(--rootfs\)/);
  assertOneLineError(assert, await cellblock('commit', 'no-such-container'), /no such container: no-such-container/);
  assertOneLineError(assert, await cellblock('commit', 'from-image', 'Bad:Name'), /invalid image reference "Bad:Name"/);
  assertOneLineError(assert, await cellblock('commit', '-c', 'RUN make', 'from-image', 'localhost/y'), /invalid --change "RUN make"/);
  assertOneLineError(assert, await cellblock('commit', '--pause=false', 'from-image'), /unknown option/);
  assert.equal(blobCount(), blobs, 'no blob was stored');
  assert.equal((await cellblock('images', '-q')).stdout, images, 'no image was added');
});

function subids() {
  return hasSubordinateIds(c.runner.user);
}
