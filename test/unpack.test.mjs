// The layer unpacker (src/image/unpack.ts): pure helpers first, then real
// unpacks as the unprivileged user, of tars built here with tar-stream —
// ownership with subordinate ids and with a single id, modes, times, links,
// whiteouts, xattrs, every hostile tar we know of (nothing may be written
// outside the target, checked on a sentinel directory around it), broken
// streams, and removeTree.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PROJECT, Runner, collect, waitForLine } from '../scripts/lib/as-user.mjs';
import { hasSubordinateIds } from './e2e/fixture.mjs';
import { tarOf } from './helpers/raw-image.mjs';
import { EntryError, entryComponents, whiteoutOf } from '../dist/image/unpack/entry-path.js';
import { metadataOf } from '../dist/image/unpack/metadata.js';
import { compressionOf } from '../dist/image/unpack/compression.js';
import { Notices } from '../dist/image/unpack/notices.js';
import { lgetxattr } from '../dist/syscalls/index.js';
import { unpackerArgs } from '../dist/image/unpack.js';

const GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
const ZSTD = 'application/vnd.oci.image.layer.v1.tar+zstd';
const PLAIN = 'application/vnd.oci.image.layer.v1.tar';
const T1 = new Date('2001-02-03T04:05:06Z');
const T2 = new Date('2012-12-12T12:12:12Z');
const sha256 = (bytes) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

// ── pure parts ────────────────────────────────────────────────────────────

test('entry names: "./" means the layer root; absolute names and any ".." are refused', () => {
  assert.deepEqual(entryComponents('./usr//bin/'), ['usr', 'bin']);
  assert.deepEqual(entryComponents('./'), []);
  for (const name of ['/etc/passwd', '/']) {
    assert.throws(() => entryComponents(name), (e) => e instanceof EntryError && e.message === `entry ${JSON.stringify(name)} is an absolute path (a layer entry must be relative to the layer)`);
  }
  for (const name of ['../x', 'a/../../x', 'a/..']) {
    assert.throws(() => entryComponents(name), (e) => e instanceof EntryError && e.message === `entry ${JSON.stringify(name)} escapes the layer directory`);
  }
  // A newline in a hostile name stays inside the JSON quotes: one line.
  assert.throws(() => entryComponents('../a\nb'), /^EntryError: entry "\.\.\/a\\nb" escapes/);
});

test('whiteouts: .wh.NAME deletes NAME, .wh..wh..opq makes the directory opaque', () => {
  assert.deepEqual(whiteoutOf('etc/.wh.passwd', '.wh.passwd'), { kind: 'delete', name: 'passwd' });
  assert.deepEqual(whiteoutOf('var/.wh..wh..opq', '.wh..wh..opq'), { kind: 'opaque' });
  assert.deepEqual(whiteoutOf('.wh..wh.plnk', '.wh..wh.plnk'), { kind: 'aufs-metadata' });
  assert.equal(whiteoutOf('etc/passwd', 'passwd'), undefined);
  assert.throws(() => whiteoutOf('.wh.', '.wh.'), /names nothing/);
  assert.throws(() => whiteoutOf('a/.wh..', '.wh..'), /names nothing/);
});

test('metadata: PAX ids, times and SCHILY.xattr records override the ustar fields', () => {
  const header = { name: 'f', mode: 0o104755, uid: 1, gid: 2, mtime: T1, pax: { uid: '3000000', mtime: '1700000000.5', 'SCHILY.xattr.user.a': 'b', comment: 'x' } };
  assert.deepEqual(metadataOf(header), { uid: 3000000, gid: 2, mode: 0o4755, mtime: 1700000000.5, atime: 1700000000.5, xattrs: [['user.a', 'b']] });
  assert.throws(() => metadataOf({ ...header, pax: { uid: '-1' } }), /entry "f" has an invalid uid/);
});

