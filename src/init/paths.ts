// Creating mount points inside a root filesystem we do not trust.
//
// A root filesystem is data from somebody else. If its /proc were a symlink to
// /etc, "mount proc on $ROOT/proc" would follow the link and mount over the
// host's /etc in our namespace — and through a bind it could reach real host
// files. So every component under the root is checked with lstat, never
// followed, and the mount point is created when it is missing (as runc does).
import { closeSync, constants, lstatSync, mkdirSync, readlinkSync, writeFileSync } from 'node:fs';
import {
  AT_FDCWD, O_CLOEXEC, O_PATH, RESOLVE_BENEATH, RESOLVE_NO_SYMLINKS, SyscallError, mkdirat, openat2,
} from '../syscalls/index.js';
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

// A volume's target is different: the path is the user's, and images have
// symlinks on the way that people expect to be followed (/var/run -> /run
// in Debian). So it follows symlinks, but as if the root filesystem were
// "/": an absolute link starts again at ROOT, and ".." never climbs above
// it — what runc's securejoin does. A link to "/../../../../tmp/x" means
// ROOT/tmp/x, never the host's /tmp/x.

/**
 * PATH with every symlink replaced by where it points, resolved as if the
 * container's root were "/" (".." at the root stays there, as the kernel
 * does for "/.."). READLINK(P) gives the target of the symlink at inside
 * path P, or undefined when P is not one or does not exist. Pure: the
 * caller decides where links are read from.
 */
export function secureJoin(path: string, readlink: (inside: string) => string | undefined): string {
  const resolved: string[] = [];
  let pending = path.split('/');
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const target = readlink(`/${[...resolved, part].join('/')}`);
    if (target === undefined) {
      resolved.push(part);
      continue;
    }
    // 40 is the kernel's own limit (MAXSYMLINKS) before it says ELOOP.
    if (++links > 40) throw new InitError(`${path}: too many levels of symbolic links`);
    if (target.startsWith('/')) resolved.length = 0;
    pending = [...target.split('/'), ...pending];
  }
  return `/${resolved.join('/')}`;
}

/** Read symlinks under ROOT, for secureJoin. */
function readlinkUnder(root: string): (inside: string) => string | undefined {
  return (inside) => {
    try {
      return lstatSync(root + inside).isSymbolicLink() ? readlinkSync(root + inside) : undefined;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw error;
    }
  };
}

/** Each step of the walk: one name, below the directory we hold, and no symlink. */
const STEP = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS;

/**
 * (Not the syscalls' openInRoot, which the kernel resolves in one call with
 * RESOLVE_IN_ROOT: a mount point may have to be created on the way.)
 *
 * An O_PATH fd for INSIDE, a path in the container whose root is ROOT,
 * following symlinks without ever leaving ROOT; PATH is where it led. A
 * missing path is created when CREATE says as what (directories on the
 * way), else the answer is undefined. The caller closes the fd.
 *
 * secureJoin's answer came from lstat and readlink, and something may have
 * changed since (another container writing to a volume both share). So the
 * walk is done again by the kernel, one component at a time from the root's
 * fd with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS): a symlink found
 * now is an error (ELOOP), never followed. The fd is then the place itself,
 * and `/proc/self/fd/N` names it for mount(2) without any path that could
 * be changed in between (runc mounts the same way).
 */
export function openBeneath(root: string, inside: string, create?: MountpointKind): { fd: number; path: string } | undefined {
  const path = secureJoin(inside, readlinkUnder(root));
  const parts = path.split('/').filter(Boolean);
  let fd = openat2(AT_FDCWD, root, O_PATH | constants.O_DIRECTORY | O_CLOEXEC, 0);
  try {
    for (const [index, part] of parts.entries()) {
      const here = `/${parts.slice(0, index + 1).join('/')}`;
      let next: number;
      try {
        next = openat2(fd, part, O_PATH | O_CLOEXEC, STEP, 0, here);
      } catch (error) {
        if (!(error instanceof SyscallError && error.code === 'ENOENT')) throw error;
        if (!create) return undefined;
        if (index === parts.length - 1 && create === 'file') {
          closeSync(openat2(fd, part, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY | O_CLOEXEC, STEP, 0o644, here));
        } else {
          mkdirat(fd, part, 0o755, here);
        }
        next = openat2(fd, part, O_PATH | O_CLOEXEC, STEP, 0, here);
      }
      closeSync(fd);
      fd = next;
    }
    const result = { fd, path };
    fd = -1; // the caller's now
    return result;
  } finally {
    if (fd !== -1) closeSync(fd);
  }
}
