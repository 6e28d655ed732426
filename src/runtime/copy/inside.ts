// cp, the container's side: runs in the unpacker (src/image/unpack-main.ts),
// as root of the container's user namespace, so it can read a file of the
// container's uid 1000 with mode 0600 and create files owned by the
// container's root — neither of which you can do from outside.
//
// First it gets to the container's files, then chroot(2)s into them. From
// then on "/" is the container's root for every path it resolves: a symlink
// the container made, /etc/x -> /../../../home/you, leads to the container's
// /home/you, and ".." stops at its root. No path a container controls can
// make cp read or write a host file.
import { readlinkSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { packInto } from '../../image/pack.js';
import { Notices } from '../../image/unpack/notices.js';
import type { ContainerRoot, UnpackerJob } from '../../image/unpack/protocol.js';
import { extractHere } from '../../image/unpack/untar.js';
import { mountOverlay } from '../../overlay/mount.js';
import { chdir, chroot } from '../../syscalls/index.js';
import { copyDestination, copySource, planExtract } from './paths.js';

type CopyOut = Extract<UnpackerJob, { kind: 'copy-out' }>;
type CopyIn = Extract<UnpackerJob, { kind: 'copy-in' }>;

/**
 * Shell: tar -c -C CONTAINER_ROOT PATH > stdout, its top entry named so
 * that, extracted where the parent will, it lands at JOB.dest.
 */
export async function copyOutHere(job: CopyOut, output: Writable): Promise<string[]> {
  enterRoot(job.root);
  const source = copySource(job.path, job.follow);
  const name = job.dest ? planExtract(source, job.dest).rename?.(source.base) ?? source.base : source.base;
  const notices = new Notices(`cp ${job.label}`);
  await packInto(output, { notices }, (packer) => packer.add(job.path, name, job.follow));
  return notices.list();
}

/** Shell: tar -x -C CONTAINER_ROOT/DEST < stdin, renamed by docker's rules. */
export async function copyInHere(job: CopyIn, input: Readable): Promise<string[]> {
  enterRoot(job.root);
  const plan = planExtract(job.source, copyDestination(job.path));
  // Modes come from the tar, not from a umask.
  process.umask(0);
  const notices = new Notices(`cp ${job.label}`);
  await extractHere(input, plan.dir, {
    rename: plan.rename,
    mode: job.mode,
    policy: { owner: job.owner ?? 'tar', whiteouts: false, keepTypes: true, rootEntry: false },
    notices,
  });
  return notices.list();
}

function userNamespaceOf(pid: string): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/user`);
  } catch {
    return undefined; // gone
  }
}

/** Shell: cd ROOT && chroot . — after mounting it, for a stopped container. */
function enterRoot(root: ContainerRoot): void {
  let path: string;
  if (root.kind === 'process') {
    // nsenter joined the user namespace of that pid when it started us. If
    // the container ended meanwhile and its pid went to another process, the
    // two differ: better to stop than to copy from a stranger's root.
    path = `/proc/${root.pid}/root`;
    if (userNamespaceOf(String(root.pid)) !== userNamespaceOf('self')) throw new Error('the container stopped while cp started');
  } else if (root.kind === 'overlay') {
    // The very step the container's init runs (chapter 7), in a mount
    // namespace of our own that ends with us.
    mountOverlay.run({ spec: root.spec, root: root.spec.rootfs, env: [] });
    path = root.spec.rootfs;
  } else {
    path = root.path;
  }
  chroot(path);
  chdir('/');
}