test('media types: gzip, zstd and plain tar; anything else is named in the error', () => {
  assert.equal(compressionOf(GZIP), 'gzip');
  assert.equal(compressionOf('application/vnd.docker.image.rootfs.diff.tar.gzip'), 'gzip');
  assert.equal(compressionOf(ZSTD), 'zstd');
  assert.equal(compressionOf(PLAIN), 'none');
  assert.throws(() => compressionOf('application/x-rar'), /^Error: unsupported layer media type "application\/x-rar"$/);
});

test('the unpacker gets a user namespace only (ids are all it needs), and dies with its parent', () => {
  assert.deepEqual(unpackerArgs().slice(0, -1), ['--pdeathsig', 'KILL', '--', 'unshare', '--user', '--keep-caps', '--', process.execPath]);
  assert.ok(unpackerArgs().at(-1).endsWith('/image/unpack-main.js'));
});

test('notices: each kind once, with a count and the first few entries', () => {
  const notices = new Notices('layer L');
  for (const entry of ['a', 'b', 'c', 'd']) notices.add('devices skipped', entry);
  notices.add('xattr x not set (EPERM)', 'e');
  notices.once('has files owned by other ids');
  notices.once('has files owned by other ids');
  assert.deepEqual(notices.list(), [
    'layer L has files owned by other ids',
    'layer L: devices skipped (4 entries: a, b, c, …)',
    'layer L: xattr x not set (EPERM) (e)',
  ]);
});

// ── real unpacks, as the unprivileged user ────────────────────────────────

/**
 * Every path under DIR with what identifies it: a file written, linked or
 * added anywhere shows. (Not directories' mtimes: creating and removing the
 * target changes its parent's, as it should.)
 */
function snapshot(dir) {
  const out = [];
  const walk = (path, rel) => {
    for (const name of readdirSync(path).sort()) {
      const stat = lstatSync(join(path, name));
      const mtime = stat.isDirectory() ? '' : ` ${stat.mtimeMs}`;
      out.push(`${rel}${name} ${stat.mode.toString(8)} ${stat.uid} ${stat.size} ${stat.nlink}${mtime}`);
      if (stat.isDirectory()) walk(join(path, name), `${rel}${name}/`);
    }
  };
  walk(dir, '');
  return out;
}

/** Change the type flag of entry NAME in TAR_BYTES (ustar: flag at byte 156, checksum at 148). */
function retype(tarBytes, name, flag) {
  const bytes = Buffer.from(tarBytes);
  for (let offset = 0; offset + 512 <= bytes.length;) {
    const header = bytes.subarray(offset, offset + 512);
    const field = (start, length) => header.toString('latin1', start, start + length).replace(/\0.*$/s, '');
    if (field(0, 100) === name) {
      header[156] = flag.charCodeAt(0);
      header.fill(0x20, 148, 156); // the checksum counts its own field as spaces
      const sum = header.reduce((total, byte) => total + byte, 0);
      header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
      return bytes;
    }
    offset += 512 + Math.ceil((parseInt(field(124, 12).trim() || '0', 8)) / 512) * 512;
  }
  throw new Error(`no entry ${name} in the tar`);
}

let runner;
let dist;
let helper;
let workRoot; // every stage() is made below it, and it is removed with removeTree at the end
let subids; // the unprivileged user's first subordinate uid and gid, when it has ranges

before(() => {
  runner = new Runner();
  dist = join(runner.cli, '../..');
  // The helper must be readable by that user, wherever the checkout is.
  const dir = runner.tempDir('cellblock-unpack-helper-');
  helper = join(dir, 'unpack-layer.mjs');
  copyFileSync(join(PROJECT, 'test/helpers/unpack-layer.mjs'), helper);
  workRoot = runner.tempDir('cellblock-unpack-');
  if (hasSubordinateIds(runner.user)) {
    const start = (file) => Number(readFileSync(file, 'utf8').split('\n').map((l) => l.split(':'))
      .find(([owner]) => owner === runner.user.name || owner === String(runner.user.uid))[1]);
    subids = { uid: start('/etc/subuid'), gid: start('/etc/subgid') };
  }
});
after(async () => {
  // Unpacked layers hold files of subordinate ids: when the tests do not run
  // as root, only removeTree can delete them (which is also a check of it).
  if (workRoot) await helperRun(['remove', workRoot, subids ? 'subids' : 'single']);
  runner?.cleanup();
});

