// Lab 3 — the mount namespace: a root filesystem and mounts of the container's own.
// Chapter: chapters/03-mount-namespace.md
// Code:    src/init/rootfs.ts (rprivate, bind, pivot_root, /sys, --read-only),
//          src/init/dev.ts (a small /dev of its own)
//
// Run: node labs/03-mount-namespace/lab.mjs
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { check, lab, section, show } from '../lib.mjs';

/** Mount points (field 5) of a /proc/PID/mountinfo text. */
const mountPoints = (mountinfo) => mountinfo.trim().split('\n').map((line) => line.split(' ')[4]);
const hostMountinfo = () => readFileSync('/proc/self/mountinfo', 'utf8');

const EXPECTED_DEV = ['fd', 'full', 'mqueue', 'null', 'ptmx', 'pts', 'random', 'shm', 'stderr', 'stdin', 'stdout', 'tty', 'urandom', 'zero'];

await lab('Lab 3 · the mount namespace', async ({ rootfs, sh, start, asUser }) => {
  section('a mount made inside stays inside');
  // The container mounts a tmpfs and waits; while it waits, we look from the host.
  // Mounting needs CAP_SYS_ADMIN, which the payload keeps only when asked (chapter 11).
  const source = `lab3-${randomBytes(4).toString('hex')}`; // a name no other mount has
  const container = start(['sh', '-c',
    `mkdir -p /mnt && mount -t tmpfs ${source} /mnt && echo secret > /mnt/file && echo "inside: $(grep -c ${source} /proc/self/mountinfo)" && read wait_for_the_lab`],
  { flags: ['--cap-add', 'SYS_ADMIN'] });
  const inside = await container.line(/^inside: /);
  const onHost = hostMountinfo().split('\n').filter((l) => l.includes(source)).length;
  const hostFile = existsSync(join(rootfs, 'mnt/file'));
  container.child.stdin.end('\n'); // let it finish
  const done = await container.wait();
  show([[`"${source}" in mountinfo`, `${onHost} lines`, `${inside.replace('inside: ', '')} line`],
    ['ROOTFS/mnt/file', hostFile ? 'present' : 'absent', 'secret']]);
  check(inside === 'inside: 1', 'the tmpfs is mounted in the container', container.stderr.trim());
  check(onHost === 0 && !hostFile, 'the host\'s mount table does not have it, nor the host its files',
    'src/init/rootfs.ts makes / rprivate first, so no mount propagates back to the host');
  check(done?.code === 0, 'the container exited cleanly', JSON.stringify(done));

  section('"/" is the root filesystem, and nothing of the host is left');
  const marker = randomBytes(8).toString('hex');
  writeFileSync(join(rootfs, 'marker'), `${marker}\n`, { mode: 0o644 });
  // Paths the host has for sure: this lab, the Node that runs cellblock, /etc/os-release.
  // (Not /etc/hostname: every container gets one of its own, chapter 10.)
  const hostOnly = [dirname(fileURLToPath(import.meta.url)), process.execPath, '/etc/os-release'].filter((p) => existsSync(p) && !p.startsWith(rootfs));
  const seen = await sh(`cat /marker; for p in ${hostOnly.join(' ')}; do test -e "$p" && echo "$p"; done; :`);
  const [markerInside, ...leaked] = seen.stdout.trim().split('\n');
  show([['/marker', `${marker} (in ROOTFS/marker)`, markerInside],
    ...hostOnly.map((p) => [p, 'present', leaked.includes(p) ? 'present' : 'absent'])]);
  check(markerInside === marker, 'a file written into the rootfs directory is at / inside', seen.stderr.trim());
  check(leaked.length === 0, 'host paths outside the rootfs do not exist inside',
    `visible: ${leaked.join(', ')} — pivot_root must be followed by unmounting the old root`);

  section('/dev is a small tmpfs, not the host\'s');
  const dev = await sh('ls -A /dev');
  const devInside = dev.stdout.split('\n').filter(Boolean);
  const bound = ['null', 'zero', 'full', 'random', 'urandom', 'tty'];
  show([['entries in /dev', readdirSync('/dev').length, devInside.length],
    ['devices bound from the host', '', devInside.filter((e) => bound.includes(e)).join(' ')],
    ['mounts and links of its own', '', devInside.filter((e) => !bound.includes(e)).join(' ')]]);
  check(devInside.join(' ') === EXPECTED_DEV.join(' '), `/dev holds exactly ${EXPECTED_DEV.join(' ')}`,
    `got ${devInside.join(' ')}`);

  section('/sys is read-only');
  const sys = await sh('touch /sys/x');
  const hostSys = await asUser('touch', ['/sys/x']);
  show([['`touch /sys/x`', hostSys.stderr.trim().split(': ').at(-1), sys.stderr.trim().split(': ').at(-1)]]);
  check(sys.code !== 0 && /Read-only/.test(sys.stderr), '/sys refuses writes with "Read-only file system"', `got ${sys.code}: ${sys.stderr.trim()}`);

  section('--read-only: "/" cannot be written, /dev/shm still can');
  const ro = await sh('touch /x 2>&1; touch /dev/shm/x && echo shm-ok', { flags: ['--read-only'] });
  const rw = await sh('touch /x && echo root-ok');
  const [roRoot, roShm] = ro.stdout.trim().split('\n');
  show([['`touch /x`', rw.stdout.trim(), roRoot.split(': ').at(-1)], ['`touch /dev/shm/x`', '', roShm]],
    ['', 'without --read-only', 'with --read-only']);
  check(rw.stdout.trim() === 'root-ok', 'without --read-only, / is writable', rw.stderr.trim());
  check(/Read-only/.test(roRoot), 'with --read-only, writing to / fails with "Read-only file system"', roRoot);
  check(roShm === 'shm-ok', 'with --read-only, /dev/shm stays writable', ro.stderr.trim());

  section('the mount table');
  const table = await sh('cat /proc/self/mountinfo');
  const points = mountPoints(table.stdout);
  // (and the three files chapter 10 binds over the image's: the container's network, described)
  const networkFiles = ['/etc/hosts', '/etc/hostname', '/etc/resolv.conf'];
  const stray = points.filter((p) => !networkFiles.includes(p) && !['/', '/proc', '/dev', '/sys'].some((top) => p === top || p.startsWith(`${top}/`)));
  const byTop = new Map();
  for (const p of points) byTop.set(`/${p.split('/')[1]}`, (byTop.get(`/${p.split('/')[1]}`) ?? 0) + 1);
  show([['mounts', mountPoints(hostMountinfo()).length, `${points.length}: ${[...byTop].map(([top, n]) => `${top} ${n}`).join(', ')}`]]);
  check(points.includes('/') && stray.length === 0, 'every mount inside is /, under /proc, /dev or /sys, or a network file in /etc',
    `unexpected: ${stray.join(' ')}`);
});
