// run --explain, from the inside (chapter 12): each system call cellblock
// makes through src/syscalls/, told the way strace tells it —
//   mount("proc", "/…/rootfs/proc", "proc", MS_NOSUID|MS_NODEV|MS_NOEXEC, NULL) = 0
//
// Nothing here is loaded unless a run asks for --explain. Then traceBindings()
// replaces each function of a bindings object (libc's, in libc.ts) with one
// that calls it and reports what it was given and what it returned. The
// wrappers in src/syscalls/ look their binding up in that object at every
// call (`libc.mount(…)`), so they call the traced one without a change: what
// is told is what ran, argument for argument, and it cannot drift from the
// code. Without --explain the object holds koffi's own functions: tracing
// costs nothing, not even a check.
//
// Only what goes through src/syscalls/ is told. Node's own file calls
// (mkdir, symlink, writing a file) go through libuv, not through us.
import koffi from 'koffi';
import { CAPABILITIES } from '../security/capabilities.js';
import * as K from './constants.js';
import { errnoName } from './libc.js';

/** One call, ready to print: NAME(ARGS) = RESULT. */
export interface TracedCall {
  name: string;
  args: string[];
  /** "0", "3", "-1 EPERM"…; undefined when told before the call (execve: it does not return when it works). */
  result?: string;
}

export type CallListener = (call: TracedCall) => void;

type Binding = ((...args: unknown[]) => unknown) & { async?: unknown };

/**
 * Replace the functions of BINDINGS with traced ones that tell LISTENER of
 * every call. NAMES, when given, picks which bindings (by key) and what the
 * call is called (libseccomp's `load` is seccomp_load); otherwise every
 * binding is traced under its own key.
 */
export function traceBindings(bindings: object, listener: CallListener, names?: Record<string, string>): void {
  const table = bindings as Record<string, Binding>;
  for (const key of Object.keys(names ?? table)) {
    const original = table[key];
    const name = names?.[key] ?? key;
    const traced: Binding = (...args) => {
      // execve does not come back when it works: what it is given is told first.
      if (name === 'execve') listener(describeCall(name, args));
      const result = original(...args);
      const errno = koffi.errno();
      listener(describeCall(name, args, { value: result, errno }));
      // Telling it may have made system calls of its own (a write to the sync
      // pipe): the wrapper's check() must still find THIS call's errno.
      koffi.errno(errno);
      return result;
    };
    traced.async = original.async; // koffi's non-blocking variant (flock, recvmsg) is left as it is
    table[key] = traced;
  }
}

/** NAME(ARGS) = RESULT, the way strace prints it. */
export function formatCall(call: TracedCall): string {
  return `${call.name}(${call.args.join(', ')})${call.result === undefined ? '' : ` = ${call.result}`}`;
}

/** A call described: arguments as the kernel's headers name them, the result with its errno name. */
export function describeCall(name: string, args: readonly unknown[], result?: { value: unknown; errno: number }): TracedCall {
  // syscall(2) carries the real call: its number, then (type, value) pairs.
  if (name === 'syscall') {
    name = SYSCALL_NAMES.get(Number(args[0])) ?? `syscall_${args[0]}`;
    args = args.slice(1).filter((_, i) => i % 2 === 1);
  }
  const format = FORMATS[name] ?? {};
  return {
    name,
    args: format.args ? format.args(args) : args.map(value),
    result: result && (format.result ?? plainResult)(result.value, result.errno, args),
  };
}

// ───────────────────────────── values ─────────────────────────────

/** A plain value: strings quoted, NULL, numbers, buffers by size. */
function value(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return `[${v.filter((e) => e !== null).map(value).join(', ')}]`; // argv's closing NULL is C's, not an argument
  if (ArrayBuffer.isView(v)) return `<${v.byteLength} bytes>`;
  return 'ptr';
}

type Names = readonly (readonly [string, number])[];
const names = (table: Record<string, number>): Names => Object.entries(table);

/** VALUE as NAME|NAME, bits no name covers in hex; ZERO when none is set. */
export function flagNames(v: unknown, table: Names, zero = '0'): string {
  let rest = Number(v);
  const parts: string[] = [];
  for (const [name, bit] of table) {
    if (bit !== 0 && (rest & bit) === bit) {
      parts.push(name);
      rest &= ~bit;
    }
  }
  if (rest) parts.push(`0x${(rest >>> 0).toString(16)}`);
  return parts.join('|') || zero;
}

/** The name of V in TABLE, or V itself. */
function oneOf(v: unknown, table: Names): string {
  return table.find(([, n]) => n === Number(v))?.[0] ?? String(v);
}

