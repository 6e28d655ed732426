// Step 3: what runs inside the new namespaces, as a list of named steps.
//
// Each step is one idea and names the chapter that explains it. The order is
// not the chapters' order, because the kernel imposes its own:
//   - /proc, /dev and /sys are mounted BEFORE pivot_root, while the host's
//     files are still reachable (binds need a source) and a full /proc is
//     still visible (the kernel refuses a new proc mount in a user namespace
//     that cannot already see one: "mount_too_revealing");
//   - the cgroup namespace is made after "go" (the supervisor has moved us
//     into the container's cgroup by then: that cgroup becomes its root);
//   - volumes get the image's content before anything is mounted on the
//     root, and are mounted after /dev and /sys, so that a volume or tmpfs
//     under /dev lands on the container's /dev, not under it;
//   - the hostname and user are set AFTER pivot_root, so /etc/passwd is read
//     from the container's root, not the host's;
//   - /proc and /sys are masked after pivot_root, where /dev/null is the container's;
//   - capabilities are cut before switch-user (dropping them needs
//     CAP_SETPCAP, which a non-root user has lost), and seccomp is loaded
//     after it, as late as it can be: every call the steps make after it
//     must pass the filter;
//   - execve is last: it replaces this Node process with the payload.
import type { ContainerSpec } from '../runtime/spec.js';
import type { Explainer } from './explain.js';
import { mountOverlay } from '../overlay/mount.js';
import { mountCgroup } from './cgroup.js';
import { openConsole } from './console.js';
import { execPayload } from './exec.js';
import { mountDev } from './dev.js';
import { bindNetworkFiles, bringUpLoopback } from './network.js';
import { mountInit, mountProc } from './proc.js';
import { bindRootfs, makeMountsPrivate, mountSys, pivotRoot, readOnlyRoot } from './rootfs.js';
import { switchUser } from './user.js';
import { limitCapabilities, noNewPrivileges } from './capabilities.js';
import { maskPaths } from './masked-paths.js';
import { compileSeccomp, loadSeccomp, type CompiledSeccomp } from './seccomp.js';
import { mountMqueue, setHostname } from './uts-ipc.js';
import { copyUpVolumes, mountVolumes } from './volumes.js';

export interface InitContext {
  readonly spec: ContainerSpec;
  /** Where the container's root is: its host path before pivot_root, "/" after. */
  root: string;
  /** Environment of the payload; switch-user may add HOME. */
  env: string[];
  /** With -t: the slave side of the container's terminal, for the payload's stdio (open-console). */
  console?: number;
  /** The seccomp filter, built by compile-seccomp while the host's libseccomp is reachable, loaded by load-seccomp. */
  seccomp?: CompiledSeccomp;
}

export interface InitStep {
  readonly name: string;
  /** The chapter in chapters/ that explains this step. */
  readonly chapter: number;
  /** What it does, in one line for a newcomer (run --explain prints it); a step that does not always apply starts with when it does. */
  readonly summary: string;
  /** Steps that only apply to some containers (e.g. --read-only) say when. */
  readonly applies?: (spec: ContainerSpec) => boolean;
  run(ctx: InitContext): void;
}

export const pipeline: readonly InitStep[] = [
  makeMountsPrivate,
  mountOverlay,
  bindRootfs,
  copyUpVolumes,
  mountProc,
  mountDev,
  openConsole,
  mountInit,
  mountMqueue,
  mountSys,
  mountCgroup,
  bindNetworkFiles,
  mountVolumes,
  compileSeccomp,
  pivotRoot,
  readOnlyRoot,
  maskPaths,
  bringUpLoopback,
  setHostname,
  limitCapabilities,
  switchUser,
  noNewPrivileges,
  loadSeccomp,
  execPayload,
];

/**
 * Run every step in order. On success the last step never returns. EXPLAIN
 * (run --explain, src/init/explain.ts) hears of each step before it runs,
 * and of each one skipped, so that the whole list is told in order.
 */
export function runPipeline(spec: ContainerSpec, explain?: Explainer): void {
  const ctx: InitContext = { spec, root: spec.rootfs, env: [...spec.env] };
  for (const step of pipeline) {
    const applies = !step.applies || step.applies(spec);
    explain?.step(step, applies);
    if (applies) step.run(ctx);
  }
}
