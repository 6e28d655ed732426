// cellblock run — create a container from an image or a directory, and run a command in it.
import { mkdirSync } from 'node:fs';
import { hostname as hostHostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { parsePlatform } from '../image/platform.js';
import type { PullPolicy } from '../image/local.js';
import type { PullEvent } from '../image/pull.js';
import { resolveCommand } from '../image/run-config.js';
import { planIdMap, isMapped, type IdMapPlan, type UsernsMode } from '../userns/idmap.js';
import { DEFAULT_PATH, mergeEnv, parseEnvEntry, parseEnvFile, parseHostname, parseContainerName, parseUserOption, parseWorkdir } from '../runtime/options.js';
import { findStaticInit } from '../runtime/host-init.js';
import { dataDir } from '../runtime/paths.js';
import { createRecord, newContainerId, shortId, type ContainerRecord } from '../runtime/records.js';
import { resolveRootfs, type RootfsSource } from '../runtime/rootfs.js';
import { createVolumes, planMounts } from '../runtime/volumes.js';
import type { ContainerSpec, OverlaySpec, SecuritySpec } from '../runtime/spec.js';
import { parseLimits, type LimitFlags } from '../cgroups/limits.js';
import { planCgroup } from '../cgroups/plan.js';
import { detachOnceStarted, type LaunchedSupervisor } from '../supervisor/client.js';
import { parseNetworkFlags, planNetwork, type NetworkFlags } from '../network/plan.js';
import { planSecurity, type SecurityFlags } from '../security/options.js';
import { checkIsolation, parseIsolation, type IsolationFlags, type Namespace } from '../runtime/isolation.js';
import { detachKeysOption, relay, statusOf } from './attach.js';

export interface RunOptions {
  rootfs?: string;
  rm?: boolean;
  name?: string;
  detach?: boolean;
  interactive?: boolean;
  tty?: boolean;
  detachKeys?: string;
  env: string[];
  envFile: string[];
  workdir?: string;
  user?: string;
  hostname?: string;
  readOnly?: boolean;
  init?: boolean;
  /** An id map, or host: no user namespace at all (src/runtime/isolation.ts). */
  userns?: UsernsMode | 'host';
  entrypoint?: string;
  pull: PullPolicy;
  platform?: string;
  tlsVerify: boolean;
  volume: string[];
  mount: string[];
  tmpfs: string[];
  explain?: boolean;
}

/** All of run's options: its own, the resource limits (src/cgroups/limits.ts), the network's (src/network/plan.ts) and security's (src/security/options.ts). */
export type RunFlags = RunOptions & LimitFlags & NetworkFlags & SecurityFlags & IsolationFlags;

/**
 * Run POSITIONALS (IMAGE [COMMAND…], or COMMAND… with --rootfs) under
 * SUPERVISOR, which main.ts launched before loading this module so that it
 * and the container's init start while we check the input (and pull).
 * Returns cellblock's exit status.
 */
export async function run(positionals: string[], options: RunFlags, supervisor: LaunchedSupervisor): Promise<number> {
  let record: ContainerRecord;
  let detachKeys: Buffer | undefined;
  try {
    detachKeys = await detachKeysOption(options.detachKeys);
    const { spec, idMap, name, source, entrypoint } = await prepare(positionals, options);
    record = createRecord(
      {
        id: spec.id, command: spec.command, entrypoint, rootfs: spec.rootfs, image: source.image, imageManifest: source.imageManifest,
        storage: containerStorage(spec.id), spec, userns: idMap.mode,
        created: new Date().toISOString(), status: 'created', autoRemove: options.rm ?? false, openStdin: options.interactive ?? false,
      },
      name,
    );
    createStorage(record);
  } catch (error) {
    await supervisor.abort(); // bad input, or the name is taken: nothing else was created
    throw error;
  }
  if (options.detach) {
    supervisor.start({ id: record.id, attach: false, foreground: false, explain: options.explain });
    // docker's run -d returns once the command runs, or says why it could not start.
    const failed = await detachOnceStarted(supervisor);
    if (failed) return statusOf(failed, shortId(record.id));
    process.stdout.write(`${record.id}\n`);
    return 0;
  }
  supervisor.start({ id: record.id, attach: true, foreground: true, explain: options.explain });
  // Without a terminal, stdin is always passed (`echo hi | cellblock run … cat`); with one, only with -i, as docker does.
  const end = await relay(supervisor, { stdin: !options.tty || (options.interactive ?? false), tty: options.tty, detachKeys });
  if (end.detached) {
    supervisor.process.unref();
    return 0;
  }
  await supervisor.exited; // so that nothing of this container outlives the command that ran it
  return statusOf(end, shortId(record.id));
}

/** The container's own directory, its volumes, and for an image the overlay's upper, work and mount point dirs. */
export function createStorage(record: ContainerRecord): void {
  mkdirSync(record.storage, { recursive: true, mode: 0o700 });
  createVolumes(record.spec.mounts ?? []); // named volumes are made on first use, as docker does
  const { overlay, rootfs } = record.spec;
  // overlayfs shows the upper directory's own mode as the container's "/": 0755, as every image's root is.
  if (overlay) for (const dir of [rootfs, overlay.upper, overlay.work]) mkdirSync(dir, { recursive: true, mode: 0o755 });
}

/** Check everything the user typed, get the root filesystem ready and build the spec; throws a one-line Error. */
async function prepare(positionals: string[], options: RunFlags) {
  // The cheap checks first: a typo should not cost a pull.
  const userFlag = options.user !== undefined ? parseUserOption(options.user) : undefined;
  const workdirFlag = options.workdir !== undefined ? parseWorkdir(options.workdir) : undefined;
  const name = options.name !== undefined ? parseContainerName(options.name) : undefined;
  const hostnameFlag = options.hostname !== undefined ? parseHostname(options.hostname) : undefined;
  const platform = options.platform !== undefined ? parsePlatform(options.platform) : undefined;
  const init = options.init ? findStaticInit() : undefined;
  const fromFiles = options.envFile.flatMap((file) => parseEnvFile(file, process.env));
  const fromFlags = options.env.map((entry) => parseEnvEntry(entry, '-e', process.env)).filter((e): e is string => e !== undefined);
  const isolation = parseIsolation(options);
  const idMap = planIdMap(options.userns === 'host' ? undefined : options.userns);
  const mounts = planMounts(options);
  const resources = parseLimits(options);
  const cgroupNamespace = planCgroup(resources, (line) => process.stderr.write(`cellblock: ${line}\n`));
  checkIsolation(isolation, {
    rootfs: options.rootfs === undefined ? undefined : resolve(options.rootfs), hostname: options.hostname !== undefined, user: options.user !== undefined,
    mounts: mounts.length > 0, readOnly: options.readOnly ?? false, tty: options.tty ?? false, init: options.init ?? false,
    addHost: options.addHost.length > 0, dns: options.dns.length > 0, cgroup: cgroupNamespace,
    security: (options.capAdd ?? []).length + (options.capDrop ?? []).length + (options.securityOpt ?? []).length > 0 || (options.privileged ?? false),
  });
  const shares = (namespace: Namespace) => isolation.shared.includes(namespace);
  // --no-isolate=net is --network host.
  const networkRequest = parseNetworkFlags({ ...options, network: shares('net') ? 'host' : options.network }, (line) => process.stderr.write(`cellblock: ${line}\n`));
  const security = sharedSecurity(planSecurity(options), isolation.shared);
  if (userFlag) checkMapped(userFlag.user, userFlag.group, idMap, `-u ${options.user}`);
  // Containers on user-defined networks share the rootless network namespace's user namespace, mapped the default way.
  const sharedMap = networkRequest.networks ? planIdMap(undefined).mode : undefined;
  if (sharedMap && idMap.mode !== sharedMap) throw new Error(`--userns=${idMap.mode}: containers on network ${networkRequest.networks![0].name} share one user namespace, mapped --userns=${sharedMap}`);

  const onProgress = lazyProgress();
  const source = await resolveRootfs(positionals, { ...options, platform, onProgress }, idMap);
  if (source.directory !== undefined && source.args.length === 0) {
    throw new Error('run: no command given (usage: cellblock run --rootfs DIR COMMAND [ARG...])');
  }
  const resolved = resolveCommand(source.config, { args: source.args, entrypoint: options.entrypoint, workdir: workdirFlag, user: options.user });
  const user = userFlag ?? parseUserOption(resolved.user);
  if (!userFlag) checkMapped(user.user, user.group, idMap, `the image's User "${resolved.user}"`);
  const workdir = parseWorkdir(resolved.workdir);

  const id = newContainerId();
  const hostname = hostnameFlag ?? shortId(id);
  // Last of the checks: it binds the host ports (a taken one is an error) and picks the free ones.
  const network = await planNetwork(networkRequest, source.config.ExposedPorts, containerStorage(id));
  const spec: ContainerSpec = {
    id,
    ...rootOf(source, id),
    readOnly: options.readOnly ?? false,
    hostname,
    command: resolved.argv,
    // docker's order: its defaults, the image's Env, then --env-file, then -e; the last KEY wins.
    // With -t, TERM=xterm as docker sets it: without it, clear, less and bash's line editing do not know the terminal.
    env: mergeEnv([`PATH=${DEFAULT_PATH}`, `HOSTNAME=${hostname}`, ...(options.tty ? ['TERM=xterm'] : [])], source.config.Env ?? [], fromFiles, fromFlags),
    workdir,
    user,
    init,
    stopSignal: source.config.StopSignal,
    // -t: the terminal starts at the size of ours (attach and resizes follow it later).
    tty: options.tty ? { rows: process.stdout.rows || 24, cols: process.stdout.columns || 80 } : undefined,
    mounts,
    resources,
    cgroupNamespace,
    hostNamespaces: isolation.shared.filter((namespace) => namespace !== 'net'), // net: network.mode host
    network,
    security,
  };
  if (shares('uts')) useHostHostname(spec);
  return { spec, idMap, name, source, entrypoint: resolved.entrypoint };
}

/**
 * --no-isolate=uts: the hostname the container sees is the host's (and -h
 * was refused), so inspect, /etc/hostname and the default HOSTNAME say so
 * too. A HOSTNAME from the image or -e stays as it was given.
 */
function useHostHostname(spec: ContainerSpec): void {
  const byDefault = spec.env.indexOf(`HOSTNAME=${spec.hostname}`);
  spec.hostname = hostHostname();
  if (byDefault !== -1) spec.env[byDefault] = `HOSTNAME=${spec.hostname}`;
}

/**
 * What chapter 11 can still do once namespaces are shared: without a mount
 * namespace nothing can be masked (each mask is a mount), and without a user
 * namespace the command is an ordinary process of yours — no capabilities to
 * cut, and nothing else applied either (the baseline of chapter 02). The spec
 * then says what was done, so inspect tells the truth.
 */
function sharedSecurity(security: SecuritySpec, shared: readonly Namespace[]): SecuritySpec | undefined {
  if (shared.includes('user')) return undefined;
  if (shared.includes('mount')) return { ...security, maskedPaths: [], readOnlyPaths: [] };
  return security;
}

/** Pull progress on stderr (stdout belongs to the container), loaded only if a pull happens. */
function lazyProgress(): (event: PullEvent) => void {
  let show: Promise<(event: PullEvent) => void> | undefined;
  return (event) => {
    show ??= import('./progress.js').then(({ pullProgress }) => pullProgress(process.stderr));
    void show.then((print) => print(event)); // then() keeps the events in order
  };
}

/** The container's own directory under the data dir: its log, and an image's writable layer. */
export const containerStorage = (id: string): string => join(dataDir(), 'containers', id);

/** A directory is bound as it is; an image gets a writable layer of its own under the data dir. */
function rootOf(source: RootfsSource, id: string): { rootfs: string; overlay?: OverlaySpec } {
  if (source.directory !== undefined) return { rootfs: source.directory };
  const storage = containerStorage(id);
  const layers = source.layers!;
  if (layers.length === 0) throw new Error(`image ${source.image} has no layers: nothing to use as a root filesystem`);
  return {
    rootfs: join(storage, 'merged'),
    overlay: {
      layersDir: dirname(layers[0]), lower: layers.map((layer) => basename(layer)).reverse(), upper: join(storage, 'upper'), work: join(storage, 'work'),
      // Normally fuse-overlayfs is only the fallback for kernels that refuse; this forces it.
      fuse: process.env.CELLBLOCK_OVERLAY === 'fuse-overlayfs',
    },
  };
}

/** Numeric ids must exist in the user namespace's map; names are checked inside, against /etc/passwd. */
function checkMapped(user: string, group: string | undefined, idMap: IdMapPlan, what: string): void {
  for (const [id, map, kind] of [[user, idMap.uidMap, 'uid'], [group, idMap.gidMap, 'gid']] as const) {
    if (id !== undefined && /^\d+$/.test(id) && !isMapped(map, Number(id))) {
      throw new Error(`${what}: ${kind} ${id} is not mapped with --userns=${idMap.mode} (mapped: ${map.map((r) => `${r.inside}-${r.inside + r.count - 1}`).join(', ')})`);
    }
  }
}