const octal = (v: unknown) => `0${Number(v).toString(8)}`;
const dirfd = (v: unknown) => (Number(v) === K.AT_FDCWD ? 'AT_FDCWD' : String(v));

const MOUNT_FLAGS = names({
  MS_RDONLY: K.MS_RDONLY, MS_NOSUID: K.MS_NOSUID, MS_NODEV: K.MS_NODEV, MS_NOEXEC: K.MS_NOEXEC, MS_REMOUNT: K.MS_REMOUNT,
  MS_BIND: K.MS_BIND, MS_REC: K.MS_REC, MS_PRIVATE: K.MS_PRIVATE, MS_STRICTATIME: K.MS_STRICTATIME,
});
const OPEN_FLAGS = names({
  O_CREAT: 0o100, O_EXCL: 0o200, O_NOCTTY: K.O_NOCTTY, O_TRUNC: 0o1000, O_APPEND: 0o2000, O_NONBLOCK: K.O_NONBLOCK,
  O_LARGEFILE: 0o100000, O_DIRECTORY: K.O_DIRECTORY, O_NOFOLLOW: 0o400000, O_CLOEXEC: K.O_CLOEXEC, O_PATH: K.O_PATH,
});
/** open(2) flags: the access mode (the low two bits, O_RDONLY is 0) and the rest. */
function openFlags(v: unknown): string {
  const n = Number(v);
  const mode = n & K.O_PATH ? [] : [['O_RDONLY', 'O_WRONLY', 'O_RDWR'][n & 3] ?? String(n & 3)];
  return [...mode, flagNames(n & ~3, OPEN_FLAGS, '')].filter(Boolean).join('|');
}

/** 1–31 as <signal.h> names them (x86-64 and arm64 agree); real-time signals by number. */
const SIGNALS = [
  '', 'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGKILL', 'SIGUSR1', 'SIGSEGV',
  'SIGUSR2', 'SIGPIPE', 'SIGALRM', 'SIGTERM', 'SIGSTKFLT', 'SIGCHLD', 'SIGCONT', 'SIGSTOP', 'SIGTSTP', 'SIGTTIN', 'SIGTTOU',
  'SIGURG', 'SIGXCPU', 'SIGXFSZ', 'SIGVTALRM', 'SIGPROF', 'SIGWINCH', 'SIGIO', 'SIGPWR', 'SIGSYS',
];
const signal = (v: unknown) => SIGNALS[Number(v)] || String(v);

/** A sigset_t: the signals whose bits are set, [] for none. */
function sigset(v: unknown): string {
  if (!Buffer.isBuffer(v)) return value(v);
  const set: string[] = [];
  for (let n = 1; n <= v.length * 8; n++) if (v[(n - 1) >> 3] & (1 << ((n - 1) & 7))) set.push(signal(n));
  return `[${set.join(' ')}]`;
}

/** A void * handler or disposition: what signal(2) takes and returns. */
function handler(v: unknown): string {
  if (v === null) return 'SIG_DFL';
  const address = koffi.address(v);
  if (address === 0n) return 'SIG_DFL';
  if (address === 1n) return 'SIG_IGN';
  if (address === 0xffffffffffffffffn) return 'SIG_ERR';
  return 'a handler';
}

/** The three 64-bit capability sets of capget/capset's data, as /proc/PID/status prints them. */
function capabilitySets(v: unknown): string {
  if (!(v instanceof Uint32Array) || v.length < 6) return value(v);
  const set = (low: number, high: number) => ((BigInt(high) << 32n) | BigInt(low)).toString(16).padStart(16, '0');
  return `{effective=${set(v[0], v[3])}, permitted=${set(v[1], v[4])}, inheritable=${set(v[2], v[5])}}`;
}

const capability = (v: unknown) => CAPABILITIES[Number(v)] ?? String(v);

const PRCTL = names({
  PR_SET_PDEATHSIG: K.PR_SET_PDEATHSIG, PR_SET_KEEPCAPS: K.PR_SET_KEEPCAPS, PR_CAPBSET_DROP: K.PR_CAPBSET_DROP,
  PR_SET_NO_NEW_PRIVS: K.PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT: K.PR_CAP_AMBIENT,
});
function prctlArgs(a: readonly unknown[]): string[] {
  const [option, second, ...rest] = a;
  const told = [oneOf(option, PRCTL)];
  if (Number(option) === K.PR_CAPBSET_DROP) told.push(capability(second));
  else if (Number(option) === K.PR_SET_PDEATHSIG) told.push(signal(second));
  else if (Number(option) === K.PR_CAP_AMBIENT) told.push(oneOf(second, names({ PR_CAP_AMBIENT_CLEAR_ALL: K.PR_CAP_AMBIENT_CLEAR_ALL })));
  else told.push(String(second));
  // The unused trailing arguments (0) are noise, as in strace.
  while (rest.length && Number(rest.at(-1)) === 0) rest.pop();
  return [...told, ...rest.map(value)];
}

