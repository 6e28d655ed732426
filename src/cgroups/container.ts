// Chapter 6 — a cgroup of the container's own, made by the supervisor.
//
//   OWN/                      our delegated cgroup (detect.ts)
//   OWN/cgroup.subtree_control   "+cpu +cpuset +io +memory +pids": children get these
//   OWN/leaf/                 our own processes, if OWN had any (see below)
//   OWN/cellblock-<id>/       the container: limits written here, then its init moved in
//
// The order matters:
//   - cgroup v2's "no internal processes" rule: a cgroup that hands
//     controllers to children (subtree_control) may not hold processes
//     itself (the root excepted). If our own cgroup holds our shell and us,
//     enabling controllers fails with EBUSY — so we first move every process
//     in it to a child, "leaf" (podman does the same);
//   - the limits are written BEFORE the init is moved in, and the init is
//     moved in before it is told "go" (src/runtime/run.ts): the payload never
//     runs a single instruction outside its limits;
//   - a cgroup can only be removed once empty, and "empty" is only certain
//     when cgroup.events says "populated 0" (a process that exited is still
//     being torn down for a moment): we wait for that event, not poll.
import { existsSync, mkdirSync, readFileSync, rmdirSync, watch, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { ResourceLimits } from '../runtime/spec.js';
import { LEAF, detectCgroups, ownCgroup, readControllers, type CgroupSupport } from './detect.js';
import { limitFiles } from './limits.js';
import { keyedValues } from './usage.js';
import { assertEnforceable } from './plan.js';

/** A cgroup file write that fails says which file, what, and the errno name: write(cellblock-1f2e/memory.max): EINVAL. */
function writeCgroupFile(dir: string, file: string, value: string): void {
  try {
    // One write(2) per value: cgroup files take a whole value per write.
    writeFileSync(join(dir, file), value);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new Error(`write(${basename(dir)}/${file}, "${value}"): ${code}`);
  }
}

const readCgroupFile = (dir: string, file: string): string => readFileSync(join(dir, file), 'utf8');

/** "key value" lines (cgroup.events, memory.events) as numbers. */
const readFlatKeyed = (dir: string, file: string): Map<string, number> => keyedValues(readCgroupFile(dir, file));

export class ContainerCgroup {
  private constructor(readonly path: string) {}

  /** The cgroup of a container that already has one (a record's `cgroup`), to kill or remove. */
  static at(path: string): ContainerCgroup {
    return new ContainerCgroup(path);
  }

  /**
   * Make OWN/cellblock-<ID> with LIMITS written into it. Throws a one-line
   * Error when a limit cannot be set (nothing is left behind then).
   */
  static create(support: CgroupSupport, id: string, limits: ResourceLimits): ContainerCgroup {
    assertEnforceable(support, limits);
    if (!support.delegated) throw new Error(`no cgroup for the container: ${support.problem}`);
    const parent = support.ownDir!;
    enableControllers(parent, support.own === '/');
    const path = join(parent, `cellblock-${id.slice(0, 12)}`);
    makeFreshDir(path);
    const cgroup = new ContainerCgroup(path);
    try {
      checkCpuset(parent, limits.cpusetCpus);
      for (const [file, value] of limitFiles(limits, (name) => existsSync(join(path, name)))) writeCgroupFile(path, file, value);
    } catch (error) {
      rmdirSync(path);
      throw error;
    }
    return cgroup;
  }

  /** Move process PID (the container's init, still waiting for "go") in. Shell: echo PID > cgroup.procs */
  enter(pid: number): void {
    writeCgroupFile(this.path, 'cgroup.procs', String(pid));
  }

  /**
   * SIGKILL every process in the cgroup at once: cgroup.kill (Linux 5.14)
   * does it in the kernel, so a process forking as fast as it can cannot
   * slip out between "list the processes" and "kill them". Without it:
   * freeze the cgroup first (no process can run, so none can fork), kill
   * the frozen ones, thaw so they can die.
   */
  killAll(): void {
    try {
      if (existsSync(join(this.path, 'cgroup.kill'))) {
        writeCgroupFile(this.path, 'cgroup.kill', '1');
        return;
      }
      writeCgroupFile(this.path, 'cgroup.freeze', '1');
      for (const pid of readCgroupFile(this.path, 'cgroup.procs').split('\n').filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // exited meanwhile
        }
      }
      writeCgroupFile(this.path, 'cgroup.freeze', '0');
    } catch {
      // The cgroup is gone already: so are its processes.
    }
  }

  /** Whether the kernel's OOM killer killed a process in here (memory.events "oom_kill N"). */
  oomKilled(): boolean {
    try {
      return (readFlatKeyed(this.path, 'memory.events').get('oom_kill') ?? 0) > 0;
    } catch {
      return false; // no memory controller: no memory limit to be killed for
    }
  }

  /** Remove the cgroup once its last process is gone (cgroup.events "populated 0"). */
  async remove(timeoutMs = 10_000): Promise<void> {
    if (!existsSync(this.path)) return;
    await waitUntilEmpty(this.path, timeoutMs);
    try {
      rmdirSync(this.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`rmdir(${this.path}): ${(error as NodeJS.ErrnoException).code}`);
    }
  }
}

