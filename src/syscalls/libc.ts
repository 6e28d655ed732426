// The one place that loads libc through koffi. Every binding in src/syscalls/
// is declared here, so swapping the FFI library means editing this file only.
//
// Why an FFI at all? Node's standard library has no mount(), pivot_root(),
// sethostname() or execve(): a container runtime is made of exactly the
// system calls a normal program never needs.
import koffi from 'koffi';

const lib = koffi.load('libc.so.6');

// sendmsg(2)/recvmsg(2) take their message as a struct. Buffers given for the
// pointer fields are used in place, so the kernel writes straight into them.
const iovec = koffi.struct('iovec', { iov_base: 'void *', iov_len: 'size_t' });
koffi.struct('msghdr', {
  msg_name: 'void *',
  msg_namelen: 'uint32_t',
  msg_iov: koffi.pointer(iovec),
  msg_iovlen: 'size_t',
  msg_control: 'void *',
  msg_controllen: 'size_t',
  msg_flags: 'int',
});

export const libc = {
  mount: lib.func('int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)'),
  umount2: lib.func('int umount2(const char *target, int flags)'),
  sethostname: lib.func('int sethostname(const char *name, size_t len)'),
  chdir: lib.func('int chdir(const char *path)'),
  chroot: lib.func('int chroot(const char *path)'),
  prctl: lib.func('int prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4, unsigned long arg5)'),
  // Capability sets of the calling thread (chapter 11): a header, then two {effective, permitted, inheritable} words.
  capget: lib.func('int capget(void *header, _Inout_ void *data)'),
  capset: lib.func('int capset(void *header, void *data)'),
  setresuid: lib.func('int setresuid(uint32_t ruid, uint32_t euid, uint32_t suid)'),
  setresgid: lib.func('int setresgid(uint32_t rgid, uint32_t egid, uint32_t sgid)'),
  setgroups: lib.func('int setgroups(size_t size, const uint32_t *list)'),
  unshare: lib.func('int unshare(int flags)'),
  setns: lib.func('int setns(int fd, int nstype)'),
  execve: lib.func('int execve(const char *path, const char **argv, const char **envp)'),
  fcntl: lib.func('int fcntl(int fd, int cmd, ...)'),
  dup3: lib.func('int dup3(int oldfd, int newfd, int flags)'),
  flock: lib.func('int flock(int fd, int operation)'),
  signal: lib.func('void *signal(int signum, void *handler)'),
  sigprocmask: lib.func('int sigprocmask(int how, const void *set, void *oldset)'),
  // Device nodes and extended attributes: Node's fs has neither (layer unpacking, src/image/unpack/).
  // (koffi has no ssize_t: long is the same size on Linux.)
  mknod: lib.func('int mknod(const char *path, uint32_t mode, uint64_t dev)'),
  lsetxattr: lib.func('int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags)'),
  lgetxattr: lib.func('long lgetxattr(const char *path, const char *name, _Out_ void *value, size_t size)'),
  llistxattr: lib.func('long llistxattr(const char *path, _Out_ void *list, size_t size)'),
  // Walking a root filesystem one directory fd at a time (src/init/paths.ts).
  mkdirat: lib.func('int mkdirat(int dirfd, const char *path, uint32_t mode)'),
  // Terminals and file descriptor passing (chapter 9).
  open: lib.func('int open(const char *path, int flags, ...)'),
  ioctl: lib.func('int ioctl(int fd, unsigned long request, ...)'),
  setsid: lib.func('int setsid(void)'),
  socket: lib.func('int socket(int domain, int type, int protocol)'),
  socketpair: lib.func('int socketpair(int domain, int type, int protocol, _Out_ int *fds)'),
  sendmsg: lib.func('long sendmsg(int socket, const msghdr *message, int flags)'),
  recvmsg: lib.func('long recvmsg(int socket, msghdr *message, int flags)'),
  // Calls glibc does not wrap go through syscall(2) with their number (see constants.ts).
  syscall: lib.func('long syscall(long number, ...)'),
};

/** errno of the last call made through koffi on this thread. */
export const lastErrno = (): number => koffi.errno();

const errnoNames = new Map<number, string>(
  Object.entries(koffi.os.errno as Record<string, number>).map(([name, value]) => [value, name]),
);

/** EPERM for 1, ENOENT for 2, … — the names people search for. */
export function errnoName(errno: number): string {
  return errnoNames.get(errno) ?? `errno ${errno}`;
}
