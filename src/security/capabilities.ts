// Chapter 11 — which capabilities the payload keeps (--cap-add, --cap-drop, --privileged).
//
// Root in a user namespace of its own holds every capability, but only over
// that namespace's objects: CAP_SYS_ADMIN there lets it mount, unshare and
// change the namespace's hostname, never the host's. That is still far more
// than a web server needs, and every capability is code in the kernel that a
// bug can turn into an escape. So, like docker, the payload keeps a short
// list and loses the rest from its bounding set, which no process below it
// can ever get back (not even a setuid-root program: execve grants root at
// most the bounding set).
//
// Pure functions: the CLI checks the flags with them, the init applies the
// result (src/init/capabilities.ts, src/syscalls/capabilities.ts).

/** Every capability the kernel has, by number (<linux/capability.h>); the kernel's last is in /proc/sys/kernel/cap_last_cap. */
export const CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW',
  'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD',
  'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG',
  'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
] as const;

/**
 * docker's default set: enough for what images do as root while they set
 * themselves up (chown files, bind port 80, switch to a service user, ping),
 * nothing that changes the system around them (SYS_ADMIN, NET_ADMIN, SYS_PTRACE, …).
 */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

/** CAP_NET_ADMIN from "NET_ADMIN", "net_admin" or "CAP_NET_ADMIN", as docker accepts them; "ALL" stays "ALL". */
export function normalizeCapability(value: string, flag: string): string {
  const upper = value.trim().toUpperCase();
  if (upper === 'ALL') return 'ALL';
  const name = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
  if (!(CAPABILITIES as readonly string[]).includes(name)) {
    throw new Error(`${flag}: unknown capability "${value}" (e.g. NET_ADMIN, SYS_PTRACE, or ALL)`);
  }
  return name;
}

export interface CapabilityFlags {
  capAdd?: string[];
  capDrop?: string[];
  privileged?: boolean;
}

/**
 * The capabilities the payload keeps, in the kernel's order. docker's rules:
 * --privileged or --cap-add ALL start from every capability (minus
 * --cap-drop); --cap-drop ALL keeps only --cap-add; otherwise the default
 * set minus --cap-drop plus --cap-add (an add wins over a drop of the same).
 */
export function planCapabilities(flags: CapabilityFlags): string[] {
  // Values may be comma-separated too: --cap-add NET_ADMIN,SYS_TIME.
  const split = (values: string[] | undefined, flag: string) =>
    (values ?? []).flatMap((value) => value.split(',')).filter((value) => value.trim() !== '').map((value) => normalizeCapability(value, flag));
  const add = split(flags.capAdd, '--cap-add');
  const drop = split(flags.capDrop, '--cap-drop');
  let kept: string[];
  if (flags.privileged || add.includes('ALL')) kept = CAPABILITIES.filter((cap) => !drop.includes(cap));
  else if (drop.includes('ALL')) kept = add;
  else kept = [...DEFAULT_CAPABILITIES.filter((cap) => !drop.includes(cap)), ...add];
  return CAPABILITIES.filter((cap) => kept.includes(cap));
}

/** The capabilities' bit mask as /proc/PID/status prints it (CapEff: 00000000a80425fb for docker's default). */
export function capabilityMask(names: readonly string[]): bigint {
  return names.reduce((mask, name) => mask | (1n << BigInt(capabilityNumber(name))), 0n);
}

export function capabilityNumber(name: string): number {
  const number = (CAPABILITIES as readonly string[]).indexOf(name);
  if (number === -1) throw new Error(`unknown capability ${name}`);
  return number;
}