/**
 * Move process PID into the cgroup we are in. exec's init
 * (src/runtime/exec-init.ts) joins a container's cgroup only so that the
 * command is born there; cellblock exec then takes it back out, so that its
 * own threads stop counting against the container's limits. If that cannot
 * be done (it has just exited: ESRCH), it stays: counted, but harmless.
 * Shell: echo PID > /sys/fs/cgroup/$(our cgroup)/cgroup.procs
 */
export function moveBesideUs(pid: number): void {
  const { mountPoint } = detectCgroups();
  if (mountPoint === undefined) return;
  try {
    writeFileSync(join(mountPoint, ownCgroup(), 'cgroup.procs'), String(pid));
  } catch {
    // As above: it keeps counting in the container's cgroup until it exits with the command.
  }
}

/**
 * Let children of PARENT use our controllers. If PARENT holds processes
 * (ours: the shell, this supervisor) the kernel refuses (EBUSY), so they
 * move to PARENT/leaf first — once: from then on our processes are in the
 * leaf, and detect.ts names PARENT, not the leaf, as the place for containers. The
 * root cgroup is exempt from the rule (ROOT).
 */
function enableControllers(parent: string, root: boolean): void {
  const wanted = readControllers(parent);
  const enabled = readCgroupFile(parent, 'cgroup.subtree_control').trim().split(/\s+/);
  const missing = wanted.filter((c) => !enabled.includes(c));
  if (missing.length === 0) return;
  if (!root) moveProcessesToLeaf(parent);
  writeCgroupFile(parent, 'cgroup.subtree_control', missing.map((c) => `+${c}`).join(' '));
}

function moveProcessesToLeaf(parent: string): void {
  const leaf = join(parent, LEAF);
  mkdirSync(leaf, { recursive: true });
  // A process may fork while we move its siblings: go round until none is left (a few rounds at most).
  for (let round = 0; round < 10; round++) {
    const pids = readCgroupFile(parent, 'cgroup.procs').split('\n').filter(Boolean);
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        writeFileSync(join(leaf, 'cgroup.procs'), pid);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw new Error(`write(${LEAF}/cgroup.procs, "${pid}"): ${(error as NodeJS.ErrnoException).code}`);
      }
    }
  }
}

/** A leftover of a supervisor killed mid-way is reused if empty; never one with processes. */
function makeFreshDir(path: string): void {
  try {
    mkdirSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`mkdir(${path}): ${(error as NodeJS.ErrnoException).code}`);
    if (readFlatKeyed(path, 'cgroup.events').get('populated')) throw new Error(`${path} exists and still has processes`);
  }
}

/** --cpuset-cpus may only name CPUs our own cgroup has: say which, as docker does. */
function checkCpuset(parent: string, requested: string | undefined): void {
  if (requested === undefined) return;
  const effective = readCgroupFile(parent, 'cpuset.cpus.effective').trim();
  const available = cpuList(effective);
  const missing = [...cpuList(requested)].filter((cpu) => !available.has(cpu));
  if (missing.length) throw new Error(`--cpuset-cpus ${requested}: CPUs ${missing.join(',')} are not available (available: ${effective})`);
}

/** "0-2,4" → {0,1,2,4} */
function cpuList(text: string): Set<number> {
  const cpus = new Set<number>();
  for (const part of text.split(',').filter(Boolean)) {
    const [from, to = from] = part.split('-').map(Number);
    for (let cpu = from; cpu <= to; cpu++) cpus.add(cpu);
  }
  return cpus;
}

/** Resolve once cgroup.events says "populated 0": the kernel notifies a watcher of that file when it changes. */
function waitUntilEmpty(path: string, timeoutMs: number): Promise<void> {
  const events = join(path, 'cgroup.events');
  const empty = () => {
    try {
      return !readFlatKeyed(path, 'cgroup.events').get('populated');
    } catch {
      return true; // gone already
    }
  };
  if (empty()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const watcher = watch(events);
    const timer = setTimeout(() => {
      watcher.close();
      reject(new Error(`${path}: processes still in it after ${timeoutMs / 1000} s`));
    }, timeoutMs);
    const check = () => {
      if (!empty()) return;
      clearTimeout(timer);
      watcher.close();
      resolve();
    };
    watcher.on('change', check);
    watcher.on('error', check);
    check(); // it may have emptied between the first look and the watch
  });
}
