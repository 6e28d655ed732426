// docker's default seccomp profile, the same policy written as our own data.
//
// The idea: refuse (EPERM) every system call that is not on a list, and put
// on the list what ordinary programs need. What stays off the list is what
// the kernel does not fence off per container — keyrings (keyctl, add_key,
// request_key are not namespaced), loading kernel modules, kexec, reboot,
// userfaultfd, the clock — plus what only makes sense with a capability the
// container was not given. The kernel already checks capabilities, so why
// filter at all? Because each allowed call is kernel code an attacker can
// reach: a bug in a call nobody needs is a bug nobody can exploit.
//
// A syscall name that does not exist on this machine's architectures
// (chown32 on x86-64 exists only for its 32-bit programs; arm_fadvise64_64
// only on arm) costs nothing: libseccomp.ts leaves it out, as runc does.
import type { SeccompProfile, SeccompSelector, SeccompSyscalls } from './seccomp-profile.js';

const EPERM = 1;
/** "Function not implemented": what a program gets for a call the kernel lacks, so it tries an older one. */
const ENOSYS = 38;

/** Files and directories: opening, reading, writing, their metadata. Permissions are the kernel's business. */
const FILES = [
  'open', 'openat', 'openat2', 'creat', 'close', 'close_range',
  'read', 'readv', 'pread64', 'preadv', 'preadv2', 'write', 'writev', 'pwrite64', 'pwritev', 'pwritev2', 'lseek', '_llseek',
  'stat', 'stat64', 'lstat', 'lstat64', 'fstat', 'fstat64', 'fstatat64', 'newfstatat', 'statx',
  'statfs', 'statfs64', 'fstatfs', 'fstatfs64', 'getdents', 'getdents64',
  'access', 'faccessat', 'faccessat2', 'chdir', 'fchdir', 'getcwd', 'umask',
  'chmod', 'fchmod', 'fchmodat', 'chown', 'chown32', 'fchown', 'fchown32', 'fchownat', 'lchown', 'lchown32',
  'mkdir', 'mkdirat', 'rmdir', 'link', 'linkat', 'symlink', 'symlinkat', 'unlink', 'unlinkat',
  'rename', 'renameat', 'renameat2', 'readlink', 'readlinkat',
  'truncate', 'truncate64', 'ftruncate', 'ftruncate64', 'fallocate', 'fadvise64', 'fadvise64_64', 'readahead',
  'fsync', 'fdatasync', 'sync', 'syncfs', 'sync_file_range',
  'utime', 'utimes', 'utimensat', 'utimensat_time64', 'futimesat',
  'flock', 'fcntl', 'fcntl64', 'dup', 'dup2', 'dup3', 'ioctl',
  // Only a file handle: opening one back (open_by_handle_at) can reach any
  // file of the filesystem, past the container's root, so that one needs
  // CAP_DAC_READ_SEARCH below.
  'name_to_handle_at',
  // A device node needs CAP_MKNOD, and in a user namespace the kernel
  // refuses every real device anyway; fifos and sockets are harmless.
  'mknod', 'mknodat',
  'getxattr', 'lgetxattr', 'fgetxattr', 'setxattr', 'lsetxattr', 'fsetxattr',
  'listxattr', 'llistxattr', 'flistxattr', 'removexattr', 'lremovexattr', 'fremovexattr',
];

/** Moving data between files, pipes and sockets without copying it through the program. */
const PIPES_AND_COPIES = ['pipe', 'pipe2', 'splice', 'tee', 'vmsplice', 'sendfile', 'sendfile64', 'copy_file_range'];

/** Watching files for changes. (fanotify_init, which can watch a whole mount, needs CAP_SYS_ADMIN.) */
const FILE_EVENTS = ['inotify_init', 'inotify_init1', 'inotify_add_watch', 'inotify_rm_watch', 'fanotify_mark'];

/** The process's own memory. */
const MEMORY = [
  'brk', 'mmap', 'mmap2', 'munmap', 'mremap', 'mprotect', 'madvise', 'mincore', 'msync', 'remap_file_pages',
  // Locking pages in RAM is limited by RLIMIT_MEMLOCK, and by the memory cgroup.
  'mlock', 'mlock2', 'mlockall', 'munlock', 'munlockall',
  'membarrier', 'memfd_create', 'memfd_secret', 'pkey_alloc', 'pkey_free', 'pkey_mprotect',
];

