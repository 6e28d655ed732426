// Creating mount points inside a root filesystem we do not trust.
//
// A root filesystem is data from somebody else. If its /proc were a symlink to
// /etc, "mount proc on $ROOT/proc" would follow the link and mount over the
// host's /etc in our namespace — and through a bind it could reach real host
// files. So every component under the root is checked with lstat, never
// followed, and the mount point is created when it is missing (as runc does).
import { lstatSync, mkdirSync, writeFileSync } from 'node:fs';
import { InitError } from './errors.js';

export type MountpointKind = 'dir' | 'file';

/** Return ROOT/INSIDE, created as KIND, after checking no component is a symlink. */
export function prepareMountpoint(root: string, inside: string, kind: MountpointKind): string {
  const parts = inside.split('/').filter(Boolean);
  let path = root;
  parts.forEach((part, index) => {
    path = `${path}/${part}`;
    const last = index === parts.length - 1;
    const stat = lstatSync(path, { throwIfNoEntry: false });
    if (!stat) {
      if (last && kind === 'file') writeFileSync(path, '', { mode: 0o644 });
      else mkdirSync(path, { mode: 0o755 });
      return;
    }
    if (stat.isSymbolicLink()) {
      throw new InitError(`rootfs: /${parts.slice(0, index + 1).join('/')} is a symlink; refusing to mount through it`);
    }
    if (!last && !stat.isDirectory()) {
      throw new InitError(`rootfs: /${parts.slice(0, index + 1).join('/')} is not a directory`);
    }
  });
  return path;
}
