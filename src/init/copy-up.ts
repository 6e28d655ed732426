// Chapter 9 — a new volume starts with what the image has at its path, as
// docker does ("copy-up"): `-v data:/var/lib/app` gets the image's
// /var/lib/app the first time, and keeps its own content from then on.
//
// The copy runs in the container's init, not in cellblock, for one reason:
// owners. The image's files belong to ids like 1000, which are host ids like
// 100999, and an unprivileged process may chown(2) nothing to anyone. Root
// of a user namespace may chown to every id the namespace maps — the init
// is that root, with the container's own map, so the copies keep the owners
// the image gave them, exactly as the container will see them.
import {
  chmodSync, constants, copyFileSync, lchownSync, linkSync, lstatSync, lutimesSync, mkdirSync, readdirSync, readlinkSync, symlinkSync,
  type Stats,
} from 'node:fs';
import { S_IFIFO, SyscallError, lgetxattr, llistxattr, lsetxattr, mknod } from '../syscalls/index.js';

/**
 * Copy what is in the directory FROM into the empty directory TO, keeping
 * owners, modes, times, symlinks (as links), hard links and extended
 * attributes. TO itself takes FROM's owner and mode (docker does the same:
 * the volume's root looks like the image's directory).
 */
export function copyTree(from: string, to: string): void {
  copyChildren(from, to, new Map());
  copyAttributes(from, to, lstatSync(from));
}

function copyChildren(from: string, to: string, firstLinks: Map<string, string>): void {
  for (const name of readdirSync(from)) {
    const source = `${from}/${name}`;
    const target = `${to}/${name}`;
    const stat = lstatSync(source); // never follow: a symlink is copied as one
    if (stat.isDirectory()) {
      mkdirSync(target, { mode: 0o700 });
      copyChildren(source, target, firstLinks);
    } else if (stat.isFile()) {
      // Two names of one inode stay two names of one inode.
      const inode = `${stat.dev}:${stat.ino}`;
      const first = stat.nlink > 1 ? firstLinks.get(inode) : undefined;
      if (first !== undefined) {
        linkSync(first, target);
        continue; // its attributes are the first name's, already set
      }
      if (stat.nlink > 1) firstLinks.set(inode, target);
      copyFileSync(source, target, constants.COPYFILE_EXCL);
    } else if (stat.isSymbolicLink()) {
      symlinkSync(readlinkSync(source), target);
    } else if (stat.isFIFO()) {
      mknod(target, S_IFIFO | (stat.mode & 0o7777));
    } else {
      // Device nodes cannot be made in a user namespace (mknod: EPERM), and
      // a socket is only a name once the program that listened is gone.
      continue;
    }
    copyAttributes(source, target, stat);
  }
}

function copyAttributes(source: string, target: string, stat: Stats): void {
  // The owner first: chown(2) clears the setuid and setgid bits, and the
  // file capabilities (security.capability), that come next.
  try {
    lchownSync(target, stat.uid, stat.gid);
  } catch (error) {
    // An id this namespace does not map shows as 65534 ("nobody", the
    // overflow id), and cannot be given to anything: the copy stays root's.
    if ((error as NodeJS.ErrnoException).code !== 'EINVAL') throw error;
  }
  if (!stat.isSymbolicLink()) chmodSync(target, stat.mode & 0o7777); // a symlink's own mode means nothing on Linux
  copyXattrs(source, target);
  // In seconds, with a fraction: a Date would drop everything below the millisecond.
  lutimesSync(target, stat.atimeMs / 1000, stat.mtimeMs / 1000);
}

function copyXattrs(source: string, target: string): void {
  for (const name of llistxattr(source)) {
    const value = lgetxattr(source, name);
    if (value === undefined) continue; // removed while we looked
    try {
      lsetxattr(target, name, value);
    } catch (error) {
      // user.* attributes are the image's own data and must come along.
      // Others belong to the host's policy (trusted.*, security.selinux):
      // a user namespace may not set them, and the copy goes on without.
      const refused = error instanceof SyscallError && ['EPERM', 'EOPNOTSUPP', 'ENOTSUP'].includes(error.code);
      if (name.startsWith('user.') || !refused) throw error;
    }
  }
}
