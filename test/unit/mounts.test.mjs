// Unit tests of storage for containers: the -v/--tmpfs/--mount grammar, the
// volume store, and the init's helpers that need no namespace (resolving a
// path inside a root, copy-up).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  closeSync, existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync,
  writeFileSync, chmodSync, lchownSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkBindSource, orderMounts, parseMountFlag, parseTmpfsFlag, parseVolumeFlag } from '../../dist/runtime/mounts.js';
import { openBeneath, secureJoin } from '../../dist/init/paths.js';
import { copyTree } from '../../dist/init/copy-up.js';
import { lgetxattr, lsetxattr, mknod, S_IFIFO } from '../../dist/syscalls/index.js';

const tempDir = (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cellblock-unit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};
const without = ({ given, ...rest }) => rest;

test('-v: host directory, named volume, anonymous volume, and their options', () => {
  assert.deepEqual(without(parseVolumeFlag('/srv/www/:/var/www:ro')), { type: 'bind', source: '/srv/www/', target: '/var/www', readOnly: true });
  assert.deepEqual(without(parseVolumeFlag('data:/data')), { type: 'volume', name: 'data', target: '/data', readOnly: false, copyUp: true });
  assert.deepEqual(without(parseVolumeFlag('my.vol-1:/a/../b/:rw,nocopy')), { type: 'volume', name: 'my.vol-1', target: '/b', readOnly: false, copyUp: false });
  assert.deepEqual(without(parseVolumeFlag('/cache')), { type: 'volume', target: '/cache', readOnly: false, copyUp: true });
  assert.equal(parseVolumeFlag('a1:/x').given, '-v "a1:/x"');
});

