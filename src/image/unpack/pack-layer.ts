// commit, the unpacker's side: a container's overlay upper directory → a
// layer's tar on stdout (src/image/pack.ts walks it and turns overlayfs's
// whiteouts into OCI ones). It runs as root of the container's user
// namespace: the upper directory holds files of the container's uids, with
// modes like 0600 that you could not read from outside.
//
// It chroots into the directory first. The container may still be running
// and could replace a directory with a symlink to your home while we walk;
// inside the chroot, that symlink leads nowhere but back into the upper
// directory, whose own symlinks are packed as symlinks, never followed.
import type { Writable } from 'node:stream';
import { chdir, chroot } from '../../syscalls/index.js';
import { packInto } from '../pack.js';
import { Notices } from './notices.js';
import type { UnpackerJob } from './protocol.js';

/** Shell: cd UPPER && tar -c --xattrs --numeric-owner . (with whiteouts converted) > stdout */
export async function packLayerHere(job: Extract<UnpackerJob, { kind: 'pack' }>, output: Writable): Promise<string[]> {
  chroot(job.root);
  chdir('/');
  const notices = new Notices(job.label);
  await packInto(output, { overlay: true, notices }, (packer) => packer.addContents('/'));
  return notices.list();
}
