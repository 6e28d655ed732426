// Chapter 10 — the rootless network namespace: one per user, shared by every
// container on a user-defined network, as in rootless podman.
//
// It is a user namespace (mapped like a container's: root is you, 1… your
// /etc/subuid range) and a network namespace, held open by a process that
// only waits: the "holder". In it live one bridge per network (its gateway
// address on it), the host ends of the containers' veth pairs (veth.ts),
// and one pasta — or slirp4netns — for the way out: containers' packets are
// routed from their bridge to pasta's tap and leave with its address (an
// nftables masquerade rule), so that pasta sees one client, as it expects.
//
// It exists while a container uses it: the first one to join starts it, the
// last one to leave ends it (its processes killed by pid) — and with it every
// bridge and veth pair. Who uses it is in state.json, under a lock; an entry
// whose supervisor has died (SIGKILL) is dropped by the next one to look.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { withLock } from '../runtime/lock.js';
import { replaceFile } from '../runtime/files.js';
import { ensureDir, runtimeDir } from '../runtime/paths.js';
import { processLives, processStartTime } from '../runtime/records.js';
import { applyIdMap, planIdMap } from '../userns/idmap.js';
import { hostRoute } from './host-route.js';
import { refreshHosts } from './members.js';
import { chooseNetworkMode } from './mode.js';
import { parseSubnet, type Network } from './networks.js';
import { PASTA_DNS, stayRoot } from './pasta.js';
import { SLIRP_NETWORK } from './slirp4netns.js';
import { inNamespaces, ipBatch } from './veth.js';

/** A process, and its start time: pids are reused, start times are not. */
export interface ProcessId {
  pid: number;
  startTime: string;
}

/** One container's interface on one network. */
export interface Endpoint {
  network: string;
  networkId: string;
  address: string;
  prefixLength: number;
  gateway: string;
  aliases: string[];
  /** Its name inside (eth0, eth1…) and on the bridge. */
  interface: string;
  hostInterface: string;
}

/** A container using the namespace, known by its supervisor (one per running container). */
export interface Member {
  supervisor: ProcessId;
  /** Known once the supervisor knows which container it runs. */
  container?: { id: string; name: string; hostname: string; hostsFile: string; hostsBase: string };
  endpoints: Endpoint[];
}

export interface RootlessNetns {
  holder: ProcessId;
  helper: ProcessId & { mode: 'pasta' | 'slirp4netns' };
  /** Where the containers' DNS questions go: the helper's forwarder, reached through the holder's routes. */
  dns: string;
  /** The helper's way to the host's loopback (--add-host NAME:host-gateway), if there is one. */
  hostGateway?: string;
  /** The ids of the networks whose bridge exists in it. */
  bridges: string[];
  members: Member[];
}

const stateDir = () => ensureDir(join(runtimeDir(), 'rootless-netns'));
const statePath = () => join(stateDir(), 'state.json');

/** A zombie is dead too: a killed process whose parent is gone may stay one (a pid 1 that never reaps). */
const alive = (process: ProcessId) => processLives(process.pid, process.startTime);

function readState(): RootlessNetns | undefined {
  try {
    return JSON.parse(readFileSync(statePath(), 'utf8')) as RootlessNetns;
  } catch {
    return undefined;
  }
}

function writeState(state: RootlessNetns | undefined): void {
  if (!state) return rmSync(statePath(), { force: true });
  replaceFile(statePath(), `${JSON.stringify(state, null, 2)}\n`);
}

/**
 * Run FN on the namespace's state, under its lock: with its holder alive and
 * its dead members dropped (and, if START, the namespace started when there
 * is none). Afterwards, a namespace nobody uses any more is ended.
 */
export async function withRootlessNetns<T>(start: boolean, fn: (state: RootlessNetns | undefined) => Promise<T>): Promise<T> {
  return withLock(stateDir(), 'lock', async () => {
    let state = readState();
    if (state && !alive(state.holder)) {
      await stopProcesses(state); // its helper, if the holder alone was killed
      state = undefined;
    }
    if (state) {
      const living = state.members.filter((member) => alive(member.supervisor));
      if (living.length < state.members.length) {
        state.members = living;
        refreshHosts(state); // the dead one's name goes from the others' /etc/hosts
      }
    }
    if (!state && start) state = await startRootlessNetns();
    try {
      return await fn(state);
    } finally {
      if (state && state.members.length === 0) {
        await stopProcesses(state);
        state = undefined;
      }
      writeState(state);
    }
  });
}

/**
 * Called by a supervisor before it spawns its init: the namespace exists (it
 * is started if need be) and counts this supervisor as a user, so that no
 * one ends it meanwhile. Returns the holder's pid, whose user namespace the
 * init joins.
 */
export function reserveRootlessNetns(): Promise<number> {
  return withRootlessNetns(true, async (state) => {
    const supervisor = { pid: process.pid, startTime: processStartTime(process.pid)! };
    state!.members.push({ supervisor, endpoints: [] });
    return state!.holder.pid;
  });
}

/** This supervisor's container has ended (or never started): leave, and end the namespace if it was the last. */
export function leaveRootlessNetns(onLeft: (state: RootlessNetns) => void = () => {}): Promise<void> {
  return withRootlessNetns(false, async (state) => {
    if (!state) return;
    state.members = state.members.filter((member) => member.supervisor.pid !== process.pid);
    onLeft(state);
  });
}

/** Drop the members whose supervisor died (telling the others), and end the namespace if none is left. */
export function pruneRootlessNetns(): Promise<void> {
  return withRootlessNetns(false, async () => {});
}

