// Kernel constants, named once. Values come from the Linux UAPI headers
// (<linux/mount.h>, <fcntl.h>, <linux/close_range.h>, <sys/socket.h>,
// <asm-generic/ioctls.h>, <linux/openat2.h>); they are the same on x86-64
// and arm64, the architectures Node runs cellblock on, except syscall numbers.

// mount(2) flags — <linux/mount.h>
export const MS_RDONLY = 0x1;
export const MS_NOSUID = 0x2;
export const MS_NODEV = 0x4;
export const MS_NOEXEC = 0x8;
export const MS_REMOUNT = 0x20;
export const MS_BIND = 0x1000;
export const MS_REC = 0x4000;
export const MS_PRIVATE = 0x40000;
export const MS_STRICTATIME = 0x1000000;

// umount2(2) flags
export const MNT_DETACH = 0x2;

// mount_setattr(2) — change flags of a whole mount tree in one call
export const AT_RECURSIVE = 0x8000;
export const MOUNT_ATTR_RDONLY = 0x1;

// fcntl(2)
export const F_GETFD = 1;
export const F_SETFD = 2;
export const F_GETFL = 3;
export const F_SETFL = 4;
export const FD_CLOEXEC = 1;

// open(2) flags
export const O_RDONLY = 0;
export const O_RDWR = 2;
export const O_NOCTTY = 0o400;
export const O_NONBLOCK = 0o4000;
export const O_DIRECTORY = 0o200000;
export const O_CLOEXEC = 0o2000000;
/** Opens a location without opening the file: nothing is read; the fd only says "this inode, reached this way". */
export const O_PATH = 0o10000000;

// openat2(2) resolve flags — <linux/openat2.h>
export const RESOLVE_NO_SYMLINKS = 0x04;
export const RESOLVE_BENEATH = 0x08;
/** Resolve the path as if the directory fd were "/": "..", absolute paths and symlinks cannot leave it. */
export const RESOLVE_IN_ROOT = 0x10;

// Unix sockets and passing file descriptors — <sys/socket.h>
export const AF_UNIX = 1;
export const SOCK_STREAM = 1;
export const SOCK_CLOEXEC = O_CLOEXEC;
export const SOL_SOCKET = 1;
/** A control message carrying file descriptors. */
export const SCM_RIGHTS = 1;
export const MSG_DONTWAIT = 0x40;
export const MSG_NOSIGNAL = 0x4000;
/** Received descriptors arrive close-on-exec, so no child inherits them by accident. */
export const MSG_CMSG_CLOEXEC = 0x40000000;

// Network interfaces — <sys/socket.h>, <linux/sockios.h>, <net/if.h>
export const AF_INET = 2;
export const SOCK_DGRAM = 2;
/** Read, then set, an interface's flags (struct ifreq: its name, then the flags). */
export const SIOCGIFFLAGS = 0x8913;
export const SIOCSIFFLAGS = 0x8914;
export const IFF_UP = 0x1;
/** IFNAMSIZ: an interface name, NUL included, fits in 16 bytes. */
export const IFNAMSIZ = 16;

// Terminal ioctls — <asm-generic/ioctls.h>. (powerpc, mips, sparc and alpha
// number them differently; cellblock runs on x86-64 and arm64.)
export const TCGETS = 0x5401;
/** Set the terminal's modes once what was written to it has gone out. */
export const TCSETSW = 0x5403;
export const TIOCSCTTY = 0x540e;
export const TIOCGWINSZ = 0x5413;
export const TIOCSWINSZ = 0x5414;
/** _IOW('T', 0x31, int): lock (1) or unlock (0) a new pty's other side. */
export const TIOCSPTLCK = 0x40045431;
/** _IO('T', 0x41): open the other side of this pty master (Linux 4.13). */
export const TIOCGPTPEER = 0x5441;
/** termios c_oflag: process output (e.g. ONLCR, "\n" → "\r\n"). */
export const OPOST = 0x1;

// "Relative to the current directory", for the *at() calls.
export const AT_FDCWD = -100;

// Signals — <signal.h>
export const SIGKILL = 9;
export const SIGSTOP = 19;
export const NSIG = 65;
export const SIG_SETMASK = 2;

// flock(2)
export const LOCK_SH = 1;
export const LOCK_EX = 2;
export const LOCK_NB = 4;

// File types for mknod(2) — <sys/stat.h>. A whiteout is a character device
// with device number 0/0 (overlayfs reads it as "deleted in this layer").
export const S_IFIFO = 0o010000;
export const S_IFCHR = 0o020000;

// prctl(2)
export const PR_SET_PDEATHSIG = 1;
/** Keep the permitted capabilities when all uids leave 0 (cleared again by execve). */
export const PR_SET_KEEPCAPS = 8;
/** Remove one capability from the thread's bounding set, for good. */
export const PR_CAPBSET_DROP = 24;
/** execve may never grant more privileges (setuid bits, file capabilities): inherited, never unset. */
export const PR_SET_NO_NEW_PRIVS = 38;
export const PR_CAP_AMBIENT = 47;
export const PR_CAP_AMBIENT_CLEAR_ALL = 4;

// capget(2)/capset(2): the 64-bit capability sets, as two 32-bit words each.
export const LINUX_CAPABILITY_VERSION_3 = 0x20080522;

// close_range(2)
export const CLOSE_RANGE_CLOEXEC = 1 << 2;

/** Syscall numbers for the calls glibc has no wrapper for. */
const SYSCALL_NUMBERS: Record<string, { pivot_root: number; mount_setattr: number; close_range: number; openat2: number; getcwd: number }> = {
  x64: { pivot_root: 155, mount_setattr: 442, close_range: 436, openat2: 437, getcwd: 79 },
  // arm64 uses the generic table: old calls are numbered differently, new ones (≥ 424) agree.
  arm64: { pivot_root: 41, mount_setattr: 442, close_range: 436, openat2: 437, getcwd: 17 },
};

export const SYS = SYSCALL_NUMBERS[process.arch] ?? SYSCALL_NUMBERS.x64;

// unshare(2): a new cgroup namespace (the init makes one, chapter 6).
export const CLONE_NEWCGROUP = 0x02000000;
// setns(2): which kind of namespace the descriptor must be (exec's init joins these two).
export const CLONE_NEWPID = 0x20000000;
