// Chapter 6 — before a container is made: will it have a cgroup of its own?
//
// Where cgroups are delegated to us, every container gets one (stats, a
// clean kill and a cgroup namespace come with it, limits or not). Where they
// are not, a limit flag is an error — a limit we could not set must never be
// claimed — and a container without limits runs as before, with one notice.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ResourceLimits } from '../runtime/spec.js';
import { ensureDir, runtimeDir } from '../runtime/paths.js';
import { controllerProblem, detectCgroups, type CgroupSupport } from './detect.js';
import { controllersNeeded, hasLimits } from './limits.js';

/** Whether the container will have a cgroup; throws a one-line Error for a limit this host cannot enforce. */
export function planCgroup(limits: ResourceLimits, notice: (line: string) => void): boolean {
  const support = detectCgroups();
  assertEnforceable(support, limits);
  if (support.delegated) return true;
  if (!hasLimits(limits)) noticeOnce('cgroups', `notice: containers get no cgroup of their own here, so no resource limits: ${support.problem}`, notice);
  return false;
}

/** Throw a one-line Error naming the first limit of LIMITS that SUPPORT cannot enforce, and why. */
export function assertEnforceable(support: CgroupSupport, limits: ResourceLimits): void {
  for (const { controller, flag } of controllersNeeded(limits)) {
    const problem = controllerProblem(support, controller);
    if (problem) throw new Error(`${flag} cannot be enforced: ${problem}`);
  }
}

/**
 * Say LINE once for this user until the next boot: the marker lives in the
 * runtime dir ($XDG_RUNTIME_DIR is a tmpfs), so a user is reminded after a
 * reboot — when the host may have changed — and not on every run.
 */
function noticeOnce(topic: string, line: string, notice: (line: string) => void): void {
  const marker = join(ensureDir(join(runtimeDir(), 'notices')), topic);
  if (existsSync(marker)) return;
  writeFileSync(marker, `${line}\n`);
  notice(line);
}
