// Typed wrappers for the file operations Node's fs module lacks: creating
// special files and reading or writing extended attributes. Each one acts on
// PATH itself and never follows a symlink in its last component (the "l" in
// lsetxattr), which is what code unpacking untrusted archives needs.
import { check, SyscallError } from './errors.js';
import { lastErrno, libc } from './libc.js';

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
