// cellblock info — what this host gives a rootless container runtime: the
// kernel, the id map, the storage, and (chapter 6) whether cgroups can limit
// containers here, and if not, why.
import { readFileSync } from 'node:fs';
import { availableParallelism, release, totalmem } from 'node:os';
import { detectCgroups, type CgroupSupport } from '../cgroups/detect.js';
import { planIdMap, type IdRange } from '../userns/idmap.js';
import { dataDir, runtimeDir } from '../runtime/paths.js';
import { EXIT_RUNTIME_FAILED } from '../runtime/exit-status.js';
import { parseTemplate, render, TemplateError } from './template.js';

/** docker info's field names where docker has one; cellblock's own otherwise. */
export function hostInfo() {
  const cgroups = detectCgroups();
  const idMap = planIdMap(undefined);
  return {
    ServerVersion: '0.1.0',
    NodeVersion: process.version,
    KernelVersion: release(),
    OperatingSystem: operatingSystem(),
    NCPU: availableParallelism(),
    MemTotal: totalmem(),
    Rootless: process.getuid!() !== 0,
    // inside:outside:count, as podman info shows its id mappings.
    IdMap: { Mode: idMap.mode, Uid: ranges(idMap.uidMap), Gid: ranges(idMap.gidMap) },
    // docker says "1" or "2"; a hybrid host is "1" to docker (its controllers are v1).
    CgroupVersion: cgroups.version === 'v2' ? '2' : cgroups.version === 'none' ? '' : '1',
    CgroupDriver: cgroups.delegated ? 'cgroupfs' : 'none',
    Cgroups: cgroupsJson(cgroups),
    DataDir: dataDir(),
    RuntimeDir: runtimeDir(),
  };
}

function cgroupsJson(support: CgroupSupport) {
  return {
    Hierarchy: support.version,
    Mount: support.mountPoint ?? '',
    Own: support.own ?? '',
    Delegated: support.delegated,
    Controllers: support.controllers,
    Problem: support.problem ?? '',
  };
}

export function info(options: { format?: string }): void {
  const data = hostInfo();
  if (options.format === 'json') {
    process.stdout.write(`${JSON.stringify(data)}\n`);
    return;
  }
  if (options.format !== undefined) {
    try {
      process.stdout.write(`${render(parseTemplate(options.format), data)}\n`);
    } catch (error) {
      if (error instanceof TemplateError) throw Object.assign(new Error(`invalid --format ${JSON.stringify(options.format)}: ${error.message}`), { exitCode: EXIT_RUNTIME_FAILED });
      throw error;
    }
    return;
  }
  const cg = data.Cgroups;
  const hierarchy = {
    v2: 'v2 (the unified hierarchy)',
    hybrid: 'hybrid (v1 controllers, plus an empty cgroup2 tree)',
    v1: 'v1 only',
    none: 'none mounted',
  }[cg.Hierarchy];
  const lines = [
    `cellblock ${data.ServerVersion} on node ${data.NodeVersion}`,
    'Host:',
    ` Kernel: ${data.KernelVersion}`,
    ` Operating system: ${data.OperatingSystem}`,
    ` CPUs: ${data.NCPU}`,
    ` Memory: ${(data.MemTotal / 2 ** 30).toFixed(1)}GiB`,
    'Rootless:',
    ` User: uid ${process.getuid!()}${data.Rootless ? '' : ' (root: containers still get a user namespace)'}`,
    ` Id map (${data.IdMap.Mode}): uid ${data.IdMap.Uid}, gid ${data.IdMap.Gid}`,
    'Cgroups:',
    ` Version: ${hierarchy}`,
    ...(cg.Mount ? [` cgroup2 mount: ${cg.Mount}`, ` Own cgroup: ${cg.Own}`] : []),
    ` Delegated: ${cg.Delegated ? 'yes' : 'no'}`,
    ` Controllers: ${cg.Controllers.length ? cg.Controllers.join(' ') : 'none'}`,
    ` Resource limits: ${cg.Delegated ? 'yes' : `no: ${cg.Problem}`}`,
    'Storage:',
    ` Data dir: ${data.DataDir}`,
    ` Runtime dir: ${data.RuntimeDir}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

const ranges = (map: IdRange[]): string => map.map((r) => `${r.inside}:${r.outside}:${r.count}`).join(', ');

/** PRETTY_NAME of /etc/os-release, as docker shows it. */
function operatingSystem(): string {
  try {
    return /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? 'Linux';
  } catch {
    return 'Linux';
  }
}