/** Starting, running and ending processes and threads (clone is checked separately, below). */
const PROCESSES = [
  'fork', 'vfork', 'execve', 'execveat', 'exit', 'exit_group', 'wait4', 'waitid', 'waitpid',
  'getpid', 'getppid', 'gettid', 'getpgid', 'setpgid', 'getpgrp', 'getsid', 'setsid',
  'set_tid_address', 'set_robust_list', 'get_robust_list', 'futex', 'futex_time64', 'futex_waitv', 'rseq',
  'get_thread_area', 'set_thread_area', 'restart_syscall', 'prctl', 'pidfd_open', 'process_mrelease',
  'capget', 'capset',
  // A program may sandbox itself further: more filters, Landlock rules.
  'seccomp', 'landlock_add_rule', 'landlock_create_ruleset', 'landlock_restrict_self',
];

/** Scheduling, priorities and resource limits: raising any of them needs CAP_SYS_NICE or CAP_SYS_RESOURCE, which the kernel checks. */
const SCHEDULING_AND_LIMITS = [
  'sched_getaffinity', 'sched_setaffinity', 'sched_getattr', 'sched_setattr', 'sched_getparam', 'sched_setparam',
  'sched_getscheduler', 'sched_setscheduler', 'sched_get_priority_max', 'sched_get_priority_min',
  'sched_rr_get_interval', 'sched_rr_get_interval_time64', 'sched_yield', 'getcpu',
  'getpriority', 'setpriority', 'ioprio_get', 'ioprio_set',
  'getrlimit', 'setrlimit', 'ugetrlimit', 'prlimit64', 'getrusage', 'times',
];

/**
 * User and group ids. Changing them needs CAP_SETUID/CAP_SETGID, which only
 * mean something inside the container's user namespace. (The …32 names are
 * the 32-bit x86 and arm versions.)
 */
const IDENTITY = [
  'getuid', 'getuid32', 'geteuid', 'geteuid32', 'getgid', 'getgid32', 'getegid', 'getegid32',
  'getresuid', 'getresuid32', 'getresgid', 'getresgid32', 'getgroups', 'getgroups32',
  'setuid', 'setuid32', 'setgid', 'setgid32', 'setreuid', 'setreuid32', 'setregid', 'setregid32',
  'setresuid', 'setresuid32', 'setresgid', 'setresgid32', 'setgroups', 'setgroups32',
  'setfsuid', 'setfsuid32', 'setfsgid', 'setfsgid32',
];

/** Signals. Which process may signal which is decided by the kernel (same user, and the pid namespace hides the rest). */
const SIGNALS = [
  'kill', 'tkill', 'tgkill', 'pidfd_send_signal',
  'rt_sigaction', 'rt_sigpending', 'rt_sigprocmask', 'rt_sigqueueinfo', 'rt_tgsigqueueinfo', 'rt_sigreturn',
  'rt_sigsuspend', 'rt_sigtimedwait', 'rt_sigtimedwait_time64',
  'sigaltstack', 'sigreturn', 'sigprocmask', 'signalfd', 'signalfd4', 'pause', 'alarm',
];

/**
 * Reading clocks, sleeping, timers. (The …time64 names are the 32-bit
 * versions that survive 2038.) adjtimex and clock_adjtime only read the
 * clock's state without CAP_SYS_TIME; setting the clock is the
 * CAP_SYS_TIME group below — the clock is not namespaced, it is the host's.
 */
const TIME = [
  'clock_gettime', 'clock_gettime64', 'clock_getres', 'clock_getres_time64',
  'clock_nanosleep', 'clock_nanosleep_time64', 'nanosleep', 'gettimeofday', 'time',
  'adjtimex', 'clock_adjtime', 'clock_adjtime64',
  'getitimer', 'setitimer', 'timer_create', 'timer_delete', 'timer_getoverrun',
  'timer_gettime', 'timer_gettime64', 'timer_settime', 'timer_settime64',
  'timerfd_create', 'timerfd_gettime', 'timerfd_gettime64', 'timerfd_settime', 'timerfd_settime64',
];

