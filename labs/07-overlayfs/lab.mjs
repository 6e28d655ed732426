// Lab 7 — overlayfs: an image's layer stays as it is; each container writes
// into an upper directory of its own (copy-up, whiteouts, opaque directories).
// Chapter: chapters/07-overlayfs.md
// Code:    src/overlay/mount.ts (the mount), src/image/unpack/layer-writer.ts
//          (whiteouts and opaque directories in image layers), src/cli/run.ts
//          (a writable layer per container, removed with --rm)
//
// The image is made offline from the lab's busybox root filesystem with
// `cellblock import` (no registry needed): one layer, plus a few files under
// /data for the container to change.
//
// Run: node labs/07-overlayfs/lab.mjs
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { check, lab, note, onCleanup, section, show } from '../lib.mjs';
import { PROJECT } from '../../scripts/lib/as-user.mjs';

// getfattr, without needing the attr package: cellblock's own wrapper of lgetxattr(2).
const { lgetxattr } = await import(pathToFileURL(join(PROJECT, 'dist/syscalls/index.js')).href);

const IMAGE = 'localhost/lab7:latest';
const NAME = 'lab7-overlay';
const APPENDED = 'appended by the container\n';
// ~650 KB of text, so that a "full copy" is something you can see in a size.
const BIG = Array.from({ length: 20_000 }, (_, i) => `line ${String(i + 1).padStart(5, '0')} of /data/big, from the image layer\n`).join('');

/**
 * One sha256 over everything in the tree at ROOT: names, types, modes,
 * owners, sizes, times, inode numbers, contents and link targets. Equal
 * before and after means nothing in the tree changed. (atime is left out:
 * reading a file may update it.)
 */
function treeDigest(root) {
  const hash = createHash('sha256');
  let entries = 0;
  const walk = (rel) => {
    const path = rel ? join(root, rel) : root;
    const st = lstatSync(path);
    entries++;
    hash.update(`${rel}\0${st.mode}\0${st.uid}\0${st.gid}\0${st.size}\0${st.mtimeMs}\0${st.ctimeMs}\0${st.ino}\0${st.rdev}\n`);
    if (st.isDirectory()) for (const name of readdirSync(path).sort()) walk(rel ? `${rel}/${name}` : name);
    else if (st.isFile()) hash.update(readFileSync(path));
    else if (st.isSymbolicLink()) hash.update(readlinkSync(path));
  };
  walk('');
  return { digest: hash.digest('hex'), entries };
}

/** Every path under ROOT, relative, sorted ("data", "data/big", …). */
function listTree(root, rel = '') {
  return readdirSync(join(root, rel)).sort().flatMap((name) => {
    const path = rel ? `${rel}/${name}` : name;
    return lstatSync(join(root, path)).isDirectory() ? [path, ...listTree(root, path)] : [path];
  });
}

/** "key=value" lines of a container's output as an object. */
const fields = (text) => Object.fromEntries(text.trim().split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));

const kind = (st) => (st === undefined ? 'absent' : st.isCharacterDevice() ? `char ${st.rdev >> 8}:${st.rdev & 0xff}` : st.isDirectory() ? 'directory' : st.isFile() ? `file, ${st.size} bytes` : 'other');
const lstatOrUndefined = (path) => lstatSync(path, { throwIfNoEntry: false });