/**
 * A fresh place for one unpack: BASE/layer.tar.gz (BYTES) and BASE/around/,
 * the sentinel directory that holds the target BASE/around/layer and a file
 * BASE/around/secret that hostile tars aim at.
 */
function stage(bytes, name = 'layer.tar.gz') {
  const base = mkdtempSync(join(workRoot, 'case-'));
  runner.chownTree(base);
  const layer = join(base, name);
  writeFileSync(layer, bytes, { mode: 0o644 });
  const around = join(base, 'around');
  mkdirSync(around);
  writeFileSync(join(around, 'secret'), 'secret\n');
  runner.chownTree(around);
  return { base, layer, target: join(around, 'layer') };
}

/** Run the helper as the unprivileged user: { ok, result } or { ok: false, message }. */
async function helperRun(args) {
  const run = await runner.exec(process.execPath, [helper, dist, ...args]);
  const lines = run.stdout.trim().split('\n');
  assert.equal(lines.length, 1, `one JSON line from the helper, got:\n${run.stdout}${run.stderr}`);
  return JSON.parse(lines[0]);
}

const unpack = (place, mediaType, mode, name = 'sha256:test') => helperRun(['unpack', place.layer, mediaType, place.target, mode, name]);

/** Assert a one-line failure matching PATTERN that left nothing behind and touched nothing around. */
function assertCleanFailure(result, pattern, place, before) {
  assert.equal(result.ok, false, `the unpack should fail, got ${JSON.stringify(result)}`);
  assert.doesNotMatch(result.message, /\n/);
  assert.match(result.message, pattern);
  assert.equal(existsSync(place.target), false, 'the partial layer was removed');
  assert.deepEqual(snapshot(place.base), before, 'nothing changed around the target');
}