/** Waiting for many things at once: poll, epoll, eventfd, asynchronous I/O. */
const EVENTS = [
  'poll', 'ppoll', 'ppoll_time64', 'select', '_newselect', 'pselect6', 'pselect6_time64',
  'epoll_create', 'epoll_create1', 'epoll_ctl', 'epoll_ctl_old', 'epoll_wait', 'epoll_wait_old', 'epoll_pwait', 'epoll_pwait2',
  'eventfd', 'eventfd2',
  'io_setup', 'io_destroy', 'io_submit', 'io_cancel', 'io_getevents', 'io_pgetevents', 'io_pgetevents_time64',
  'io_uring_setup', 'io_uring_enter', 'io_uring_register',
];

/**
 * Sockets, once made: the network namespace decides what they reach.
 * (socket() itself is checked separately, below; socketcall is 32-bit x86's
 * single entry to all of them.)
 */
const SOCKETS = [
  'socketpair', 'bind', 'connect', 'listen', 'accept', 'accept4', 'getsockname', 'getpeername',
  'getsockopt', 'setsockopt', 'shutdown', 'send', 'sendto', 'sendmsg', 'sendmmsg',
  'recv', 'recvfrom', 'recvmsg', 'recvmmsg', 'recvmmsg_time64', 'socketcall',
];

/** System V IPC and POSIX message queues: each container's ipc namespace has its own. */
const IPC = [
  'ipc', 'msgget', 'msgsnd', 'msgrcv', 'msgctl', 'semget', 'semop', 'semtimedop', 'semtimedop_time64', 'semctl',
  'shmget', 'shmat', 'shmdt', 'shmctl',
  'mq_open', 'mq_unlink', 'mq_timedsend', 'mq_timedsend_time64', 'mq_timedreceive', 'mq_timedreceive_time64',
  'mq_notify', 'mq_getsetattr',
];

/** Facts about the system: uname answers from the container's uts namespace. */
const SYSTEM_INFO = ['uname', 'sysinfo', 'getrandom'];

function allow(names: string[], when: { includes?: SeccompSelector; excludes?: SeccompSelector } = {}): SeccompSyscalls {
  return { names, action: 'SCMP_ACT_ALLOW', ...when };
}

const forArches = (...arches: string[]) => ({ includes: { arches } });
const withCapability = (cap: string) => ({ includes: { caps: [cap] } });

/** Calls that exist on one architecture family only (Go's names: amd64, x86, x32, arm, arm64…). */
const ARCHITECTURE_SPECIFIC = [
  allow(['arch_prctl'], forArches('amd64', 'x32')),
  allow(['modify_ldt'], forArches('amd64', 'x32', 'x86')),
  allow(['arm_fadvise64_64', 'arm_sync_file_range', 'sync_file_range2', 'breakpoint', 'cacheflush', 'set_tls'], forArches('arm', 'arm64')),
  allow(['sync_file_range2', 'swapcontext'], forArches('ppc64le')),
  allow(['s390_pci_mmio_read', 's390_pci_mmio_write', 's390_runtime_instr'], forArches('s390', 's390x')),
  allow(['riscv_flush_icache'], forArches('riscv64')),
];

/**
 * Calls allowed only to a container given the capability they need. The
 * kernel would refuse them anyway; filtering them too keeps their code out
 * of reach, and --cap-add opens both doors at once.
 */
const CAPABILITY_GATED = [
  // Namespaces, mounts and the other "almost root" powers of CAP_SYS_ADMIN.
  allow([
    'mount', 'umount', 'umount2', 'mount_setattr', 'move_mount', 'open_tree', 'fsopen', 'fsconfig', 'fsmount', 'fspick',
    'unshare', 'setns', 'clone', 'clone3', 'sethostname', 'setdomainname',
    'bpf', 'perf_event_open', 'fanotify_init', 'lookup_dcookie', 'quotactl', 'quotactl_fd', 'syslog',
  ], withCapability('CAP_SYS_ADMIN')),
  allow(['open_by_handle_at'], withCapability('CAP_DAC_READ_SEARCH')),
  allow(['reboot'], withCapability('CAP_SYS_BOOT')),
  allow(['chroot'], withCapability('CAP_SYS_CHROOT')),
  allow(['init_module', 'finit_module', 'delete_module'], withCapability('CAP_SYS_MODULE')),
  allow(['acct'], withCapability('CAP_SYS_PACCT')),
  // Reading or writing another process's memory.
  allow(['ptrace', 'process_vm_readv', 'process_vm_writev', 'kcmp', 'pidfd_getfd', 'process_madvise'], withCapability('CAP_SYS_PTRACE')),
  allow(['iopl', 'ioperm'], withCapability('CAP_SYS_RAWIO')),
  allow(['settimeofday', 'stime', 'clock_settime', 'clock_settime64'], withCapability('CAP_SYS_TIME')),
  allow(['vhangup'], withCapability('CAP_SYS_TTY_CONFIG')),
  allow(['get_mempolicy', 'set_mempolicy', 'set_mempolicy_home_node', 'mbind'], withCapability('CAP_SYS_NICE')),
  allow(['syslog'], withCapability('CAP_SYSLOG')),
  allow(['bpf'], withCapability('CAP_BPF')),
  allow(['perf_event_open'], withCapability('CAP_PERFMON')),
];

