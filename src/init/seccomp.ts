// Chapter 11 — seccomp: a filter on every system call the payload will make.
import { release } from 'node:os';
import { planSeccomp } from '../security/seccomp-profile.js';
import { defaultSeccompProfile } from '../security/default-seccomp.js';
import { compileSeccompFilter, loadSeccompFilter, type CompiledSeccompFilter } from '../syscalls/libseccomp.js';
import { getCapabilities, setCapabilities } from '../syscalls/index.js';
import type { ContainerSpec } from '../runtime/spec.js';
import type { InitStep } from './pipeline.js';

export type CompiledSeccomp = CompiledSeccompFilter;

/** Both steps run for a container with a filter: docker's, or a profile of its own. */
const hasFilter = (spec: ContainerSpec): boolean => spec.security !== undefined && spec.security.seccomp !== 'unconfined';

export const compileSeccomp: InitStep = {
  name: 'compile-seccomp',
  chapter: 11,
  summary: 'unless seccomp=unconfined: libseccomp turns the profile into a BPF program, in our memory (no system call)',
  applies: hasFilter,
  // Before pivot_root, like every step that needs the host: libseccomp was
  // loaded from the host's /usr/lib with this module, and building the BPF
  // program is the library's work, in our memory.
  run(ctx) {
    const security = ctx.spec.security!;
    const { seccomp } = security;
    if (seccomp === 'unconfined') return; // (applies() said so already)
    const profile = seccomp === 'default' ? defaultSeccompProfile : seccomp.profile;
    // docker's profile allows some calls only with a capability (mount with
    // CAP_SYS_ADMIN, ptrace with CAP_SYS_PTRACE): the plan is made for the
    // capabilities this container keeps, and for this machine and kernel.
    const plan = planSeccomp(profile, { capabilities: security.capabilities, arch: process.arch, kernel: release() });
    // no_new_privs is the no-new-privileges step's to set, when asked: libseccomp must not set it on its own.
    ctx.seccomp = compileSeccompFilter(plan, { noNewPrivileges: false });
  },
};

export const loadSeccomp: InitStep = {
  name: 'load-seccomp',
  chapter: 11,
  summary: 'unless seccomp=unconfined: the kernel loads the filter, and checks every system call from here on',
  applies: hasFilter,
  run(ctx) {
    // The kernel loads a filter for a process that has no_new_privs or
    // CAP_SYS_ADMIN in its user namespace. A non-root init has it only in
    // its permitted set (limit-capabilities asked to keep it across
    // setuid): raise it into the effective set for this one call. execve
    // clears it again for a non-root payload.
    const sets = getCapabilities();
    setCapabilities({ ...sets, effective: sets.permitted });
    // From here to execve, every call must pass the filter: exec-payload
    // makes only ones docker's profile allows (fcntl, close_range, write,
    // rt_sigaction, rt_sigprocmask, execve) — a profile of your own must allow them too.
    loadSeccompFilter(ctx.seccomp!);
  },
};