describe('a well-formed layer', () => {
  const entries = [
    { name: './', type: 'directory', mode: 0o755, mtime: T1 },
    { name: 'etc/', type: 'directory', mode: 0o755, mtime: T1 },
    { name: 'etc/hello', content: 'hello\n', mode: 0o644, uid: 1000, gid: 1000, mtime: T2 },
    { name: 'etc/hello-again', type: 'link', linkname: 'etc/hello' },
    { name: 'usr/bin/su', content: '#!/bin/sh\n', mode: 0o4755, mtime: T1 },
    { name: 'usr/bin/owned', content: 'x', mode: 0o6755, uid: 1000, gid: 50, mtime: T1 },
    { name: 'tmp/', type: 'directory', mode: 0o1777, mtime: T1 },
    { name: 'srv/shared/', type: 'directory', mode: 0o2775, uid: 33, gid: 33, mtime: T1 },
    { name: 'home/alice/', type: 'directory', mode: 0o700, uid: 1000, gid: 1000, mtime: T2 },
    { name: 'home/alice/notes', content: 'n', mode: 0o600, uid: 1000, gid: 1000, mtime: T2 },
    { name: 'bin', type: 'symlink', linkname: 'usr/bin', uid: 1000, gid: 1000, mtime: T1 },
    { name: 'run/fifo', type: 'fifo', mode: 0o620, mtime: T1 },
    { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
    { name: 'etc/.wh.gone', content: '' },
    { name: 'var/lib/.wh..wh..opq', content: '' },
    { name: `deep/${'d'.repeat(120)}/long-name-${'n'.repeat(100)}`, content: 'long' },
    { name: 'xattrs/file', content: 'x', pax: { 'SCHILY.xattr.user.test': 'hi', 'SCHILY.xattr.trusted.secret': 'no', 'SCHILY.xattr.user.overlay.opaque': 'y' } },
    // cap_net_raw=ep as a v2 capability (struct vfs_cap_data, little-endian).
    { name: 'usr/bin/ping', content: 'p', mode: 0o755, pax: { 'SCHILY.xattr.security.capability': '\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00' } },
  ];
  let tarBytes;
  const results = {};
  before(async () => {
    tarBytes = await tarOf(entries);
    for (const mode of subids ? ['subids', 'single'] : ['single']) {
      const place = stage(gzipSync(tarBytes));
      results[mode] = { place, result: await unpack(place, GZIP, mode) };
    }
  });

  test('the diff_id is the sha256 of the uncompressed tar, and size its length', () => {
    for (const { result } of Object.values(results)) {
      assert.equal(result.ok, true, result.message);
      assert.equal(result.result.diffId, sha256(tarBytes));
      assert.equal(result.result.size, tarBytes.length);
    }
  });

  test('subids: each file keeps its owner, as subuid start + tar uid - 1', (t) => {
    if (!subids) return t.skip(`SKIP: ${runner.user.name} has no /etc/subuid range`);
    const { place } = results.subids;
    const owner = (rel) => { const s = lstatSync(join(place.target, rel)); return [s.uid, s.gid]; };
    const me = [runner.user.uid, runner.user.gid];
    assert.deepEqual(owner('etc/hello'), [subids.uid + 999, subids.gid + 999]);
    assert.deepEqual(owner('usr/bin/owned'), [subids.uid + 999, subids.gid + 49]);
    assert.deepEqual(owner('srv/shared'), [subids.uid + 32, subids.gid + 32]);
    assert.deepEqual(owner('bin'), [subids.uid + 999, subids.gid + 999], 'lchown: the symlink itself');
    assert.deepEqual(owner('usr/bin/su'), me, 'uid 0 is you');
    assert.deepEqual(owner('etc/.'), me);
    assert.ok(!results.subids.result.result.notices.some((n) => /owned by other ids/.test(n)));
  });

  test('single: every owner becomes you, said once for the layer', () => {
    const { place, result } = results.single;
    for (const rel of ['etc/hello', 'usr/bin/owned', 'srv/shared', 'home/alice/notes', 'bin']) {
      const stat = lstatSync(join(place.target, rel));
      assert.deepEqual([stat.uid, stat.gid], [runner.user.uid, runner.user.gid], rel);
    }
    const flattened = result.result.notices.filter((n) => /owned by other ids/.test(n));
    assert.deepEqual(flattened, ['layer sha256:test has files owned by other ids; kept as root, because only one id is mapped (--userns=single, or no /etc/subuid range)']);
  });

  test('modes, setuid/setgid/sticky included, survive the chown', () => {
    for (const { place } of Object.values(results)) {
      const mode = (rel) => lstatSync(join(place.target, rel)).mode & 0o7777;
      assert.equal(mode('usr/bin/su'), 0o4755);
      assert.equal(mode('usr/bin/owned'), 0o6755);
      assert.equal(mode('tmp'), 0o1777);
      assert.equal(mode('srv/shared'), 0o2775);
      assert.equal(mode('home/alice'), 0o700);
      assert.equal(mode('run/fifo'), 0o620);
      assert.equal(mode('.'), 0o755);
      assert.equal(mode('usr'), 0o755, 'a directory the tar only implies');
    }
  });

  test('mtimes: files, symlinks, and directories despite the entries added to them later', () => {
    for (const { place } of Object.values(results)) {
      const mtime = (rel) => lstatSync(join(place.target, rel)).mtimeMs;
      assert.equal(mtime('etc/hello'), T2.getTime());
      assert.equal(mtime('bin'), T1.getTime());
      assert.equal(mtime('etc'), T1.getTime(), 'etc got hello, hello-again and a whiteout after its entry');
      assert.equal(mtime('home/alice'), T2.getTime());
      assert.equal(mtime('.'), T1.getTime());
    }
  });

  test('hard links share an inode; symlinks keep their text; fifos are fifos', () => {
    for (const { place } of Object.values(results)) {
      const a = lstatSync(join(place.target, 'etc/hello'));
      const b = lstatSync(join(place.target, 'etc/hello-again'));
      assert.equal(a.ino, b.ino);
      assert.equal(a.nlink, 2);
      assert.equal(readlinkSync(join(place.target, 'bin')), 'usr/bin');
      assert.ok(lstatSync(join(place.target, 'run/fifo')).isFIFO());
      assert.equal(readFileSync(join(place.target, `deep/${'d'.repeat(120)}/long-name-${'n'.repeat(100)}`), 'utf8'), 'long');
    }
  });

  test('whiteouts become a 0/0 character device and user.overlay.opaque=y', () => {
    for (const { place } of Object.values(results)) {
      const whiteout = lstatSync(join(place.target, 'etc/gone'));
      assert.ok(whiteout.isCharacterDevice());
      assert.equal(whiteout.rdev, 0);
      assert.equal(existsSync(join(place.target, 'etc/.wh.gone')), false);
      assert.equal(lgetxattr(join(place.target, 'var/lib'), 'user.overlay.opaque')?.toString(), 'y');
      assert.equal(existsSync(join(place.target, 'var/lib/.wh..wh..opq')), false);
    }
  });

  test('xattrs: user.* set, trusted.* refused with a notice, overlay ones never taken from a tar', () => {
    for (const { place, result } of Object.values(results)) {
      const file = join(place.target, 'xattrs/file');
      assert.equal(lgetxattr(file, 'user.test')?.toString(), 'hi');
      assert.equal(lgetxattr(file, 'user.overlay.opaque'), undefined);
      assert.ok(result.result.notices.includes('layer sha256:test: xattr trusted.secret not set (EPERM) (xattrs/file)'), result.result.notices.join('\n'));
      assert.ok(result.result.notices.includes('layer sha256:test: xattr user.overlay.opaque ignored: overlayfs attributes come only from whiteouts (xattrs/file)'));
    }
  });

  test('security.capability becomes a capability of your user namespaces (v3, rootid = you)', () => {
    for (const { place } of Object.values(results)) {
      const value = lgetxattr(join(place.target, 'usr/bin/ping'), 'security.capability');
      assert.ok(value, 'the capability was set');
      assert.equal(value.readUInt32LE(0) >>> 24, 3, 'revision 3: namespaced');
      assert.equal(value.readUInt32LE(4) & (1 << 13), 1 << 13, 'cap_net_raw permitted');
      assert.equal(value.readUInt32LE(20), runner.user.uid, 'rootid');
    }
  });

  test('device nodes are skipped with one notice', () => {
    for (const { place, result } of Object.values(results)) {
      assert.equal(existsSync(join(place.target, 'dev/null')), false);
      assert.ok(result.result.notices.includes('layer sha256:test: device nodes skipped: a user namespace may not create devices (dev/null)'));
    }
  });
});

describe('hostile tars fail with one line and write nothing outside the target', () => {
  const cases = [
    ['"../x"', () => [{ name: '../x', content: 'escaped' }], /^layer sha256:test: entry "\.\.\/x" escapes the layer directory$/],
    ['"a/../../x"', () => [{ name: 'a/../../x', content: 'escaped' }], /entry "a\/\.\.\/\.\.\/x" escapes the layer directory$/],
    ['a name with a newline', () => [{ name: '../a\nb', content: 'escaped' }], /entry "\.\.\/a\\nb" escapes the layer directory$/],
    ['a symlink to / and a file through it', (place) => [
      { name: 'root', type: 'symlink', linkname: '/' },
      { name: `root${place.base}/escaped`, content: 'escaped' },
    ], /: entry "root\/.*\/escaped" goes through the symlink "root" \(refused: it could lead outside the layer\)$/],
    ['a symlink to ../.. and a file through it', () => [
      { name: 'up', type: 'symlink', linkname: '../..' },
      { name: 'up/escaped', content: 'escaped' },
    ], /: entry "up\/escaped" goes through the symlink "up"/],
    ['a directory replaced by a symlink, then a file through it', () => [
      { name: 'a/', type: 'directory' },
      { name: 'a/inside', content: 'fine' },
      { name: 'a', type: 'symlink', linkname: '..' },
      { name: 'a/secret', content: 'overwritten' },
    ], /: entry "a\/secret" goes through the symlink "a"/],
    ['an absolute path', () => [{ name: '/abs', content: 'abs' }], /: entry "\/abs" is an absolute path/],
    ['a hard link to /etc/passwd', () => [{ name: 'pw', type: 'link', linkname: '/etc/passwd' }],
      /: entry "pw" is a hard link to "\/etc\/passwd", which is an absolute path$/],
    ['a hard link to ../secret', () => [{ name: 's', type: 'link', linkname: '../secret' }],
      /: entry "s" is a hard link to "\.\.\/secret", which escapes the layer directory$/],
    ['a hard link to the absolute path of a file you own', (place) => [{ name: 's', type: 'link', linkname: join(place.base, 'around/secret') }],
      /: entry "s" is a hard link to ".*\/around\/secret", which is an absolute path$/],
    ['a hard link through a symlink', () => [
      { name: 'd', type: 'symlink', linkname: '..' },
      { name: 's', type: 'link', linkname: 'd/secret' },
    ], /: entry "s" goes through the symlink "d"/],
    ['a file below a file', () => [{ name: 'f', content: 'x' }, { name: 'f/g', content: 'y' }], /: entry "f\/g" goes through "f", which is not a directory$/],
    ['a symlink as the layer root', () => [{ name: './', type: 'symlink', linkname: '/' }], /: entry "\.\/" would replace the layer's root directory$/],
  ];
  for (const [label, build, pattern] of cases) {
    test(label, async () => {
      const placeholder = stage(Buffer.alloc(0));
      const bytes = gzipSync(await tarOf(build(placeholder)));
      writeFileSync(placeholder.layer, bytes);
      const passwd = statSync('/etc/passwd');
      const before = snapshot(placeholder.base);
      assertCleanFailure(await unpack(placeholder, GZIP, 'single'), pattern, placeholder, before);
      assert.equal(statSync('/etc/passwd').nlink, passwd.nlink);
      assert.equal(existsSync('/escaped'), false);
    });
  }

  test('a hard link to a symlink that points out links the symlink itself', async () => {
    const place = stage(Buffer.alloc(0));
    writeFileSync(place.layer, gzipSync(await tarOf([
      { name: 'out', type: 'symlink', linkname: '../secret' },
      { name: 'also-out', type: 'link', linkname: 'out' },
    ])));
    const result = await unpack(place, GZIP, 'single');
    assert.equal(result.ok, true, result.message);
    const link = lstatSync(join(place.target, 'also-out'));
    assert.ok(link.isSymbolicLink());
    assert.equal(link.nlink, 2);
    assert.equal(lstatSync(join(place.base, 'around/secret')).nlink, 1, 'the file it points to is untouched');
  });
});

test('entries whose data nobody wants (a device with data, an unknown type) are read past, not waited on', { timeout: 60_000 }, async () => {
  let bytes = await tarOf([
    { name: 'dev/evil', content: Buffer.alloc(300_000, 1) },
    { name: 'odd', content: Buffer.alloc(5000, 2) },
    { name: 'after', content: 'ok' },
  ]);
  bytes = retype(retype(bytes, 'dev/evil', '3'), 'odd', 'X');
  const place = stage(gzipSync(bytes));
  const result = await unpack(place, GZIP, 'single');
  assert.equal(result.ok, true, result.message);
  assert.equal(readFileSync(join(place.target, 'after'), 'utf8'), 'ok');
  assert.equal(existsSync(join(place.target, 'dev/evil')), false);
  assert.equal(existsSync(join(place.target, 'odd')), false);
  assert.deepEqual(result.result.notices, [
    'layer sha256:test: device nodes skipped: a user namespace may not create devices (dev/evil)',
    'layer sha256:test: entries of an unsupported type skipped (odd)',
  ]);
});

describe('broken streams leave no target', () => {
  let tarBytes;
  before(async () => {
    tarBytes = await tarOf([{ name: 'a/', type: 'directory' }, { name: 'a/big', content: Buffer.alloc(256 * 1024, 7) }, { name: 'a/small', content: 'x' }]);
  });

  test('a truncated gzip', async () => {
    const gz = gzipSync(tarBytes);
    const place = stage(gz.subarray(0, gz.length - 20));
    const before = snapshot(place.base);
    assertCleanFailure(await unpack(place, GZIP, 'single'), /^layer sha256:test: gzip: unexpected end of file$/, place, before);
  });

  test('corrupt bytes in the middle of a gzip', async () => {
    const gz = Buffer.from(gzipSync(tarBytes));
    gz.fill(0xff, 40, 80);
    const place = stage(gz);
    const before = snapshot(place.base);
    assertCleanFailure(await unpack(place, GZIP, 'single'), /^layer sha256:test: (gzip|tar): /, place, before);
  });

  test('a truncated plain tar, and bytes that are not a tar', async () => {
    for (const bytes of [tarBytes.subarray(0, 100_000), Buffer.alloc(4096, 'not a tar')]) {
      const place = stage(bytes, 'layer.tar');
      const before = snapshot(place.base);
      assertCleanFailure(await unpack(place, PLAIN, 'single'), /^layer sha256:test: (tar: (Unexpected end of data|Invalid tar header)|entry "a\/big" Unexpected end of data)/, place, before);
    }
  });

  test('the caller destroying the stream (a digest mismatch) rejects with its error', async () => {
    const place = stage(gzipSync(tarBytes));
    const before = snapshot(place.base);
    const result = await helperRun(['fail-after', '2000', place.layer, GZIP, place.target, 'single']);
    assertCleanFailure(result, /^digest mismatch \(from the test\)$/, place, before);
  });

  test('an unpacker killed half-way', async () => {
    const place = stage(gzipSync(tarBytes));
    const before = snapshot(place.base);
    const child = spawn(process.execPath, [helper, dist, 'stall', '2000', place.layer, GZIP, place.target, 'single'], runner.spawnOptions({ stdio: ['ignore', 'pipe', 'pipe'] }));
    const output = collect(child);
    await waitForLine(child.stdout, /^fed$/);
    const unpacker = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).find((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(`${dist}/image/unpack-main.js`) && statSync(`/proc/${pid}`).uid === runner.user.uid;
      } catch {
        return false;
      }
    });
    assert.ok(unpacker, 'found the unpacker');
    process.kill(Number(unpacker), 'SIGKILL');
    const run = await output;
    const lines = run.stdout.trim().split('\n');
    assertCleanFailure(JSON.parse(lines.at(-1)), /^layer: the unpacker ended before finishing: killed by SIGKILL$/, place, before);
  });

  test('an unsupported media type, or a target that exists, fails before anything is made', async () => {
    const place = stage(gzipSync(tarBytes));
    const before = snapshot(place.base);
    assertCleanFailure(await unpack(place, 'application/vnd.oci.image.layer.v1.tar+bzip2', 'single'),
      /^layer sha256:test: unsupported layer media type "application\/vnd\.oci\.image\.layer\.v1\.tar\+bzip2"$/, place, before);
    const result = await helperRun(['unpack', place.layer, GZIP, join(place.base, 'around'), 'single']);
    assert.equal(result.ok, false);
    assert.match(result.message, /^layer: cannot create .*\/around: EEXIST$/);
    assert.deepEqual(snapshot(place.base), before);
  });
});

