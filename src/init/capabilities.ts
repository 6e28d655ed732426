// Chapter 11 — the capabilities the payload keeps.
import { capabilityNumber } from '../security/capabilities.js';
import {
  clearAmbientCapabilities, getCapabilities, keepCapabilitiesAcrossSetuid, limitBoundingSet, setCapabilities, setNoNewPrivileges,
} from '../syscalls/index.js';
import type { InitStep } from './pipeline.js';

export const limitCapabilities: InitStep = {
  name: 'limit-capabilities',
  chapter: 11,
  summary: "the bounding set is cut to the capabilities the payload keeps (docker's 14 by default)",
  applies: (spec) => spec.security !== undefined,
  // Before switch-user: dropping from the bounding set needs CAP_SETPCAP,
  // which a non-root user no longer has.
  run({ spec }) {
    const keep = spec.security!.capabilities;
    // Only the bounding set is cut here. We keep our own effective set for
    // the steps still to come (switch-user needs CAP_SETUID, load-seccomp
    // CAP_SYS_ADMIN); execve then does the rest by the kernel's rules:
    //   root:     permitted = effective = the bounding set (root counts as
    //             holding every file capability, limited by the bounding set);
    //   non-root: permitted = effective = nothing, unless a program file
    //             carries capabilities (setcap), limited by the bounding set.
    // That is exactly docker's: CapBnd = the list, CapEff = the list for root, 0 otherwise.
    // #region exercise: cut the bounding set down to the capabilities to keep, and empty the inheritable and ambient sets
    // Shell: setpriv --bounding-set -all,+chown,+dac_override,… --inh-caps -all --ambient-caps -all
    limitBoundingSet(new Set(keep.map(capabilityNumber)));
    // Inheritable and ambient capabilities would pass through execve on top
    // of the bounding set's rule (ambient ones even to non-root): none.
    setCapabilities({ ...getCapabilities(), inheritable: 0n });
    clearAmbientCapabilities();
    // #endregion
    // switch-user's setuid to a non-root id would empty our permitted set,
    // and load-seccomp still needs CAP_SYS_ADMIN. Keep it until execve,
    // which clears this flag (and, for non-root, the capabilities with it).
    keepCapabilitiesAcrossSetuid();
  },
};

export const noNewPrivileges: InitStep = {
  name: 'no-new-privileges',
  chapter: 11,
  summary: 'with --security-opt no-new-privileges: setuid programs and file capabilities gain nothing any more',
  applies: (spec) => spec.security?.noNewPrivileges ?? false,
  run() {
    // A setuid-root program (su, sudo, passwd) or one with file capabilities
    // (ping) gains nothing at execve from now on, in this process and in
    // every process it starts: the kernel never clears this flag.
    // Shell: setpriv --no-new-privs
    setNoNewPrivileges();
  },
};
