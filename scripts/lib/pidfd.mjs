// Waiting for a process that is not our child, without polling: a pidfd
// (pidfd_open(2), Linux 5.3) becomes readable when its process exits. Used by
// checks that must prove a container's processes are gone.
import koffi from 'koffi';

const libc = koffi.load('libc.so.6');
const syscall = libc.func('long syscall(long number, ...)');
const poll = libc.func('int poll(void *fds, unsigned long nfds, int timeout)');
const close = libc.func('int close(int fd)');
const SYS_pidfd_open = 434; // the same on x86_64 and arm64
const POLLIN = 1;

/** A handle on PID, taken while it is alive; undefined if it is already gone. */
export function pidfdOpen(pid) {
  const fd = Number(syscall(SYS_pidfd_open, 'int', pid, 'unsigned int', 0));
  return fd < 0 ? undefined : fd;
}

/** Block until the process behind PIDFD has exited (true) or MS have passed (false). */
export function waitForExit(pidfd, ms) {
  const pollfd = Buffer.alloc(8); // struct pollfd { int fd; short events; short revents; }
  pollfd.writeInt32LE(pidfd, 0);
  pollfd.writeInt16LE(POLLIN, 4);
  const deadline = Date.now() + ms;
  let ready;
  do {
    // poll is never restarted after a signal handler ran (Node's SIGCHLD, say): EINTR means "again".
    ready = poll(pollfd, 1, Math.max(0, deadline - Date.now()));
  } while (ready === -1 && koffi.errno() === koffi.os.errno.EINTR && Date.now() < deadline);
  close(pidfd);
  return ready === 1;
}