/** The bridge of NETWORK, made the first time a container joins it. */
export async function ensureBridge(state: RootlessNetns, network: Network): Promise<void> {
  if (state.bridges.includes(network.id)) return;
  const { prefixLength } = parseSubnet(network.subnet);
  const netns = `/proc/${state.holder.pid}/ns/net`;
  const addressAndUp = [`address replace ${network.gateway}/${prefixLength} dev ${network.bridge}`, `link set ${network.bridge} up`];
  try {
    // Shell: ip link add cb-… type bridge; ip addr replace 10.89.0.1/24 dev cb-…; ip link set cb-… up
    await ipBatch(state.holder.pid, netns, [`link add ${network.bridge} type bridge`, ...addressAndUp]);
  } catch (error) {
    // A supervisor killed (or crashed) after making the bridge but before
    // state.json said so: the bridge is there, unknown. Take it as it is.
    if (!/File exists/.test((error as Error).message)) throw error;
    await ipBatch(state.holder.pid, netns, addressAndUp);
  }
  // Out through pasta's tap with pasta's address — except between containers of one bridge.
  await inNamespaces(state.holder.pid, netns, 'nft', ['add', 'rule', 'ip', 'cellblock', 'postrouting', 'ip', 'saddr', network.subnet, 'oifname', '!=', network.bridge, 'masquerade']);
  state.bridges.push(network.id);
}

async function startRootlessNetns(): Promise<RootlessNetns> {
  // The default network's helper: pasta, or slirp4netns; a missing one or an unusable /dev/net/tun is said here.
  const mode = chooseNetworkMode(undefined) as 'pasta' | 'slirp4netns';
  const holder = await startHolder();
  try {
    // Shell: nsenter -t HOLDER -U -n sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward; ip link set lo up'
    // (each network namespace has its own sysctls: this one routes between bridges and the tap)
    const netns = `/proc/${holder.pid}/ns/net`;
    await inNamespaces(holder.pid, netns, 'sh', ['-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward && ip link set lo up']);
    await inNamespaces(holder.pid, netns, 'nft', ['add table ip cellblock; add chain ip cellblock postrouting { type nat hook postrouting priority srcnat; }']);
    const helper = mode === 'pasta' ? await startPastaDaemon(holder.pid) : await startSlirpDaemon(holder.pid);
    const [dns, hostGateway] = mode === 'pasta' ? [PASTA_DNS, hostRoute()?.gateway] : [SLIRP_NETWORK.dns, SLIRP_NETWORK.gateway];
    return { holder, helper: { ...helper, mode }, dns, hostGateway, bridges: [], members: [] };
  } catch (error) {
    process.kill(holder.pid, 'SIGKILL');
    throw error;
  }
}

/**
 * `unshare --user --net sh -c 'echo; exec sleep infinity'`, detached: it
 * outlives the supervisor that started it. Its line says the namespaces
 * exist (before that, newuidmap would write the host's maps: refused); then
 * we write its maps, as for a container (src/userns/idmap.ts).
 */
async function startHolder(): Promise<ProcessId> {
  const child = spawn('unshare', ['--user', '--net', '--', 'sh', '-c', 'echo ready; exec sleep infinity'], {
    detached: true, stdio: ['ignore', 'pipe', 'ignore'],
  });
  const started = await new Promise<boolean>((resolve) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', () => resolve(true));
    child.once('error', () => resolve(false));
    child.once('exit', () => resolve(false));
  });
  child.stdout!.destroy();
  child.unref();
  if (!started) throw new Error('cannot start the rootless network namespace: unshare --user --net failed');
  try {
    await applyIdMap(child.pid!, planIdMap(undefined));
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return { pid: child.pid!, startTime: processStartTime(child.pid!)! };
}

/**
 * pasta without --foreground: it sets the tap up (the host's address and
 * routes, --config-net), writes its pid and goes to the background — its
 * first process exiting is the "ready". Not our child any more: ended by pid.
 */
async function startPastaDaemon(holderPid: number): Promise<ProcessId> {
  const pidFile = join(stateDir(), 'pasta.pid');
  rmSync(pidFile, { force: true });
  await new Promise<void>((resolve, reject) => {
    const child = spawn('pasta', [
      '--quiet', '--config-net', '--dns-forward', PASTA_DNS, '-t', 'none', '-u', 'none', '-T', 'none', '-U', 'none',
      ...stayRoot(), '--pid', pidFile, String(holderPid),
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    let said = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (said += chunk));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`pasta could not connect the rootless network namespace: ${said.trim().split('\n').at(-1) ?? code}`))));
  });
  const pid = Number(readFileSync(pidFile, 'utf8'));
  rmSync(pidFile, { force: true });
  return { pid, startTime: processStartTime(pid)! };
}

/** slirp4netns, detached, ready when it writes to fd 3. */
async function startSlirpDaemon(holderPid: number): Promise<ProcessId> {
  const child = spawn('slirp4netns', ['--configure', '--mtu=65520', '--ready-fd=3', String(holderPid), 'tap0'], {
    detached: true, stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
  });
  const ready = child.stdio[3]!;
  const ok = await new Promise<boolean>((resolve) => {
    ready.once('data', () => resolve(true));
    child.once('exit', () => resolve(false));
    child.once('error', () => resolve(false));
  });
  ready.destroy();
  child.unref();
  if (!ok) throw new Error('slirp4netns could not connect the rootless network namespace');
  return { pid: child.pid!, startTime: processStartTime(child.pid!)! };
}

/** End the helper, then the holder — each only if it is still the process we started. */
async function stopProcesses(state: RootlessNetns): Promise<void> {
  for (const [process_, signal] of [[state.helper, 'SIGTERM'], [state.holder, 'SIGKILL']] as const) {
    if (!alive(process_)) continue;
    try {
      process.kill(process_.pid, signal);
    } catch {
      // gone meanwhile
    }
  }
}