describe('zstd layers', () => {
  /** A zstd frame of raw (stored) blocks: what `zstd` writes for data it cannot shrink. */
  function rawZstdFrame(data) {
    const parts = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38])]; // magic; no checksum; window 128 KiB
    for (let offset = 0; offset < data.length || offset === 0; offset += 65536) {
      const block = data.subarray(offset, offset + 65536);
      const last = offset + 65536 >= data.length ? 1 : 0;
      const header = (block.length << 3) | last; // type 0: raw
      parts.push(Buffer.from([header & 0xff, (header >> 8) & 0xff, (header >> 16) & 0xff]), block);
      if (last) break;
    }
    return Buffer.concat(parts);
  }

  test('a hand-made frame, and one from zstd(1) when it is installed', async (t) => {
    const tarBytes = await tarOf([{ name: 'z/', type: 'directory' }, { name: 'z/file', content: Buffer.alloc(200_000, 'z') }]);
    const frames = [rawZstdFrame(tarBytes)];
    try {
      frames.push(execFileSync('zstd', ['-q', '-c', '-19'], { input: tarBytes }));
    } catch {
      t.diagnostic('zstd(1) is not installed: only the hand-made frame is checked');
    }
    for (const frame of frames) {
      const place = stage(frame, 'layer.tar.zst');
      const result = await unpack(place, ZSTD, 'single');
      assert.equal(result.ok, true, result.message);
      assert.equal(result.result.diffId, sha256(tarBytes));
      assert.equal(readFileSync(join(place.target, 'z/file')).length, 200_000);
    }
    const place = stage(frames[0].subarray(0, 1000), 'layer.tar.zst');
    const before = snapshot(place.base);
    assertCleanFailure(await unpack(place, ZSTD, 'single'), /^layer sha256:test: (zstd|tar): /, place, before);
  });
});

