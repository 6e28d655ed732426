// flock(2): the lock that cannot go stale. The kernel drops it when the file
// is closed — including when the process holding it is killed — so a pull
// killed with SIGKILL never leaves a lock behind for the next one to trip on.
// Shell: flock FILE COMMAND
import { SyscallError, check } from './errors.js';
import { libc } from './libc.js';
import { LOCK_EX, LOCK_NB, LOCK_SH } from './constants.js';

/**
 * Take a lock on FD if it can be had right now; false if someone holds it.
 * Shared locks coexist with each other; an exclusive one with nothing.
 */
export function tryLock(fd: number, name: string, shared = false): boolean {
  try {
    check(libc.flock(fd, (shared ? LOCK_SH : LOCK_EX) | LOCK_NB), 'flock', name);
    return true;
  } catch (error) {
    // EWOULDBLOCK and EAGAIN are the same number on Linux; either name may be reported.
    if (error instanceof SyscallError && (error.code === 'EWOULDBLOCK' || error.code === 'EAGAIN')) return false;
    throw error;
  }
}

/**
 * Wait for a lock on FD. A blocking flock would stop Node's event loop, so
 * it runs on one of koffi's worker threads (errno is that thread's, so a
 * failure cannot name it).
 */
export function waitLock(fd: number, name: string, shared = false): Promise<void> {
  return new Promise((resolve, reject) => {
    libc.flock.async(fd, shared ? LOCK_SH : LOCK_EX, (error: unknown, result: number) => {
      if (error || result !== 0) reject(new Error(`flock(${name}): failed`));
      else resolve();
    });
  });
}

/**
 * Wait for a lock on FD, blocking this whole thread: for the container's
 * init, which has no event loop to keep going while it waits.
 */
export function waitLockSync(fd: number, name: string): void {
  check(libc.flock(fd, LOCK_EX), 'flock', name);
}
