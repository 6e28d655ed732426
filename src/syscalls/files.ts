// Typed wrappers for the file operations Node's fs module lacks: creating
// special files, reading or writing extended attributes, and opening a file
// inside a root we do not trust. Each one acts on PATH itself and never
// follows a symlink out of where it belongs (the "l" in lsetxattr), which is
// what code handling untrusted archives and root filesystems needs.
import { closeSync } from 'node:fs';
import { check, SyscallError } from './errors.js';
import { lastErrno, libc } from './libc.js';
import { O_CLOEXEC, O_DIRECTORY, O_PATH, RESOLVE_IN_ROOT, SYS } from './constants.js';

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
  const rootFd = libc.open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  check(rootFd, 'open', root);
  try {
    // struct open_how { u64 flags; u64 mode; u64 resolve; }
    const how = new BigUint64Array([BigInt(flags | O_CLOEXEC), 0n, BigInt(RESOLVE_IN_ROOT)]);
    const fd = Number(libc.syscall(SYS.openat2, 'int', rootFd, 'const char *', path, 'void *', how, 'size_t', how.byteLength));
    check(fd, 'openat2', `${root}, ${path}`);
    return fd;
  } finally {
    closeSync(rootFd);
  }
}