describe('removeTree', () => {
  test('removes, as the unprivileged user, a tree of subordinate ids with 0500 and 0000 directories', async (t) => {
    const mode = subids ? 'subids' : 'single';
    if (!subids) t.diagnostic(`${runner.user.name} has no /etc/subuid range: checking with a single id`);
    const place = stage(gzipSync(await tarOf([
      { name: 'ro/', type: 'directory', mode: 0o500, uid: 1000, gid: 1000 },
      { name: 'ro/file', content: 'x', uid: 1000, gid: 1000 },
      // 0o10000: tar-stream's pack would replace a mode of 0 with its default; the bit is masked off.
      { name: 'closed/', type: 'directory', mode: 0o10000, uid: 2000, gid: 2000 },
      { name: 'closed/sub/', type: 'directory', mode: 0o10000, uid: 2000, gid: 2000 },
      { name: 'closed/sub/file', type: 'file', content: 'y', mode: 0o10000, uid: 2000, gid: 2000 },
    ])));
    const result = await unpack(place, GZIP, mode);
    assert.equal(result.ok, true, result.message);
    assert.equal(lstatSync(join(place.target, 'closed')).mode & 0o7777, 0);
    assert.equal(lstatSync(join(place.target, 'ro')).mode & 0o7777, 0o500);
    // From outside, the user cannot: that is why removeTree exists.
    const rm = await runner.exec('rm', ['-rf', place.target]);
    assert.notEqual(rm.code, 0);
    assert.ok(existsSync(place.target));
    const removed = await helperRun(['remove', place.target, mode]);
    assert.equal(removed.ok, true, removed.message);
    assert.equal(existsSync(place.target), false);
    assert.deepEqual(await helperRun(['remove', place.target, mode]), { ok: true, result: null }, 'a missing path is not an error');
  });
});
