// cp, the parent's side: reach the container's files, and move a tar
// between them and the host.
//
//   out   unpacker (in the container's user namespace, chrooted in its root)
//           packs PATH → its stdout → we extract it here, as you: the files
//           are yours, as docker cp makes them (or the tar goes to our stdout: `-`)
//   in    we pack the host's files, as you → the unpacker's stdin → it
//           extracts them in the container, owned by the container's root
//           (or, with -a, by the ids your files have there)
//
// Reaching the files depends on the container's state:
//   running   its pid 1's root, /proc/PID/root: the container's own view,
//             with everything it mounted since. Only a process in the
//             container's user namespace may use that root as the container
//             does (read a file of its uid 1000, write as its root), and
//             Node cannot join a namespace (setns refuses a multithreaded
//             caller: EINVAL), so nsenter(1) joins it and then starts the
//             unpacker — the same wall, and answer, as `exec`.
//   stopped   nothing is mounted any more: a new user namespace with the
//             container's id map, and a mount namespace in which the
//             unpacker mounts the container's overlay again, exactly as its
//             init did — and which vanishes with it.
import { Readable } from 'node:stream';
import { pack as tarPack } from 'tar-stream';
import { TreePacker } from '../../image/pack.js';
import { inNewUserNamespace, inUserNamespaceOf, runUnpacker, type UnpackerEntry, type UnpackerReport } from '../../image/unpack.js';
import { Notices } from '../../image/unpack/notices.js';
import type { ContainerRoot } from '../../image/unpack/protocol.js';
import { extractHere } from '../../image/unpack/untar.js';
import { insideId, planIdMap, type IdMapPlan } from '../../userns/idmap.js';
import { isAlive, type ContainerRecord } from '../records.js';
import { copyDestination, copySource, extractionDirectory } from './paths.js';

export interface CopyOptions {
  /** -a: files copied in keep your ids, as the container maps them (default: its root's). */
  archive?: boolean;
  /** -L: a symlink given as the source is followed. */
  followLink?: boolean;
}

/** cp CONTAINER:PATH HOST_PATH (HOST_PATH "-": a tar on stdout). */
export async function copyFromContainer(record: ContainerRecord, path: string, hostPath: string, options: CopyOptions): Promise<void> {
  // The host's side is checked first: a destination that cannot be written
  // costs no namespace.
  const dest = hostPath === '-' ? undefined : copyDestination(hostPath);
  const { root, entry } = reach(record);
  const job = { kind: 'copy-out', root, path, follow: options.followLink ?? false, dest, label: record.name } as const;
  if (!dest) return report(await runUnpacker(job, entry, 'cp', { output: 'inherit' }));
  const notices = new Notices('cp');
  report(await runUnpacker(job, entry, 'cp', {
    output: (tar) => extractHere(tar, extractionDirectory(dest), {
      mode: 'single', // (no chown at all: see owner)
      policy: { owner: 'writer', whiteouts: false, keepTypes: true, rootEntry: false },
      notices,
    }).catch((error: Error) => {
      throw new Error(`cp: ${hostPath}: ${error.message}`);
    }),
  }), notices);
}

/** cp HOST_PATH CONTAINER:PATH (HOST_PATH "-": a tar from stdin). */
export async function copyToContainer(hostPath: string, record: ContainerRecord, path: string, options: CopyOptions): Promise<void> {
  const source = hostPath === '-' ? undefined : copySource(hostPath, options.followLink ?? false);
  const { root, entry, idMap } = reach(record);
  const job = {
    kind: 'copy-in', root, path, source, mode: record.userns, label: record.name,
    // docker's default: what you copy in belongs to the container's root.
    owner: options.archive ? undefined : { uid: 0, gid: 0 },
  } as const;
  if (!source) return report(await runUnpacker(job, entry, 'cp', { input: 'inherit' }));
  const notices = new Notices('cp');
  const pack = tarPack();
  // Your files, with the ids they have in the container: yours is its root,
  // your subordinate ids its others; an id it does not map becomes its root too.
  const owner = (uid: number, gid: number) => ({ uid: insideId(idMap.uidMap, uid) ?? 0, gid: insideId(idMap.gidMap, gid) ?? 0 });
  const packing = new TreePacker(pack, { owner, notices }).add(hostPath, source.base, options.followLink)
    .then(() => pack.finalize(), (error: Error) => pack.destroy(new Error(`cp: ${hostPath}: ${error.message}`)));
  try {
    // A Node stream made of it: a tar-stream Pack is a streamx stream, which
    // runUnpacker's feeding (pipe, readableEnded) does not fully understand.
    const input = Readable.from(pack as unknown as AsyncIterable<Buffer>, { objectMode: false });
    report(await runUnpacker(job, entry, 'cp', { input }), notices);
  } finally {
    // The unpacker may have stopped reading (the destination was refused):
    // the packer then waits for room that never comes. Stop it.
    if (!pack.destroyed) pack.destroy();
    await packing;
  }
}

/** How to get to RECORD's files, by its state (see the top of this file). */
function reach(record: ContainerRecord): { root: ContainerRoot; entry: UnpackerEntry; idMap: IdMapPlan } {
  const idMap = planIdMap(record.userns);
  if (isAlive(record)) return { root: { kind: 'process', pid: record.pid! }, entry: inUserNamespaceOf(record.pid!), idMap };
  if (record.spec.overlay) {
    // --pid --fork --kill-child: should the mount need fuse-overlayfs, its
    // daemon ends with the unpacker, the pid namespace's first process.
    return { root: { kind: 'overlay', spec: record.spec }, entry: inNewUserNamespace(idMap, ['--mount', '--pid', '--fork', '--kill-child']), idMap };
  }
  return { root: { kind: 'directory', path: record.spec.rootfs }, entry: inNewUserNamespace(idMap), idMap };
}

/** Notices of both sides (device nodes skipped, say), one line each. */
function report(done: UnpackerReport, ours?: Notices): void {
  const notices = [...(done.type === 'copied' ? done.notices : []), ...(ours?.list() ?? [])];
  for (const notice of notices) process.stderr.write(`cellblock: ${notice}\n`);
}
