// Typed wrappers for the file operations Node's fs module lacks: creating
// special files, reading or writing extended attributes, opening paths
// relative to a directory fd, and opening a file inside a root we do not
// trust. Each one acts on PATH itself and never follows a symlink out of
// where it belongs (the "l" in lsetxattr), which is what code handling
// untrusted archives and root filesystems needs.
import { closeSync } from 'node:fs';
import { check, SyscallError } from './errors.js';
import { errnoName, lastErrno, libc } from './libc.js';
import { AT_FDCWD, O_CLOEXEC, O_DIRECTORY, O_PATH, RESOLVE_IN_ROOT, SYS } from './constants.js';

/**
 * mknod PATH p (MODE = S_IFIFO | permissions), or mknod PATH c 0 0 for an
 * overlayfs whiteout (MODE = S_IFCHR, DEV = 0). Inside a user namespace the
 * kernel refuses every device except that 0/0 whiteout (Linux ≥ 5.8): a
 * real device node would let its owner reach the host's hardware.
 */
export function mknod(path: string, mode: number, dev = 0): void {
  check(libc.mknod(path, mode, dev), 'mknod', path);
}

/** setfattr -h -n NAME -v VALUE PATH */
export function lsetxattr(path: string, name: string, value: Buffer): void {
  check(libc.lsetxattr(path, name, value, value.length, 0), 'lsetxattr', `${path}, ${name}`);
}

/** getfattr -h -n NAME PATH — the value, or undefined when PATH has no such attribute. */
export function lgetxattr(path: string, name: string): Buffer | undefined {
  // Two calls, as the man page suggests: a size of 0 asks for the length.
  const size = Number(libc.lgetxattr(path, name, null, 0));
  if (size === -1) {
    const error = new SyscallError('lgetxattr', `${path}, ${name}`, lastErrno());
    if (error.code === 'ENODATA') return undefined;
    throw error;
  }
  const value = Buffer.alloc(size);
  const read = Number(libc.lgetxattr(path, name, value, size));
  check(read, 'lgetxattr', `${path}, ${name}`);
  return value.subarray(0, read);
}

/** getfattr -h -d -m - PATH, names only: every extended attribute PATH has. */
export function llistxattr(path: string): string[] {
  // The list can grow between the two calls: retry when it no longer fits (ERANGE).
  for (;;) {
    const size = Number(libc.llistxattr(path, null, 0));
    check(size, 'llistxattr', path);
    if (size === 0) return [];
    const list = Buffer.alloc(size);
    const read = Number(libc.llistxattr(path, list, size));
    if (read === -1 && errnoName(lastErrno()) === 'ERANGE') continue;
    check(read, 'llistxattr', path);
    // Names are NUL-terminated, one after the other.
    return list.subarray(0, read).toString('utf8').split('\0').filter(Boolean);
  }
}

/**
 * openat2(2): open PATH relative to the directory DIRFD, under rules the
 * kernel enforces during the lookup itself (RESOLVE_* flags) — no check done
 * before or after the call can be raced. NAME is what an error calls it.
 * (linux ≥ 5.6; glibc has no wrapper, so it goes through syscall(2).)
 */
export function openat2(dirfd: number, path: string, flags: number, resolve: number, mode = 0, name = path): number {
  // struct open_how { u64 flags, mode, resolve; }
  const how = new BigUint64Array([BigInt(flags), BigInt(mode), BigInt(resolve)]);
  const fd = Number(libc.syscall(SYS.openat2, 'int', dirfd, 'const char *', path, 'void *', how, 'size_t', how.byteLength));
  check(fd, 'openat2', name);
  return fd;
}

/** mkdir NAME, inside the directory DIRFD (which may be an O_PATH fd). */
export function mkdirat(dirfd: number, path: string, mode: number, name = path): void {
  check(libc.mkdirat(dirfd, path, mode), 'mkdirat', name);
}

/**
 * Open PATH as if ROOT were "/": absolute symlinks, ".." and absolute paths
 * all stay inside ROOT, as they would for a process whose root it is.
 * openat2(2) with RESOLVE_IN_ROOT (Linux 5.6); the kernel does the walk, so
 * no symlink swapped in half-way can lead it out.
 *
 * This is how the host reads a running container's files safely through
 * /proc/PID/root: a plain open("/proc/PID/root/etc/passwd") would follow a
 * container's symlink /etc/passwd → /etc/shadow to the HOST's /etc.
 */
export function openInRoot(root: string, path: string, flags: number): number {
  const rootFd = openat2(AT_FDCWD, root, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
  try {
    return openat2(rootFd, path, flags | O_CLOEXEC, RESOLVE_IN_ROOT, 0, `${root}, ${path}`);
  } finally {
    closeSync(rootFd);
  }
}
