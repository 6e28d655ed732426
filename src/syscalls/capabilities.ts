// Typed wrappers for the capability sets of the calling thread (chapter 11).
//
// Capabilities belong to a thread, not a process: Node's other threads keep
// theirs. That is enough for us, because the thread that drops them is the
// one that calls execve, and execve ends every other thread.
import { readFileSync } from 'node:fs';
import { check } from './errors.js';
import { libc } from './libc.js';
import {
  LINUX_CAPABILITY_VERSION_3, PR_CAPBSET_DROP, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, PR_SET_KEEPCAPS, PR_SET_NO_NEW_PRIVS,
} from './constants.js';

/** The highest capability number this kernel knows (a newer list than the kernel's would make prctl fail with EINVAL). */
export function lastCapability(): number {
  return Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'));
}

/**
 * Shell: setpriv --bounding-set -all,+chown,… — remove every capability not
 * in KEEP (numbers) from the bounding set. Needs CAP_SETPCAP, and there is
 * no way back: the bounding set only ever shrinks, and execve gives even
 * root no more than what is left in it.
 */
export function limitBoundingSet(keep: ReadonlySet<number>): void {
  const last = lastCapability();
  for (let cap = 0; cap <= last; cap++) {
    if (!keep.has(cap)) check(libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0), 'prctl', `PR_CAPBSET_DROP, ${cap}`);
  }
}

interface CapabilitySets {
  effective: bigint;
  permitted: bigint;
  inheritable: bigint;
}

/** Shell: grep ^Cap /proc/self/status (for this thread). */
export function getCapabilities(): CapabilitySets {
  const header = new Uint32Array([LINUX_CAPABILITY_VERSION_3, 0]);
  const data = new Uint32Array(6);
  check(libc.capget(header, data), 'capget', 'self');
  const join = (low: number, high: number) => (BigInt(high) << 32n) | BigInt(low);
  return { effective: join(data[0], data[3]), permitted: join(data[1], data[4]), inheritable: join(data[2], data[5]) };
}

/** Shell: setpriv --inh-caps … (and the effective set): the kernel refuses anything not already permitted. */
export function setCapabilities(sets: CapabilitySets): void {
  const header = new Uint32Array([LINUX_CAPABILITY_VERSION_3, 0]);
  const low = (mask: bigint) => Number(mask & 0xffffffffn);
  const high = (mask: bigint) => Number(mask >> 32n);
  const data = new Uint32Array([
    low(sets.effective), low(sets.permitted), low(sets.inheritable),
    high(sets.effective), high(sets.permitted), high(sets.inheritable),
  ]);
  check(libc.capset(header, data), 'capset', 'self');
}

/** Shell: setpriv --ambient-caps -all. Ambient capabilities survive execve for non-root users; the payload gets none. */
export function clearAmbientCapabilities(): void {
  check(libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), 'prctl', 'PR_CAP_AMBIENT_CLEAR_ALL');
}

/**
 * setuid from 0 to another id empties the permitted set (the kernel's
 * "root is special" rule) unless this flag is set; execve clears it again.
 */
export function keepCapabilitiesAcrossSetuid(): void {
  check(libc.prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0), 'prctl', 'PR_SET_KEEPCAPS');
}

/** Shell: setpriv --no-new-privs — setuid bits and file capabilities stop working for this process and all it starts. */
export function setNoNewPrivileges(): void {
  check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 'prctl', 'PR_SET_NO_NEW_PRIVS');
}
