// Unit tests of the packer (src/image/pack.ts) and docker cp's path rules
// (src/runtime/copy/paths.ts), on temporary directories of whoever runs them.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extract, pack as tarPack } from 'tar-stream';
import { TreePacker } from '../../dist/image/pack.js';
import { Notices } from '../../dist/image/unpack/notices.js';
import { copyDestination, copySource, planExtract, rebase, splitCopyArgument, splitDirEntry } from '../../dist/runtime/copy/paths.js';
import { lsetxattr, mknod, S_IFCHR } from '../../dist/syscalls/index.js';

const scratch = mkdtempSync(join(tmpdir(), 'cellblock-copy-unit-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
const T = new Date('2020-01-02T03:04:05Z');

/** FILL a packer, then read the tar back: [{ name, type, mode, uid, gid, linkname, pax, body }]. */
async function packed(fill, options = {}) {
  const pack = tarPack();
  const parser = extract();
  const entries = [];
  const reading = (async () => {
    for await (const entry of parser) {
      const chunks = [];
      for await (const chunk of entry) chunks.push(chunk);
      const { name, type, mode, uid, gid, linkname, pax } = entry.header;
      entries.push({ name, type, mode, uid, gid, linkname, pax, body: Buffer.concat(chunks).toString() });
    }
  })();
  pack.pipe(parser);
  await fill(new TreePacker(pack, options));
  pack.finalize();
  await reading;
  return entries;
}

test('the packer: name order, modes with setuid and sticky, symlinks, hard links, owners as mapped', async () => {
  const dir = join(scratch, 'tree');
  mkdirSync(join(dir, 'b/sub'), { recursive: true });
  writeFileSync(join(dir, 'b/sub/f'), 'data');
  writeFileSync(join(dir, 'a'), 'aaa', { mode: 0o4755 });
  execFileSync('chmod', ['4755', join(dir, 'a')]);
  execFileSync('chmod', ['1777', join(dir, 'b')]);
  linkSync(join(dir, 'a'), join(dir, 'c-hard'));
  symlinkSync('../elsewhere', join(dir, 'd-link'));
  execFileSync('mkfifo', [join(dir, 'e-fifo')]);
  execFileSync('chmod', ['000', join(dir, 'b/sub/f')]);
  utimesSync(join(dir, 'a'), T, T);
  const owner = (uid, gid) => ({ uid: uid + 7, gid: gid + 9 });
  const entries = await packed((p) => p.addContents(dir), { owner });
  assert.deepEqual(entries.map((e) => [e.name, e.type]), [
    ['a', 'file'], ['b', 'directory'], ['b/sub', 'directory'], ['b/sub/f', 'file'], ['c-hard', 'link'], ['d-link', 'symlink'], ['e-fifo', 'fifo'],
  ]);
  const byName = Object.fromEntries(entries.map((e) => [e.name, e]));
  assert.equal(byName.a.mode, 0o4755);
  assert.equal(byName.a.body, 'aaa');
  assert.equal(byName.b.mode, 0o1777);
  assert.equal(byName['b/sub/f'].mode, 0, 'a mode of 0 stays 0');
  assert.equal(byName['c-hard'].linkname, 'a', 'a second name of the same inode is a hard link to the first');
  assert.equal(byName['d-link'].linkname, '../elsewhere', 'symlinks are stored, not followed');
  assert.equal(byName.a.uid, process.getuid() + 7);
  assert.equal(byName.a.gid, process.getgid() + 9);
});

test('the packer: add() names the top entry; -L follows a symlink given as the source', async () => {
  const dir = join(scratch, 'top');
  mkdirSync(join(dir, 'real'), { recursive: true });
  writeFileSync(join(dir, 'real/x'), 'x');
  symlinkSync('real', join(dir, 'link'));
  assert.deepEqual((await packed((p) => p.add(join(dir, 'real'), 'renamed'))).map((e) => e.name), ['renamed', 'renamed/x']);
  assert.deepEqual((await packed((p) => p.add(join(dir, 'real/.'), '.'))).map((e) => e.name), ['.', './x']);
  assert.deepEqual((await packed((p) => p.add(join(dir, 'link'), 'link'))).map((e) => [e.name, e.type]), [['link', 'symlink']]);
  assert.deepEqual((await packed((p) => p.add(join(dir, 'link'), 'link', true))).map((e) => e.name), ['link', 'link/x']);
});

test('the packer, for commit: overlayfs whiteouts and opaque directories become OCI whiteout entries', async (t) => {
  if (process.getuid() !== 0) return t.skip('SKIP: mknod of a 0/0 whiteout needs root (or a user namespace)');
  const upper = join(scratch, 'upper');
  mkdirSync(join(upper, 'etc'), { recursive: true });
  mkdirSync(join(upper, 'srv/data'), { recursive: true });
  writeFileSync(join(upper, 'srv/data/only'), 'fresh');
  mknod(join(upper, 'etc/group'), S_IFCHR, 0);
  lsetxattr(join(upper, 'srv/data'), 'user.overlay.opaque', Buffer.from('y'));
  lsetxattr(join(upper, 'srv'), 'user.overlay.impure', Buffer.from('y'));
  lsetxattr(join(upper, 'srv/data/only'), 'user.note', Buffer.from('kept'));
  const notices = new Notices('test');
  const entries = await packed((p) => p.addContents(upper), { overlay: true, notices });
  assert.deepEqual(entries.map((e) => [e.name, e.type]), [
    ['etc', 'directory'], ['etc/.wh.group', 'file'], ['srv', 'directory'], ['srv/data', 'directory'], ['srv/data/.wh..wh..opq', 'file'], ['srv/data/only', 'file'],
  ]);
  const byName = Object.fromEntries(entries.map((e) => [e.name, e]));
  assert.equal(byName.srv.pax?.['SCHILY.xattr.user.overlay.impure'], undefined, "overlayfs's own attributes stay behind");
  assert.equal(byName['srv/data'].pax?.['SCHILY.xattr.user.overlay.opaque'], undefined);
  assert.equal(byName['srv/data/only'].pax['SCHILY.xattr.user.note'], 'kept', 'user.* attributes travel');
  // Without the overlay option, the same device is just a device.
  const plain = await packed((p) => p.add(join(upper, 'etc/group'), 'group'));
  assert.deepEqual(plain.map((e) => e.type), ['character-device']);
});

test('cp arguments: CONTAINER:PATH, unless the path is absolute, starts with "." or has no ":"', () => {
  assert.deepEqual(splitCopyArgument('web:/etc/hosts'), { container: 'web', path: '/etc/hosts' });
  assert.deepEqual(splitCopyArgument('web:etc'), { container: 'web', path: 'etc' });
  assert.deepEqual(splitCopyArgument('/tmp/a:b'), { path: '/tmp/a:b' });
  assert.deepEqual(splitCopyArgument('./a:b'), { path: './a:b' });
  assert.deepEqual(splitCopyArgument('file'), { path: 'file' });
  assert.deepEqual(splitCopyArgument('-'), { path: '-' });
});

test('cp names: "DIR/." is the contents of DIR; a copy renames the top entry only', () => {
  assert.deepEqual(splitDirEntry('/a/b/'), ['/a', 'b']);
  assert.deepEqual(splitDirEntry('/a/b/.'), ['/a/b', '.']);
  assert.deepEqual(splitDirEntry('rel'), ['.', 'rel']);
  assert.equal(rebase('src/x/y', 'src', 'dest'), 'dest/x/y');
  assert.equal(rebase('src', 'src', 'dest'), 'dest');
  assert.equal(rebase('./x', '.', 'dest'), 'dest/x');
  assert.equal(rebase('.', '.', 'dest'), 'dest');
  assert.equal(rebase('other/x', 'src', 'dest'), 'other/x');
});

test("cp destinations follow docker's rules: into a directory, as a new name, never a directory onto a file", () => {
  const dir = join(scratch, 'dest');
  mkdirSync(join(dir, 'existing'), { recursive: true });
  writeFileSync(join(dir, 'file'), 'x');
  symlinkSync('existing', join(dir, 'to-dir'));
  const dirSource = { isDirectory: true, base: 'src' };
  const fileSource = { isDirectory: false, base: 'f' };
  const into = planExtract(dirSource, copyDestination(join(dir, 'existing')));
  assert.deepEqual([into.dir, into.rename], [join(dir, 'existing'), undefined], 'a directory lands inside an existing one');
  const followed = copyDestination(join(dir, 'to-dir'));
  assert.equal(followed.path, join(dir, 'existing'), 'a symlink at the destination is followed');
  const renamed = planExtract(dirSource, copyDestination(join(dir, 'new')));
  assert.equal(renamed.dir, dir);
  assert.equal(renamed.rename('src/a'), 'new/a', 'a directory copied to a new name takes it');
  assert.equal(planExtract(fileSource, copyDestination(join(dir, 'file'))).rename('f'), 'file', 'a file replaces a file');
  assert.throws(() => planExtract(dirSource, copyDestination(join(dir, 'file'))), /cannot copy a directory onto a file/);
  assert.throws(() => planExtract(fileSource, copyDestination(`${dir}/missing/`)), /no such directory/);
  assert.throws(() => copyDestination(join(dir, 'nope/x')), /nope: no such file or directory/);
  assert.throws(() => planExtract(undefined, copyDestination(join(dir, 'file'))), /not a directory/, 'a tar from stdin goes into a directory');
  assert.deepEqual(copySource(`${dir}/existing/.`, false), { isDirectory: true, base: '.' });
  assert.deepEqual(copySource(join(dir, 'to-dir'), false), { isDirectory: false, base: 'to-dir' });
  assert.deepEqual(copySource(join(dir, 'to-dir'), true), { isDirectory: true, base: 'to-dir' });
  assert.throws(() => copySource(`${dir}/file/`, false), /not a directory/);
  assert.throws(() => copySource(join(dir, 'absent'), false), /absent: no such file or directory/);
});
