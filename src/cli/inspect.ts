// cellblock inspect — containers (and images) as docker-shaped JSON, or
// through a -f template.
//
// As docker does: a name is looked up as a container first, then as an image;
// the objects found are printed even when some names are not, and each
// missing one is an error line with exit status 1.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { findRecord, type ContainerRecord } from '../runtime/records.js';
import type { ContainerSpec, DeviceRate, NetworkSpec, ResourceLimits, SecuritySpec } from '../runtime/spec.js';
import { hasNetworkNamespace } from '../network/mode.js';
import { isolates, type Namespace } from '../runtime/isolation.js';
import { portMap } from '../network/ports.js';
import { EXIT_RUNTIME_FAILED } from '../runtime/exit-status.js';
import { imageOf, mountsOf } from './container-view.js';
import { parseTemplate, render, TemplateError } from './template.js';

export type InspectType = 'container' | 'image';

/** docker's zero time.Time, which it prints for "never" (a container that never started or finished). */
const ZERO_TIME = '0001-01-01T00:00:00Z';

/** Print what NAMES are; returns the exit status (1 when any was not found). */
export async function inspect(names: string[], options: { format?: string; type?: InspectType }): Promise<number> {
  const json = options.format === 'json'; // docker's -f json: the array on one line
  const template = options.format === undefined || json ? undefined : parseFormat(options.format);
  const found: unknown[] = [];
  const errors: string[] = [];
  for (const name of names) {
    try {
      found.push(await lookUp(name, options.type));
    } catch (error) {
      errors.push((error as Error).message);
    }
  }
  // Rendered in full before anything is printed: a template that fails on
  // one object prints nothing at all.
  let output = (json ? JSON.stringify(found) : JSON.stringify(found, null, 2)) + '\n';
  if (template) {
    try {
      // (Nothing found prints an empty line, as docker's template inspector does.)
      output = found.map((object) => `${render(template, object)}\n`).join('') || '\n';
    } catch (error) {
      throw formatError(options.format!, error);
    }
  }
  process.stdout.write(output);
  for (const message of errors) process.stderr.write(`cellblock: ${message}\n`);
  return errors.length > 0 ? 1 : 0;
}

function parseFormat(format: string) {
  try {
    return parseTemplate(format);
  } catch (error) {
    throw formatError(format, error);
  }
}

function formatError(format: string, error: unknown): Error {
  return error instanceof TemplateError ? Object.assign(new Error(`invalid -f ${JSON.stringify(format)}: ${error.message}`), { exitCode: EXIT_RUNTIME_FAILED }) : (error as Error);
}

async function lookUp(name: string, type: InspectType | undefined): Promise<unknown> {
  if (type !== 'image') {
    try {
      return containerJson(findRecord(name));
    } catch (error) {
      const missing = (error as Error).message.startsWith('no such container');
      if (!missing || type === 'container') throw error;
    }
  }
  const { describeImage } = await import('./images.js');
  const image = describeImage(name);
  if (image) return image;
  throw new Error(`no such ${type ?? 'object'}: ${name}`);
}

/** RECORD in the shape of `docker container inspect`. */
export function containerJson(record: ContainerRecord) {
  const { spec } = record;
  const running = record.status === 'running';
  const entrypoint = record.entrypoint ?? [];
  const image = imageOf(record);
  const overlay = spec.overlay;
  return {
    Id: record.id,
    Created: record.created,
    Path: record.command[0],
    Args: record.command.slice(1),
    State: {
      Status: record.status,
      Running: running,
      Paused: false,
      Restarting: false,
      OOMKilled: record.oomKilled ?? false,
      Dead: false,
      Pid: running ? record.pid ?? 0 : 0,
      ExitCode: record.exitCode ?? 0,
      Error: record.error ?? '',
      StartedAt: record.startedAt ?? ZERO_TIME,
      FinishedAt: record.finishedAt ?? ZERO_TIME,
    },
    Image: image.id,
    Name: `/${record.name}`,
    RestartCount: 0,
    Driver: graphDriver(record),
    Mounts: mountsOf(record),
    Config: {
      Hostname: spec.hostname,
      User: spec.user.group === undefined ? spec.user.user : `${spec.user.user}:${spec.user.group}`,
      Env: spec.env,
      Cmd: record.command.slice(entrypoint.length),
      // A --rootfs container has no image: ps shows its directory in the IMAGE column, and so does this.
      Image: record.image ?? record.rootfs,
      WorkingDir: spec.workdir,
      Entrypoint: entrypoint.length > 0 ? entrypoint : null,
      Tty: spec.tty !== undefined,
      OpenStdin: record.openStdin ?? false,
      Labels: image.labels,
    },
    HostConfig: {
      AutoRemove: record.autoRemove,
      ReadonlyRootfs: spec.readOnly,
      Init: spec.init !== undefined,
      ...resourcesJson(spec.resources ?? {}),
      // Where its limits live while it runs (docker has no such field; "" when it has no cgroup).
      CgroupParent: record.cgroup ? dirname(record.cgroup) : '',
      Cgroupns: cgroupnsMode(spec),
      ...namespaceModes(spec),
      ...hostNetworkJson(spec.network),
      ...securityJson(spec.security),
    },
    NetworkSettings: networkSettingsJson(record, running),
    GraphDriver: {
      Name: graphDriver(record),
      Data: overlay
        ? { LowerDir: overlay.lower.map((layer) => join(overlay.layersDir, layer)).join(':'), UpperDir: overlay.upper, WorkDir: overlay.work, MergedDir: spec.rootfs }
        : null,
    },
  };
}