/**
 * The clone flags that make new namespaces: CLONE_NEWNS | NEWCGROUP | NEWUTS
 * | NEWIPC | NEWUSER | NEWPID | NEWNET. Creating a user namespace gives
 * capabilities over a whole new namespace tree — a large attack surface.
 */
const CLONE_NAMESPACE_FLAGS = 0x7e020000;

/** Calls whose arguments decide. A seccomp filter sees the six argument registers, never memory behind a pointer. */
const ARGUMENT_CHECKED: SeccompSyscalls[] = [
  // ptrace could get around seccomp before Linux 4.8 (a tracer could change
  // a call after the filter had checked it); since then the filter runs again.
  allow(['ptrace', 'process_vm_readv', 'process_vm_writev'], { includes: { minKernel: '4.8' } }),
  // Threads and processes, but no new namespaces: (flags & mask) == 0.
  {
    names: ['clone'], action: 'SCMP_ACT_ALLOW',
    args: [{ index: 0, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
    excludes: { caps: ['CAP_SYS_ADMIN'], arches: ['s390', 's390x'] },
  },
  // s390 passes clone's first two arguments the other way round.
  {
    names: ['clone'], action: 'SCMP_ACT_ALLOW',
    args: [{ index: 1, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
    includes: { arches: ['s390', 's390x'] }, excludes: { caps: ['CAP_SYS_ADMIN'] },
  },
  // clone3 takes its flags in a struct in memory, which the filter cannot
  // read. ENOSYS makes glibc fall back to clone, whose flags it can.
  { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS, excludes: { caps: ['CAP_SYS_ADMIN'] } },
  // Every address family but AF_VSOCK (40): vsock talks to the hypervisor or
  // the host across a VM boundary, and no network namespace fences it.
  { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 40, op: 'SCMP_CMP_NE' }] },
  // Only the ordinary personalities: PER_LINUX (0), PER_LINUX32 (8), UNAME26
  // (0x20000), both (0x20008), and 0xffffffff, which only asks for the
  // current one. Not ADDR_NO_RANDOMIZE, which turns off address-space
  // randomization for the programs it execs. Five tests of the same
  // argument: any one matching allows the call.
  {
    names: ['personality'], action: 'SCMP_ACT_ALLOW',
    args: [0, 0x8, 0x20000, 0x20008, 0xffffffff].map((value) => ({ index: 0, value, op: 'SCMP_CMP_EQ' as const })),
  },
];

export const defaultSeccompProfile: SeccompProfile = {
  defaultAction: 'SCMP_ACT_ERRNO',
  defaultErrnoRet: EPERM,
  // A 64-bit kernel also runs the 32-bit programs of its family, whose
  // calls have other numbers: the filter must know those too.
  archMap: [
    { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
    { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
    { architecture: 'SCMP_ARCH_S390X', subArchitectures: ['SCMP_ARCH_S390'] },
    { architecture: 'SCMP_ARCH_RISCV64', subArchitectures: [] },
  ],
  syscalls: [
    allow([
      ...FILES, ...PIPES_AND_COPIES, ...FILE_EVENTS, ...MEMORY, ...PROCESSES, ...SCHEDULING_AND_LIMITS,
      ...IDENTITY, ...SIGNALS, ...TIME, ...EVENTS, ...SOCKETS, ...IPC, ...SYSTEM_INFO,
    ]),
    ...ARGUMENT_CHECKED,
    ...ARCHITECTURE_SPECIFIC,
    ...CAPABILITY_GATED,
  ],
};