test('-v: every bad form is one line naming the flag', () => {
  const cases = [
    ['rel/dir:/x', /^Error: invalid -v "rel\/dir:\/x": "rel\/dir" is a relative host path: give it as an absolute one$/],
    ['./dir:/x', /"\.\/dir" is a relative host path/],
    ['a:/x', /"a" is not a valid volume name: only \[a-zA-Z0-9\]\[a-zA-Z0-9_.-\] are allowed/],
    ['bad!name:/x', /"bad!name" is not a valid volume name/],
    ['/host:x', /"x" is not an absolute path in the container/],
    ['/foo:ro', /"ro" is not an absolute path in the container/],
    ['relative', /"relative" is not an absolute path/],
    ['vol:/', /the container's "\/" cannot be a mount point/],
    ['vol:/x:bogus', /unknown option "bogus" \(cellblock knows ro, rw and nocopy\)/],
    ['vol:/x:ro,rw', /"rw" conflicts with an earlier option/],
    ['/h:/x:nocopy', /nocopy is for volumes, not host directories/],
    ['/a:/b:ro:x', /expected HOSTDIR:CDIR\[:ro\], NAME:CDIR\[:ro\] or CDIR/],
    [':/x', /expected HOSTDIR:CDIR/],
    ['vol:/x:', /expected HOSTDIR:CDIR/],
  ];
  for (const [value, pattern] of cases) assert.throws(() => parseVolumeFlag(value), pattern, value);
});

test('--tmpfs: docker\'s defaults (noexec, nosuid, nodev), tmpfs options passed on, bad ones refused', () => {
  assert.deepEqual(without(parseTmpfsFlag('/run')), { type: 'tmpfs', target: '/run', readOnly: false, options: ['noexec', 'nosuid', 'nodev'], data: '' });
  assert.deepEqual(without(parseTmpfsFlag('/run/:size=64M,mode=1777,exec,ro,nr_inodes=1k')),
    { type: 'tmpfs', target: '/run', readOnly: true, options: ['nosuid', 'nodev'], data: 'size=64m,mode=1777,nr_inodes=1k' });
  assert.equal(parseTmpfsFlag('/t:size=50%').data, 'size=50%');
  assert.throws(() => parseTmpfsFlag('tmp'), /^Error: invalid --tmpfs "tmp": "tmp" is not an absolute path in the container$/);
  assert.throws(() => parseTmpfsFlag('/t:size=big'), /bad value for size: "big"/);
  assert.throws(() => parseTmpfsFlag('/t:mode=999'), /bad value for mode: "999"/);
  assert.throws(() => parseTmpfsFlag('/t:uid=0'), /unknown tmpfs option "uid=0"/);
  assert.throws(() => parseTmpfsFlag('/t:size='), /bad value for size: ""/);
  assert.throws(() => parseTmpfsFlag('/t:constructor=1'), /unknown tmpfs option "constructor=1"/);
  assert.throws(() => parseTmpfsFlag('/t:'), /unknown tmpfs option ""/);
});

test('--mount: docker\'s keys and aliases, one type at a time', () => {
  assert.deepEqual(without(parseMountFlag('type=bind,src=/srv,dst=/x,ro')), { type: 'bind', source: '/srv', target: '/x', readOnly: true });
  assert.deepEqual(without(parseMountFlag('type=bind,source=/srv,destination=/x,readonly=false')), { type: 'bind', source: '/srv', target: '/x', readOnly: false });
  assert.deepEqual(without(parseMountFlag('source=v1,target=/v,volume-nocopy')), { type: 'volume', name: 'v1', target: '/v', readOnly: false, copyUp: false });
  assert.deepEqual(without(parseMountFlag('type=volume,target=/anon,readonly=1')), { type: 'volume', name: undefined, target: '/anon', readOnly: true, copyUp: true });
  assert.deepEqual(without(parseMountFlag('type=tmpfs,dst=/t,tmpfs-size=1m,tmpfs-mode=1770')),
    { type: 'tmpfs', target: '/t', readOnly: false, options: ['noexec', 'nosuid', 'nodev'], data: 'size=1m,mode=1770' });
  const cases = [
    ['type=nfs,dst=/x', /type "nfs" is not supported \(bind, volume or tmpfs\)/],
    ['type=bind,target=/x', /a bind needs source=\/host\/path/],
    ['type=bind,src=rel,target=/x', /"rel" is a relative host path/],
    ['type=tmpfs,src=a,dst=/x', /a tmpfs has no source/],
    ['dst=/x,bogus=1', /unknown key "bogus"/],
    ['dst=/x,,ro', /an empty field/],
    ['type=bind,src=/tmp,dst=/x,tmpfs-size=1', /tmpfs-size does not go with type=bind/],
    ['type=tmpfs,dst=/x,volume-nocopy', /volume-nocopy does not go with type=tmpfs/],
    ['src=v1,dst=/x,readonly=maybe', /readonly=maybe: use true or false/],
    ['src=v1', /target is required/],
    ['src=v1,dst=x', /"x" is not an absolute path/],
    ['src=v1,dst=/x,target=/y', /target is given twice/],
    ['src=,dst=/x', /source is empty/],
    ['type=tmpfs,dst=/x,tmpfs-size=lots', /bad tmpfs-size "lots"/],
    ['type=tmpfs,dst=/x,tmpfs-mode=rwx', /bad tmpfs-mode "rwx"/],
    ['src=x,dst=/x', /"x" is not a valid volume name/],
  ];
  for (const [value, pattern] of cases) assert.throws(() => parseMountFlag(value), new RegExp(`^Error: invalid --mount "${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}": ${pattern.source}`), value);
});

test('orderMounts: a parent before its children, otherwise as given; one target once', () => {
  const m = (target, given) => ({ target, given });
  assert.deepEqual(orderMounts([m('/data/logs', 'a'), m('/tmp', 'b'), m('/data', 'c')]).map((x) => x.given), ['b', 'c', 'a']);
  assert.throws(() => orderMounts([parseVolumeFlag('a1:/x'), parseTmpfsFlag('/x/')]), /^Error: invalid --tmpfs "\/x\/": \/x is already a mount point \(-v "a1:\/x"\)$/);
});

test('checkBindSource: a directory, or a file mounted on a file; missing or special paths refused', (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'file'), '');
  symlinkSync('file', join(dir, 'link'));
  execFileSync('mkfifo', [join(dir, 'fifo')]);
  const bind = (source) => checkBindSource(parseVolumeFlag(`${source}:/x`));
  assert.deepEqual(bind(dir), { source: dir, file: false });
  assert.deepEqual(bind(join(dir, 'link')), { source: join(dir, 'file'), file: true });
  assert.throws(() => bind(join(dir, 'missing')), new RegExp(`^Error: invalid -v "${dir}/missing:/x": host path ${dir}/missing does not exist$`));
  assert.throws(() => bind(join(dir, 'fifo')), /is not a directory or a regular file/);
});

test('secureJoin: symlinks resolved as if the root were "/", never above it', () => {
  const links = { '/abs': '/etc/app', '/up': '../../../../tmp/x', '/etc/app': 'real', '/loop': '/loop', '/var/run': '/run', '/dotdot': '/../../x' };
  const readlink = (path) => links[path];
  assert.equal(secureJoin('/data', readlink), '/data');
  assert.equal(secureJoin('/abs/sub', readlink), '/etc/real/sub');
  assert.equal(secureJoin('/up/y', readlink), '/tmp/x/y');
  assert.equal(secureJoin('/dotdot', readlink), '/x');
  assert.equal(secureJoin('/var/run/app', readlink), '/run/app');
  assert.equal(secureJoin('/../../etc', readlink), '/etc');
  assert.throws(() => secureJoin('/loop/x', readlink), /too many levels of symbolic links/);
});