/** A cgroup namespace comes with a cgroup of its own (chapter 06), and not with --no-isolate=cgroup. */
const cgroupnsMode = (spec: ContainerSpec) => (spec.cgroupNamespace && isolates(spec, 'cgroup') ? 'private' : 'host');

/**
 * The namespaces it shares with the host (src/runtime/isolation.ts), in
 * docker's HostConfig words: "host" for shared, docker's own default for not.
 */
function namespaceModes(spec: ContainerSpec) {
  const mode = (namespace: Namespace, own: string) => (isolates(spec, namespace) ? own : 'host');
  return { PidMode: mode('pid', ''), UTSMode: mode('uts', ''), IpcMode: mode('ipc', 'private'), CgroupnsMode: cgroupnsMode(spec), UsernsMode: mode('user', '') };
}

/** The limits as docker's HostConfig shows them: 0 (or empty) for "not set". */
function resourcesJson(limits: ResourceLimits) {
  const rates = (list: DeviceRate[] | undefined) => list?.map(({ path, rate }) => ({ Path: path, Rate: rate })) ?? null;
  return {
    Memory: limits.memory ?? 0,
    // docker's default with --memory alone: as much swap as memory.
    MemorySwap: limits.memorySwap ?? (limits.memory === undefined ? 0 : limits.memory * 2),
    MemoryReservation: limits.memoryReservation ?? 0,
    NanoCpus: limits.nanoCpus ?? 0,
    CpuShares: limits.cpuShares ?? 0,
    CpusetCpus: limits.cpusetCpus ?? '',
    PidsLimit: limits.pidsLimit ?? null,
    BlkioWeight: limits.blkioWeight ?? 0,
    BlkioDeviceReadBps: rates(limits.deviceReadBps),
    BlkioDeviceWriteBps: rates(limits.deviceWriteBps),
  };
}

/**
 * How the root filesystem was assembled: the kernel's overlay, or
 * fuse-overlayfs (forced, or the fallback: it leaves its scratch root in the
 * storage dir), or a --rootfs directory bound as it is.
 */
function graphDriver(record: ContainerRecord): string {
  const overlay = record.spec.overlay;
  if (!overlay) return 'bind';
  return overlay.fuse || existsSync(join(overlay.work, '..', 'fuse-root')) ? 'fuse-overlayfs' : 'overlay';
}

/** Chapter 11's flags as docker shows them (null for none), and the capabilities the payload ends up with. */
function securityJson(security: SecuritySpec | undefined) {
  const orNull = (values: string[] | undefined) => (values?.length ? values : null);
  return {
    CapAdd: orNull(security?.asked.capAdd),
    CapDrop: orNull(security?.asked.capDrop),
    Privileged: security?.asked.privileged ?? false,
    SecurityOpt: orNull(security?.asked.securityOpt),
    MaskedPaths: security?.maskedPaths ?? [],
    ReadonlyPaths: security?.readOnlyPaths ?? [],
    // The capabilities the payload gets (docker's field for "instead of the default set", which this list is).
    Capabilities: security?.capabilities ?? null,
  };
}

/** The network as asked for (chapter 10): docker's HostConfig fields. Records from before networking shared the host's. */
function hostNetworkJson(network: NetworkSpec | undefined) {
  return {
    NetworkMode: network?.mode === 'bridge' ? network.networks?.[0]?.name ?? 'none' : network?.mode ?? 'host', // docker: the network's name
    PortBindings: portMap(network?.ports ?? [], true),
    PublishAllPorts: network?.publishAll ?? false,
    Dns: network?.dns ?? [],
    ExtraHosts: network?.extraHosts.length ? network.extraHosts.map(({ name, address }) => `${name}:${address}`) : null, // docker: null for none
  };
}

/**
 * The network as it is now: the ports bound, and the address the helper gave
 * it, while it runs. SandboxKey is the namespace itself — docker names a
 * file of its own there; ours is where `nsenter --net=` can find it.
 */
function networkSettingsJson(record: ContainerRecord, running: boolean) {
  const settings = running ? record.networkSettings : undefined;
  const ownNamespace = running && hasNetworkNamespace(record.spec.network);
  return {
    SandboxKey: ownNamespace && record.pid !== undefined ? `/proc/${record.pid}/ns/net` : '',
    Ports: running ? portMap(record.spec.network?.ports ?? []) : {},
    IPAddress: settings?.ipAddress ?? '',
    IPPrefixLen: settings?.prefixLength ?? 0,
    Gateway: settings?.gateway ?? '',
    // User-defined networks, with the aliases asked for; the first one's address is the one above
    // (every member's address on every network: `network inspect`).
    ...(record.spec.network?.mode === 'bridge' ? {
      Networks: Object.fromEntries((record.spec.network.networks ?? []).map((entry, index) => [entry.name, {
        Aliases: entry.aliases,
        ...(index === 0 && settings ? { IPAddress: settings.ipAddress, IPPrefixLen: settings.prefixLength, Gateway: settings.gateway } : {}),
      }])),
    } : {}),
  };
}
