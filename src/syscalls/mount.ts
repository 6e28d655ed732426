// Typed wrappers for the mount family. Each comment gives the shell command
// that does the same thing, because that is the form most people have seen.
import { check } from './errors.js';
import { libc } from './libc.js';
import { AT_FDCWD, AT_RECURSIVE, MOUNT_ATTR_RDONLY, SYS } from './constants.js';

/** mount -t FSTYPE -o DATA SOURCE TARGET (with MS_* flags) */
export function mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null = null): void {
  check(libc.mount(source, target, fstype, flags, data), 'mount', target);
}

/** umount [--lazy] TARGET */
export function umount2(target: string, flags: number): void {
  check(libc.umount2(target, flags), 'umount2', target);
}

/** pivot_root NEW_ROOT PUT_OLD — glibc has no wrapper, so it goes through syscall(2). */
export function pivotRoot(newRoot: string, putOld: string): void {
  check(libc.syscall(SYS.pivot_root, 'const char *', newRoot, 'const char *', putOld), 'pivot_root', newRoot);
}

/**
 * mount -o remount,bind,ro for PATH and every mount below it.
 *
 * Why mount_setattr(2) and not the classic remount: inside a user namespace
 * the flags a mount inherited from the host (nosuid, nodev, noexec) are
 * locked, and a classic MS_REMOUNT must repeat every one of them or fail with
 * EPERM. mount_setattr only adds the flag it is given, and AT_RECURSIVE
 * covers the submounts (linux ≥ 5.12).
 */
export function makeReadOnly(path: string, recursive: boolean): void {
  // struct mount_attr { u64 attr_set, attr_clr, propagation, userns_fd; }
  const attr = new BigUint64Array([BigInt(MOUNT_ATTR_RDONLY), 0n, 0n, 0n]);
  check(
    libc.syscall(SYS.mount_setattr, 'int', AT_FDCWD, 'const char *', path, 'unsigned int', recursive ? AT_RECURSIVE : 0,
      'void *', attr, 'size_t', attr.byteLength),
    'mount_setattr', path,
  );
}