const FCNTL = names({ F_GETFD: K.F_GETFD, F_SETFD: K.F_SETFD, F_GETFL: K.F_GETFL, F_SETFL: K.F_SETFL });
const FD_FLAGS = names({ FD_CLOEXEC: K.FD_CLOEXEC });

const IOCTLS = names({
  TCGETS: K.TCGETS, TCSETSW: K.TCSETSW, TIOCSCTTY: K.TIOCSCTTY, TIOCGWINSZ: K.TIOCGWINSZ, TIOCSWINSZ: K.TIOCSWINSZ,
  TIOCSPTLCK: K.TIOCSPTLCK, TIOCGPTPEER: K.TIOCGPTPEER, SIOCGIFFLAGS: K.SIOCGIFFLAGS, SIOCSIFFLAGS: K.SIOCSIFFLAGS,
});
/** <net/if.h>: the interface flags an ifconfig user knows. */
const IFF_FLAGS = names({ IFF_UP: K.IFF_UP, IFF_BROADCAST: 0x2, IFF_LOOPBACK: 0x8, IFF_RUNNING: 0x40, IFF_MULTICAST: 0x1000 });
function ioctlArg(request: unknown, arg: unknown): string {
  const r = Number(request);
  if ((r === K.SIOCGIFFLAGS || r === K.SIOCSIFFLAGS) && Buffer.isBuffer(arg)) {
    const name = arg.subarray(0, K.IFNAMSIZ).toString('latin1').replace(/\0.*$/s, '');
    return `{ifr_name=${JSON.stringify(name)}, ifr_flags=${flagNames(arg.readUInt16LE(K.IFNAMSIZ), IFF_FLAGS)}}`;
  }
  if ((r === K.TIOCSWINSZ || r === K.TIOCGWINSZ) && Buffer.isBuffer(arg)) return `{ws_row=${arg.readUInt16LE(0)}, ws_col=${arg.readUInt16LE(2)}}`;
  if (r === K.TIOCSPTLCK && Buffer.isBuffer(arg)) return `[${arg.readInt32LE(0)}]`;
  if (r === K.TIOCGPTPEER) return openFlags(arg);
  return value(arg);
}

/** Syscall numbers back to names, for calls made through syscall(2). */
const SYSCALL_NAMES = new Map(Object.entries(K.SYS).map(([name, nr]) => [nr, name]));

interface Format {
  args?(a: readonly unknown[]): string[];
  result?(v: unknown, errno: number, a: readonly unknown[]): string;
}

/** An int result: the number, or -1 and errno's name. */
function plainResult(v: unknown, errno: number): string {
  if (v === null) return 'NULL';
  if (v === undefined) return '(nothing)';
  if (typeof v !== 'number' && typeof v !== 'bigint') return value(v);
  return Number(v) === -1 ? `-1 ${errnoName(errno)}` : String(v);
}

