// Chapter 11 — --cap-add, --cap-drop, --privileged and --security-opt, checked
// on the host and turned into the container's SecuritySpec (what the init
// applies: src/init/capabilities.ts, masked-paths.ts, seccomp.ts).
import type { SecuritySpec } from '../runtime/spec.js';
import { planCapabilities, type CapabilityFlags } from './capabilities.js';
import { readSeccompProfile } from './seccomp-profile.js';

/**
 * docker's masked paths. /proc shows the whole machine's kernel state, not
 * only the container's: kcore is the kernel's memory as an ELF core file,
 * keys the keyrings, timer_list and sched_debug every CPU's timers and tasks
 * (pids and names of the host's processes), acpi and scsi the hardware. They
 * are covered with /dev/null (files) or an empty read-only tmpfs
 * (directories); a path this kernel does not have is skipped.
 */
export const MASKED_PATHS: readonly string[] = [
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats',
  '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];

/**
 * docker's read-only paths: files that are not namespaced, so a write would
 * change the host (/proc/sys/kernel/*, /proc/sysrq-trigger, IRQ affinity) —
 * or would be refused anyway, in which case read-only just says so sooner.
 */
export const READ_ONLY_PATHS: readonly string[] = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export interface SecurityFlags extends CapabilityFlags {
  securityOpt?: string[];
}

/** Check the flags and build the spec; throws a one-line Error naming the bad value. */
export function planSecurity(flags: SecurityFlags): SecuritySpec {
  const security: SecuritySpec = {
    capabilities: planCapabilities(flags),
    noNewPrivileges: false,
    seccomp: 'default',
    maskedPaths: [...MASKED_PATHS],
    readOnlyPaths: [...READ_ONLY_PATHS],
    asked: { capAdd: flags.capAdd ?? [], capDrop: flags.capDrop ?? [], privileged: flags.privileged ?? false, securityOpt: flags.securityOpt ?? [] },
  };
  for (const option of flags.securityOpt ?? []) applyOption(security, option);
  // --privileged: everything the user namespace allows, as docker's --privileged does.
  if (flags.privileged) Object.assign(security, { seccomp: 'unconfined', maskedPaths: [], readOnlyPaths: [] });
  return security;
}

/** docker takes KEY=VALUE and the older KEY:VALUE. */
function applyOption(security: SecuritySpec, option: string): void {
  const at = option.search(/[=:]/);
  const key = at === -1 ? option : option.slice(0, at);
  const value = at === -1 ? undefined : option.slice(at + 1);
  const bad = (why: string) => new Error(`--security-opt ${option}: ${why}`);
  switch (key) {
    case 'no-new-privileges':
      if (value !== undefined && value !== 'true' && value !== 'false') throw bad('expected no-new-privileges, =true or =false');
      security.noNewPrivileges = value !== 'false';
      return;
    case 'seccomp':
      if (!value) throw bad('expected seccomp=unconfined or seccomp=PROFILE.json');
      // The profile is read now, while the user can still be told what is wrong with it, and kept in the record.
      security.seccomp = value === 'unconfined' ? 'unconfined' : { file: value, profile: readSeccompProfile(value) };
      return;
    case 'systempaths':
      if (value !== 'unconfined') throw bad('expected systempaths=unconfined');
      security.maskedPaths = [];
      security.readOnlyPaths = [];
      return;
    // cellblock applies no SELinux label or AppArmor profile, so asking for none is true as it is.
    case 'label':
      if (value !== 'disable') throw bad('cellblock applies no SELinux labels (only label=disable is accepted)');
      return;
    case 'apparmor':
      if (value !== 'unconfined') throw bad('cellblock applies no AppArmor profile (only apparmor=unconfined is accepted)');
      return;
    default:
      throw bad('unknown option (no-new-privileges, seccomp=unconfined|PROFILE.json, systempaths=unconfined)');
  }
}