await lab('Lab 7 · overlayfs', async ({ runner, rootfs, cellblock }) => {
  const store = join(runner.dataDir, 'cellblock');
  const containersDir = join(store, 'containers');

  section('an image, made offline from a directory');
  mkdirSync(join(rootfs, 'data/dir'), { recursive: true });
  writeFileSync(join(rootfs, 'data/big'), BIG);
  writeFileSync(join(rootfs, 'data/notes.txt'), 'delete me\n');
  writeFileSync(join(rootfs, 'data/dir/old'), 'old\n');
  runner.chownTree(rootfs);
  const imported = await cellblock(['import', '--change', 'CMD ["sh"]', rootfs, IMAGE]);
  note(`$ cellblock import --change 'CMD ["sh"]' ROOTFS ${IMAGE} → ${imported.stdout.trim() || imported.stderr.trim()}`);
  if (!check(imported.code === 0, 'cellblock import made a one-layer image', imported.stderr.trim())) return;
  onCleanup(() => cellblock(['rmi', IMAGE]));
  const [inspected] = JSON.parse((await cellblock(['image', 'inspect', IMAGE])).stdout);
  const diffId = inspected.RootFS.Layers[0];
  const layer = ['subids', 'single'].map((mode) => join(store, 'layers', mode, diffId.slice(7))).find(existsSync);
  if (!check(layer !== undefined, 'its layer is unpacked in the store, named by its diff_id', `no layers/*/${diffId.slice(7)} under ${store}`)) return;
  note(`layer: ${layer}`);
  const before = treeDigest(layer);

  section('a container changes a file, deletes one, replaces a directory');
  const script = [
    'echo "ino_before=$(stat -c %i /data/big)"',
    `printf '${APPENDED.replace('\n', '\\n')}' >> /data/big`,
    'echo "ino_after=$(stat -c %i /data/big)"',
    'echo "size=$(stat -c %s /data/big)"',
    'echo "last=$(tail -n 1 /data/big)"',
    'rm /data/notes.txt',
    'echo "notes=$(test -e /data/notes.txt && echo present || echo absent)"',
    'rm -r /data/dir && mkdir /data/dir && echo new > /data/dir/new',
    'echo "dir=$(ls /data/dir)"',
    // The root mount, as the container's own mount table has it (field 5 is the mount point).
    'echo "root=$(awk \'$5 == "/"\' /proc/self/mountinfo)"',
  ].join('; ');
  const ran = await cellblock(['run', '--name', NAME, IMAGE, 'sh', '-c', script]);
  onCleanup(() => cellblock(['rm', '-f', NAME]));
  const inside = fields(ran.stdout);
  if (!check(ran.code === 0, 'the container ran to the end', `exit ${ran.code}: ${ran.stderr.trim()}`)) return;
  const record = readdirSync(join(runner.runtimeDir, 'cellblock', 'containers'))
    .map((file) => JSON.parse(readFileSync(join(runner.runtimeDir, 'cellblock', 'containers', file), 'utf8')))
    .find((r) => r.name === NAME);
  const upper = join(record.storage, 'upper');
  note(`upper: ${upper}`);

  section('the mount: relative lowerdir names, userxattr');
  const options = inside.root?.split(' - ')[1]?.split(' ') ?? [];
  const [fstype, , superOptions = ''] = options;
  const lowerdir = /(?:^|,)lowerdir=([^,]*)/.exec(superOptions)?.[1] ?? '';
  const short = (hex) => `${hex.slice(0, 12)}…`;
  const upperdir = /(?:^|,)upperdir=([^,]*)/.exec(superOptions)?.[1] ?? '';
  show([['filesystem type of /', '', fstype],
    ['the layer', `…/layers/${layer.split('/').at(-2)}/${short(diffId.slice(7))}`, ''],
    ['lowerdir=', '', `${short(lowerdir)} (${lowerdir.length} characters, ${lowerdir.includes('/') ? 'a path' : 'no "/"'})`],
    ['upperdir=', '', `…/containers/${short(upperdir.split('/').at(-2) ?? '')}/upper`],
    ['userxattr', '', superOptions.split(',').includes('userxattr') ? 'yes' : 'no']]);
  check(fstype === 'overlay', 'the container\'s / is an overlay mount', inside.root);
  check(lowerdir === diffId.slice(7), 'lowerdir names the layer relative to the layers directory (no "/")', `lowerdir=${lowerdir}`);
  check(superOptions.split(',').includes('userxattr'), 'it is mounted with userxattr (rootless: user.overlay.* attributes)', superOptions);

  section('copy-up: the first write copies the whole file into the upper directory');
  const layerBig = lstatSync(join(layer, 'data/big'));
  const upperBig = lstatOrUndefined(join(upper, 'data/big'));
  const upperBytes = upperBig?.isFile() ? readFileSync(join(upper, 'data/big'), 'utf8') : '';
  show([['/data/big in the layer', `${kind(layerBig)}, inode ${layerBig.ino}`, ''],
    ['/data/big in the upper dir', `${kind(upperBig)}, inode ${upperBig?.ino}`, ''],
    ['/data/big', '', `${inside.size} bytes, inode ${inside.ino_before} → ${inside.ino_after}`],
    ['its last line', upperBytes.trim().split('\n').at(-1) ?? '', inside.last]]);
  check(upperBig?.isFile() && upperBytes === BIG + APPENDED, 'the upper directory holds a full copy of /data/big with the new line, not a diff',
    `upper/data/big: ${kind(upperBig)}, expected ${BIG.length + APPENDED.length} bytes`);
  check(Number(inside.size) === BIG.length + APPENDED.length && inside.last === APPENDED.trim(), 'the container sees the modified file', JSON.stringify(inside));
  check(upperBig !== undefined && upperBig.ino !== layerBig.ino, 'on the host the copy is another file (another inode) than the layer\'s', `${upperBig?.ino} vs ${layerBig.ino}`);
  check(Number(inside.ino_before) === layerBig.ino && inside.ino_after === inside.ino_before,
    'in the container the inode number stays the layer file\'s, before and after the copy-up (while the mount lasts)', JSON.stringify(inside));

  section('whiteout: a deleted file is a character device 0/0 in the upper directory');
  const whiteout = lstatOrUndefined(join(upper, 'data/notes.txt'));
  const layerNotes = lstatOrUndefined(join(layer, 'data/notes.txt'));
  show([['/data/notes.txt in the layer', kind(layerNotes), ''], ['/data/notes.txt in the upper dir', kind(whiteout), ''],
    ['/data/notes.txt', '', inside.notes]]);
  check(inside.notes === 'absent', 'the container no longer sees /data/notes.txt', inside.notes);
  check(whiteout?.isCharacterDevice() && whiteout.rdev === 0, 'the upper directory has a whiteout for it: a character device 0:0', kind(whiteout));
  check(layerNotes?.isFile(), 'the layer still has the file', kind(layerNotes));

  section('opaque directory: a directory deleted and made again hides the layer\'s contents');
  const opaque = lgetxattr(join(upper, 'data/dir'), 'user.overlay.opaque')?.toString();
  show([['/data/dir in the layer', readdirSync(join(layer, 'data/dir')).join(' '), ''],
    ['/data/dir in the upper dir', readdirSync(join(upper, 'data/dir')).join(' '), ''],
    ['user.overlay.opaque of it', opaque ?? '(none)', ''],
    ['ls /data/dir', '', inside.dir]]);
  check(inside.dir === 'new', 'the container sees only the new directory\'s file', inside.dir);
  check(opaque === 'y', 'the upper directory is marked user.overlay.opaque=y', `got ${opaque}`);

  section('the layer itself did not change');
  const after = treeDigest(layer);
  const changed = listTree(upper);
  show([['the layer, before', `${before.entries} entries, sha256 ${before.digest.slice(0, 16)}…`],
    ['the layer, after the container', `${after.entries} entries, sha256 ${after.digest.slice(0, 16)}…`]], ['', 'host', '']);
  note(`everything in the upper directory: ${changed.join(' ')}`);
  check(after.digest === before.digest, 'the layer directory is byte for byte, inode for inode, what it was', 'a container wrote into its image\'s layer');
  check(['data/big', 'data/notes.txt', 'data/dir/new'].every((p) => changed.includes(p)) && !changed.includes('data/dir/old'),
    'the upper directory holds what changed, and nothing of what did not', changed.join(' '));

  section('another container starts from the image, and --rm takes its upper directory with it');
  const others = () => readdirSync(containersDir).filter((id) => id !== record.id);
  const second = await cellblock(['run', '--rm', IMAGE, 'sh', '-c', 'cat /data/notes.txt; stat -c %s /data/big; ls /data/dir']);
  show([['notes.txt; size of big; ls dir', '', second.stdout.trim()],
    ['containers/ after it exited', others().length ? others().join(' ') : 'only the first container\'s', '']], ['', 'host', 'a second container, --rm']);
  check(second.code === 0 && second.stdout === `delete me\n${BIG.length}\nold\n`, 'a new container sees the image, not the first container\'s changes', second.stdout + second.stderr);
  check(others().length === 0, '--rm removed the container\'s upper and work directories', others().join(' '));
  const removed = await cellblock(['rm', NAME]);
  check(removed.code === 0 && !existsSync(record.storage), 'cellblock rm removes the first container\'s storage (upper, work, merged)', removed.stderr.trim());
});
