// Typed wrappers for the file operations Node's fs module lacks: creating
// special files and reading or writing extended attributes. Each one acts on
// PATH itself and never follows a symlink in its last component (the "l" in
// lsetxattr), which is what code unpacking untrusted archives needs.
import { check, SyscallError } from './errors.js';
import { errnoName, lastErrno, libc } from './libc.js';

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