const FORMATS: Record<string, Format> = {
  mount: { args: ([source, target, type, flags, data]) => [value(source), value(target), value(type), flagNames(flags, MOUNT_FLAGS), value(data)] },
  umount2: { args: ([target, flags]) => [value(target), flagNames(flags, names({ MNT_FORCE: 1, MNT_DETACH: K.MNT_DETACH, MNT_EXPIRE: 4 }))] },
  prctl: { args: prctlArgs },
  capget: { args: ([, data]) => ['{_LINUX_CAPABILITY_VERSION_3, pid=0}', capabilitySets(data)] },
  capset: { args: ([, data]) => ['{_LINUX_CAPABILITY_VERSION_3, pid=0}', capabilitySets(data)] },
  unshare: { args: ([flags]) => [flagNames(flags, names({ CLONE_NEWCGROUP: K.CLONE_NEWCGROUP }))] },
  fcntl: {
    args: ([fd, cmd, , arg]) => {
      const told = [String(fd), oneOf(cmd, FCNTL)];
      if (Number(cmd) === K.F_SETFD) told.push(flagNames(arg, FD_FLAGS));
      if (Number(cmd) === K.F_SETFL) told.push(openFlags(arg));
      return told;
    },
    // The flags it read, by name: the point of chapter 1's "why Node's stdio flags must be cleared".
    result: (v, errno, [, cmd]) => {
      if (Number(v) === -1) return plainResult(v, errno);
      if (Number(cmd) === K.F_GETFD) return Number(v) ? `${v} (${flagNames(v, FD_FLAGS)})` : '0';
      if (Number(cmd) === K.F_GETFL) return `0${Number(v).toString(8)} (${openFlags(v)})`;
      return String(v);
    },
  },
  dup3: { args: ([from, to, flags]) => [String(from), String(to), flagNames(flags, names({ O_CLOEXEC: K.O_CLOEXEC }))] },
  flock: { args: ([fd, op]) => [String(fd), flagNames(op, names({ LOCK_SH: K.LOCK_SH, LOCK_EX: K.LOCK_EX, LOCK_NB: K.LOCK_NB }))] },
  signal: {
    args: ([n, h]) => [signal(n), handler(h)],
    result: (v, errno) => (handler(v) === 'SIG_ERR' ? `SIG_ERR ${errnoName(errno)}` : handler(v)),
  },
  sigprocmask: { args: ([how, set, old]) => [oneOf(how, names({ SIG_BLOCK: 0, SIG_UNBLOCK: 1, SIG_SETMASK: K.SIG_SETMASK })), sigset(set), value(old)] },
  mknod: {
    args: ([path, mode, dev]) => {
      const type = oneOf(Number(mode) & 0o170000, names({ S_IFIFO: K.S_IFIFO, S_IFCHR: K.S_IFCHR }));
      return [value(path), `${type}|${octal(Number(mode) & 0o7777)}`, String(dev)];
    },
  },
  mkdirat: { args: ([fd, path, mode]) => [dirfd(fd), value(path), octal(mode)] },
  open: { args: ([path, flags, ...rest]) => [value(path), openFlags(flags), ...rest.filter((_, i) => i % 2 === 1).map(octal)] },
  ioctl: { args: ([fd, request, , arg]) => [String(fd), oneOf(request, IOCTLS), ioctlArg(request, arg)] },
  socket: {
    args: ([domain, type, protocol]) => [
      oneOf(domain, names({ AF_UNIX: K.AF_UNIX, AF_INET: K.AF_INET })),
      flagNames(type, names({ SOCK_STREAM: K.SOCK_STREAM, SOCK_DGRAM: K.SOCK_DGRAM, SOCK_CLOEXEC: K.SOCK_CLOEXEC })),
      String(protocol),
    ],
  },
  sendmsg: {
    args: ([fd, message, flags]) => {
      const control = (message as { msg_control?: unknown }).msg_control;
      const passed = Buffer.isBuffer(control) && control.length >= 20 ? `, SCM_RIGHTS=[${control.readInt32LE(16)}]` : '';
      return [String(fd), `{1 byte${passed}}`, flagNames(flags, names({ MSG_DONTWAIT: K.MSG_DONTWAIT, MSG_NOSIGNAL: K.MSG_NOSIGNAL }))];
    },
  },
  // Through syscall(2): glibc has no wrapper for these.
  mount_setattr: {
    args: ([fd, path, flags, attr, size]) => [
      dirfd(fd), value(path), flagNames(flags, names({ AT_RECURSIVE: K.AT_RECURSIVE })),
      attr instanceof BigUint64Array ? `{attr_set=${flagNames(Number(attr[0]), names({ MOUNT_ATTR_RDONLY: K.MOUNT_ATTR_RDONLY }))}}` : value(attr),
      String(size),
    ],
  },
  close_range: { args: ([first, last, flags]) => [String(first), Number(last) === 0xffffffff ? '~0U' : String(last), flagNames(flags, names({ CLOSE_RANGE_CLOEXEC: K.CLOSE_RANGE_CLOEXEC }))] },
  openat2: {
    args: ([fd, path, how, size]) => {
      if (!(how instanceof BigUint64Array)) return [dirfd(fd), value(path), value(how), String(size)];
      const resolve = flagNames(Number(how[2]), names({ RESOLVE_NO_SYMLINKS: K.RESOLVE_NO_SYMLINKS, RESOLVE_BENEATH: K.RESOLVE_BENEATH, RESOLVE_IN_ROOT: K.RESOLVE_IN_ROOT }));
      const mode = how[1] ? `, mode=${octal(how[1])}` : '';
      return [dirfd(fd), value(path), `{flags=${openFlags(Number(how[0]))}${mode}, resolve=${resolve}}`, String(size)];
    },
  },
  // The buffer holds the answer once the call is back (its length, NUL included, is the result).
  getcwd: { args: ([buffer, size]) => [Buffer.isBuffer(buffer) ? JSON.stringify(buffer.toString('utf8').replace(/\0.*$/s, '')) : value(buffer), String(size)] },
  // libseccomp returns a negative errno, not -1.
  seccomp_load: { args: () => ['ctx'], result: (v) => (Number(v) < 0 ? `${v} ${errnoName(-Number(v))}` : String(v)) },
};
