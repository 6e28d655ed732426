// Chapter 6 — can this user set resource limits here at all?
//
// cgroup v2 is one tree (the "unified hierarchy") mounted once, usually at
// /sys/fs/cgroup. Every process sits in exactly one cgroup of it, named by
// the "0::/path" line of /proc/self/cgroup. An unprivileged user can make a
// cgroup for a container only inside a subtree that was DELEGATED to them:
// their own cgroup's directory and its cgroup.procs and
// cgroup.subtree_control files belong to them (systemd does this for
// user@UID.service), and the controllers they need (memory, cpu, …) are
// listed in its cgroup.controllers.
//
// Many machines are not like that: "hybrid" hosts mount the v1 controllers
// as separate trees and keep an empty cgroup2 tree beside them at
// /sys/fs/cgroup/unified; old ones have v1 only. Rootless limits cannot work
// there, and we say so in one line rather than pretend.
import { accessSync, constants, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** The controllers cellblock uses (cpu, cpuset, io, memory, pids): the rest it leaves alone. */
export const CONTROLLERS = ['cpu', 'cpuset', 'io', 'memory', 'pids'] as const;
export type Controller = (typeof CONTROLLERS)[number];

export interface CgroupSupport {
  /** v2: the unified hierarchy at /sys/fs/cgroup; hybrid: v1 controllers plus an empty cgroup2 tree; v1 only; none at all. */
  version: 'v2' | 'hybrid' | 'v1' | 'none';
  /** Where the cgroup2 tree is mounted, when it is. */
  mountPoint?: string;
  /**
   * Our own cgroup, as /proc/self/cgroup names it ("/user.slice/…"), and its
   * directory: where containers' cgroups are made. (When we are in the leaf
   * cellblock made, its parent: see containersParent.)
   */
  own?: string;
  ownDir?: string;
  /** We may create cgroups below our own and move processes into them. */
  delegated: boolean;
  /** Controllers our own cgroup can hand down to children (its cgroup.controllers), of CONTROLLERS. */
  controllers: Controller[];
  /** Why containers cannot have cgroups here, and what would fix it: one line. */
  problem?: string;
}

const DELEGATE_FIX = 'systemd gives each user a delegated subtree (user@UID.service); cpu, cpuset and io need `Delegate=cpu cpuset io memory pids` in /etc/systemd/system/user@.service.d/delegate.conf';

/** Look at /proc/self/mountinfo and /proc/self/cgroup: no writes, a few small reads. */
export function detectCgroups(): CgroupSupport {
  const mounts = cgroupMounts();
  const unified = mounts.find((m) => m.type === 'cgroup2');
  const hasV1 = mounts.some((m) => m.type === 'cgroup');
  if (!unified) {
    return hasV1
      ? { version: 'v1', delegated: false, controllers: [], problem: 'this host has cgroups v1 only, and rootless containers can only be limited with cgroup v2 (boot with systemd.unified_cgroup_hierarchy=1)' }
      : { version: 'none', delegated: false, controllers: [], problem: 'no cgroup2 filesystem is mounted (mount -t cgroup2 none /sys/fs/cgroup)' };
  }
  const own = containersParent(unified.mountPoint, ownCgroup());
  const ownDir = join(unified.mountPoint, own);
  const base = { mountPoint: unified.mountPoint, own, ownDir };
  if (hasV1) {
    // On a hybrid host the controllers live in the v1 trees, so the cgroup2
    // tree has none of the ones we use (its root's cgroup.controllers is
    // empty, or lists a stray one such as hugetlb).
    return {
      version: 'hybrid', ...base, delegated: false, controllers: [],
      problem: `this host has hybrid cgroups (v1 controllers; the cgroup2 tree at ${unified.mountPoint} has none of cpu, io, memory, pids): resource limits are not supported on cgroups v1 rootless systems (boot with systemd.unified_cgroup_hierarchy=1)`,
    };
  }
  const controllers = readControllers(ownDir);
  if (!writable(ownDir, 'cgroup.procs') || !writable(ownDir, 'cgroup.subtree_control') || !writable(ownDir, '.')) {
    // A login shell (ssh, a console) sits in session-N.scope, which is root's
    // however systemd is configured: only the user manager's subtree is ours.
    const fix = /\/session-[^/]+\.scope$/.test(own)
      ? 'it is a login session\'s scope, which belongs to root; run cellblock under your systemd user manager instead: systemd-run --user --scope -p Delegate=yes cellblock run …'
      : DELEGATE_FIX;
    return { version: 'v2', ...base, delegated: false, controllers, problem: `your cgroup ${own} is not delegated to you (you cannot write its cgroup.procs and cgroup.subtree_control): ${fix}` };
  }
  return { version: 'v2', ...base, delegated: true, controllers };
}

/** Why CONTROLLER cannot be used, for the flag that needs it; undefined when it can. */
export function controllerProblem(support: CgroupSupport, controller: Controller): string | undefined {
  if (support.problem) return support.problem;
  if (support.controllers.includes(controller)) return undefined;
  const have = support.controllers.length ? support.controllers.join(' ') : 'none';
  return `the ${controller} controller is not delegated to you (your cgroup ${support.own} has: ${have}): ${DELEGATE_FIX}`;
}

interface CgroupMount {
  type: 'cgroup' | 'cgroup2';
  mountPoint: string;
}

/**
 * The cgroup filesystems mounted in our mount namespace. A mountinfo line:
 * `41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw`:
 * the 4th field is the mount's root inside its filesystem (we only want
 * whole trees, "/"), the 5th where it is mounted, and the one after "-" the type.
 */
function cgroupMounts(): CgroupMount[] {
  const found: CgroupMount[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const fields = line.split(' ');
    const type = fields[fields.indexOf('-') + 1];
    if ((type === 'cgroup' || type === 'cgroup2') && fields[3] === '/') found.push({ type, mountPoint: unescapeMountPath(fields[4]) });
  }
  // The conventional place first: a second cgroup2 mount elsewhere is someone's experiment.
  return found.sort((a, b) => Number(b.mountPoint === '/sys/fs/cgroup') - Number(a.mountPoint === '/sys/fs/cgroup'));
}

/** mountinfo writes space, tab, newline and backslash in paths as \040-style octal escapes. */
function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/**
 * Where containers' cgroups go: our own cgroup — unless that is the leaf
 * cellblock itself moved us into (src/cgroups/container.ts): the shell that
 * ran the first container lives there now, and its next container belongs
 * beside the first, not one level deeper ("leaf/leaf/…") each time.
 */
function containersParent(mountPoint: string, own: string): string {
  if (basename(own) !== LEAF || own === `/${LEAF}`) return own;
  const parent = dirname(own);
  return writable(join(mountPoint, parent), 'cgroup.subtree_control') ? parent : own;
}

/** The cgroup that holds our own processes once our cgroup hands controllers down (cgroup v2's no-internal-process rule). */
export const LEAF = 'leaf';

/** The "0::/path" line of /proc/self/cgroup: our place in the v2 tree (v1 lines have a number and controller names). */
export function ownCgroup(): string {
  const line = readFileSync('/proc/self/cgroup', 'utf8').split('\n').find((l) => l.startsWith('0::'));
  return line ? line.slice(3) : '/';
}

export function readControllers(dir: string): Controller[] {
  try {
    const listed = readFileSync(join(dir, 'cgroup.controllers'), 'utf8').trim().split(/\s+/);
    return CONTROLLERS.filter((c) => listed.includes(c));
  } catch {
    return [];
  }
}

function writable(dir: string, file: string): boolean {
  try {
    accessSync(join(dir, file), constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