test('openBeneath: creates the mount point inside the root, through symlinks that point outside', (t) => {
  const outside = tempDir(t);
  const root = tempDir(t);
  mkdirSync(join(root, 'etc'));
  symlinkSync('/../../../../..' + outside + '/escape', join(root, 'evil'));
  symlinkSync(outside, join(root, 'absolute'));
  symlinkSync('etc', join(root, 'relative'));
  writeFileSync(join(root, 'file'), '');
  const open = (path, kind) => {
    const found = openBeneath(root, path, kind);
    if (found) closeSync(found.fd);
    return found?.path;
  };
  assert.equal(open('/evil/deep', 'dir'), `${outside}/escape/deep`);
  assert.ok(statSync(join(root, outside, 'escape/deep')).isDirectory());
  assert.equal(open('/absolute/f', 'file'), `${outside}/f`);
  assert.ok(statSync(join(root, outside, 'f')).isFile());
  assert.deepEqual(readdirSync(outside), [], 'nothing was created outside the root');
  assert.equal(open('/relative/conf'), undefined, 'without a kind, a missing path is not created');
  assert.equal(open('/relative', undefined), '/etc');
  assert.throws(() => open('/file/x', 'dir'), /^SyscallError: openat2\(\/file\/x\): ENOTDIR$/);
});

test('copyTree keeps owners, modes, times, symlinks, hard links, fifos and user xattrs', (t) => {
  const from = tempDir(t);
  const to = tempDir(t);
  const owner = process.getuid() === 0 ? 1234 : process.getuid();
  mkdirSync(join(from, 'sub'));
  writeFileSync(join(from, 'sub/file'), 'data');
  linkSync(join(from, 'sub/file'), join(from, 'hard'));
  symlinkSync('sub/file', join(from, 'link'));
  mknod(join(from, 'fifo'), S_IFIFO | 0o640);
  lsetxattr(join(from, 'sub/file'), 'user.kept', Buffer.from('yes'));
  for (const path of ['sub/file', 'sub', 'link', '.']) lchownSync(join(from, path), owner, owner);
  chmodSync(join(from, 'sub/file'), 0o4750);
  chmodSync(join(from, 'sub'), 0o705);
  chmodSync(from, 0o751);
  copyTree(from, to);
  const st = (path) => lstatSync(join(to, path));
  assert.deepEqual([st('sub/file').uid, st('sub/file').mode & 0o7777, readFileSync(join(to, 'sub/file'), 'utf8')], [owner, 0o4750, 'data']);
  assert.equal(st('hard').ino, st('sub/file').ino);
  assert.deepEqual([st('link').isSymbolicLink(), readlinkSync(join(to, 'link')), st('link').uid], [true, 'sub/file', owner]);
  assert.ok(st('fifo').isFIFO());
  assert.deepEqual([st('sub').uid, st('sub').mode & 0o7777, st('.').uid, st('.').mode & 0o7777], [owner, 0o705, owner, 0o751]);
  assert.ok(Math.abs(st('sub/file').mtimeMs - lstatSync(join(from, 'sub/file')).mtimeMs) < 0.01, 'mtime kept (to the microsecond)');
  assert.equal(lgetxattr(join(to, 'sub/file'), 'user.kept')?.toString(), 'yes');
});

test('the volume store: created once and atomically, listed by name, removed; run flags planned in mount order', async (t) => {
  const saved = process.env.XDG_DATA_HOME;
  process.env.XDG_DATA_HOME = tempDir(t);
  t.after(() => {
    if (saved === undefined) delete process.env.XDG_DATA_HOME;
    else process.env.XDG_DATA_HOME = saved;
  });
  const { createVolume, listVolumes, planMounts, readVolume, removeVolume, volumeSource } = await import('../../dist/runtime/volumes.js');
  assert.equal(createVolume('web-data', { app: 'web' }), true);
  assert.equal(createVolume('web-data'), false, 'a second create finds it');
  const volume = readVolume('web-data');
  assert.deepEqual([volume.name, volume.labels, volume.mountpoint], ['web-data', { app: 'web' }, volumeSource('web-data')]);
  assert.match(volume.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.ok(statSync(volume.mountpoint).isDirectory());
  createVolume('another');
  assert.deepEqual(listVolumes().map((v) => v.name), ['another', 'web-data']);
  assert.throws(() => readVolume('../x'), /^Error: no such volume: \.\.\/x$/);
  await removeVolume('another');
  assert.deepEqual(listVolumes().map((v) => v.name), ['web-data']);
  assert.deepEqual(readdirSync(join(process.env.XDG_DATA_HOME, 'cellblock/volumes')), ['web-data'], 'no temporary left behind');

  const mounts = planMounts({ volume: ['/anon/sub', 'web-data:/anon:ro'], mount: [], tmpfs: ['/run:size=1m'] });
  assert.deepEqual(mounts.map((m) => [m.type, m.target]), [['volume', '/anon'], ['tmpfs', '/run'], ['volume', '/anon/sub']]);
  assert.equal(mounts[0].source, volumeSource('web-data'));
  assert.match(mounts[2].name, /^[0-9a-f]{64}$/);
  assert.equal(mounts[2].anonymous, true);
  assert.ok(!existsSync(volumeSource(mounts[2].name)), 'planning creates nothing');
});
