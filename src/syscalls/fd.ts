// Typed wrappers for file descriptor flags.
import { check } from './errors.js';
import { libc } from './libc.js';
import { CLOSE_RANGE_CLOEXEC, F_GETFD, F_GETFL, F_SETFD, F_SETFL, FD_CLOEXEC, O_NONBLOCK, SYS } from './constants.js';

function fcntl(fd: number, cmd: number, arg?: number): number {
  const result = arg === undefined ? libc.fcntl(fd, cmd) : libc.fcntl(fd, cmd, 'int', arg);
  check(result, 'fcntl', String(fd));
  return result;
}

/**
 * Make FD survive execve and block on reads and writes again.
 *
 * Node opens or inherits its stdio with FD_CLOEXEC and may switch pipes to
 * O_NONBLOCK for its event loop. Left that way, the program we exec finds
 * fd 1 closed (EBADF) or gets EAGAIN on its first write.
 */
export function makeInheritableBlocking(fd: number): void {
  const fdFlags = fcntl(fd, F_GETFD);
  if (fdFlags & FD_CLOEXEC) fcntl(fd, F_SETFD, fdFlags & ~FD_CLOEXEC);
  const statusFlags = fcntl(fd, F_GETFL);
  if (statusFlags & O_NONBLOCK) fcntl(fd, F_SETFL, statusFlags & ~O_NONBLOCK);
}

/** Shell: exec TO>&FROM — TO becomes a copy of FROM (and is not close-on-exec). */
export function moveFd(from: number, to: number): void {
  check(libc.dup3(from, to, 0), 'dup3', `${from}, ${to}`);
}

/** Mark every fd from FIRST upwards close-on-exec, whatever Node has open. */
export function closeOnExecFrom(first: number): void {
  check(libc.syscall(SYS.close_range, 'unsigned int', first, 'unsigned int', 0xffffffff, 'unsigned int', CLOSE_RANGE_CLOEXEC),
    'close_range', String(first));
}

