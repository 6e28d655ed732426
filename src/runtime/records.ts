// Container records: one JSON file per container under the runtime dir, and
// one symlink per name pointing at its id.
//
// Two kernel guarantees do the locking for us:
//   - rename(2) replaces a file atomically, so a reader sees the old record
//     or the new one, never half of each, even if we are killed mid-write;
//   - symlink(2) fails with EEXIST when the name exists, so two `run --name
//     web` at once cannot both get "web".
// A name link whose record is gone (cellblock killed between the two steps
// of rm) is released by the next claim of that name: see claimName.
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { replaceFile } from './files.js';
import { statFields } from './proc-stat.js';
import { ensureDir, runtimeDir } from './paths.js';
import type { ContainerSpec } from './spec.js';

export type ContainerStatus = 'created' | 'running' | 'exited';

/** The address a container's helper gave it (src/network/connect.ts): inspect's NetworkSettings. */
export interface NetworkSettings {
  ipAddress: string;
  prefixLength: number;
  gateway: string;
}

export interface ContainerRecord {
  id: string;
  name: string;
  command: string[];
  /** The leading words of command that are the entrypoint: inspect shows Config.Entrypoint and Config.Cmd apart. */
  entrypoint?: string[];
  /** The directory bound as /, or the overlay mount point of an image's layers. */
  rootfs: string;
  /** The image as the user named it, and the manifest it ran, when there is one. */
  image?: string;
  imageManifest?: string;
  /** The container's own files under the data dir (log, overlay upper and work dirs), removed with it. */
  storage: string;
  /** Everything the init needs to build it again (start, restart) and that exec reuses (env, workdir, user). */
  spec: ContainerSpec;
  /** The id map it ran with: its files belong to those ids. */
  userns: 'single' | 'subids';
  created: string;
  status: ContainerStatus;
  autoRemove: boolean;
  /** -i: keep the container's stdin open for whoever attaches (run -d -i, start). */
  openStdin: boolean;
  /** The supervisor that runs it (src/supervisor/), while it runs. */
  supervisorPid?: number;
  /** Why it could not start, or what went wrong around it (inspect's State.Error). */
  error?: string;
  /** Host pid of the container's pid 1, and its start time, while it runs. */
  pid?: number;
  pidStartTime?: string;
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number;
  /** The container's own cgroup directory (src/cgroups/), while it has one: stats, kill and rm use it. */
  cgroup?: string;
  /** The kernel's OOM killer killed one of its processes (memory.events oom_kill) the last time it ran. */
  oomKilled?: boolean;
  /** Its address, while it runs with a network helper (pasta, slirp4netns). */
  networkSettings?: NetworkSettings;
}

const containersDir = () => ensureDir(join(runtimeDir(), 'containers'));
const namesDir = () => ensureDir(join(runtimeDir(), 'names'));
const recordPath = (id: string) => join(containersDir(), `${id}.json`);

/**
 * The supervisor's attach socket (src/supervisor/attach-server.ts). Named by
 * the short id: a unix socket path must fit in 108 bytes (sockaddr_un), and
 * $XDG_RUNTIME_DIR/cellblock/… with 64 hex digits may not.
 */
export const attachSocketPath = (id: string): string => join(ensureDir(join(runtimeDir(), 'sockets')), shortId(id));

export const newContainerId = (): string => randomBytes(32).toString('hex');
export const shortId = (id: string): string => id.slice(0, 12);

function writeRecord(record: ContainerRecord): void {
  replaceFile(recordPath(record.id), JSON.stringify(record, null, 2) + '\n', { mode: 0o600 });
}

/**
 * Store a new record under NAME if given, else a generated one (tried again
 * if another cellblock took it meanwhile). The record is written first and
 * its name claimed second, so a name link always leads to a record — except
 * when cellblock was killed between the two steps of rm, and claimName
 * knows such a link for the leftover it is.
 */
export function createRecord(fields: Omit<ContainerRecord, 'name'>, name?: string): ContainerRecord {
  const taken = new Set(readdirSync(namesDir()));
  for (;;) {
    const record = { ...fields, name: name ?? generateName(taken) };
    writeRecord(record);
    if (claimName(record.name, record.id)) return record;
    unlinkSync(recordPath(record.id));
    if (name === undefined) {
      taken.add(record.name);
      continue;
    }
    throw nameInUse(name);
  }
}

/**
 * symlink(2) NAME → ID: the lock that gives a name to one container only.
 * False when a container that exists holds it. A link whose container is
 * gone is what a SIGKILL between rm's "remove the record" and "release the
 * name" leaves: it is released here, or that name could never be used again.
 */
function claimName(name: string, id: string): boolean {
  const link = join(namesDir(), name);
  for (;;) {
    try {
      symlinkSync(id, link);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let holder: string;
    try {
      holder = readlinkSync(link);
    } catch {
      continue; // released a moment ago: try again
    }
    // Only a link whose record is gone is stale: a record that exists may be
    // half-way through a rename to NAME (link first, then record), and is its holder.
    if (holder === id || readRecordIfAny(holder) !== undefined) return false;
    releaseName(name, holder);
  }
}

function nameInUse(name: string): Error {
  let owner = 'another container';
  try {
    owner = `container ${shortId(readlinkSync(join(namesDir(), name)))}`;
  } catch {
    // released a moment ago: still, it was taken when we tried
  }
  return new Error(`the container name "${name}" is already in use by ${owner}; remove it (cellblock rm) or pick another name`);
}

/**
 * Give RECORD the name NAME. The new link comes first: symlink(2) is the
 * lock, so of a rename and a `run --name NAME` racing for it exactly one
 * wins. Then the record says so, then the old name is released. In between
 * both names lead to the container, never neither.
 */
export function renameRecord(record: ContainerRecord, name: string): void {
  const link = join(namesDir(), name);
  if (!claimName(name, record.id)) throw nameInUse(name);
  try {
    writeRecord({ ...readRecord(record.id), name });
  } catch (error) {
    unlinkSync(link);
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`no such container: ${record.name} (removed meanwhile)`);
    throw error;
  }
  releaseName(record.name, record.id);
  // Removed while we wrote (rm, or a --rm container's end)? Then the new name must go too.
  if (!readRecordIfAny(record.id)) releaseName(name, record.id);
}

/** Change a record; a record already removed (rm -f while it ran) stays removed. */
export function updateRecord(id: string, patch: Partial<ContainerRecord>): void {
  let current: ContainerRecord;
  try {
    current = readRecord(id);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  writeRecord({ ...current, ...patch });
}

export function readRecord(id: string): ContainerRecord {
  return JSON.parse(readFileSync(recordPath(id), 'utf8')) as ContainerRecord;
}

export function removeRecord(record: ContainerRecord): void {
  // The name on disk, not RECORD's: the container may have been renamed since
  // RECORD was read (a `run --rm` holds its record from start to end).
  const { name } = readRecordIfAny(record.id) ?? record;
  unlinkSync(recordPath(record.id));
  rmSync(attachSocketPath(record.id), { force: true }); // left behind by a supervisor that was killed
  releaseName(name, record.id);
}

function readRecordIfAny(id: string): ContainerRecord | undefined {
  try {
    return readRecord(id);
  } catch {
    return undefined;
  }
}

/** Remove the link NAME if it still leads to ID (another container may hold that name by now). */
function releaseName(name: string, id: string): void {
  try {
    if (readlinkSync(join(namesDir(), name)) === id) unlinkSync(join(namesDir(), name));
  } catch {
    // The name link is already gone: nothing to release.
  }
}

/**
 * Every record, with its status checked against the kernel: a record that
 * says "running" whose pid is gone (or now belongs to another process, as
 * pids are reused) is reported exited — cellblock may have been killed before
 * it could write that down.
 */
export function listRecords(): ContainerRecord[] {
  return readdirSync(containersDir())
    .filter((file) => file.endsWith('.json'))
    .flatMap((file) => {
      try {
        return [readRecord(file.slice(0, -'.json'.length))];
      } catch {
        return []; // removed while we listed
      }
    })
    .map((record) => (record.status === 'running' && !isAlive(record) ? { ...record, status: 'exited' as const } : record))
    .sort((a, b) => b.created.localeCompare(a.created));
}

/** Find one container by full id, unique id prefix or name, as docker does. */
export function findRecord(reference: string): ContainerRecord {
  const records = listRecords();
  const exact = records.find((r) => r.id === reference || r.name === reference);
  if (exact) return exact;
  const prefixed = records.filter((r) => /^[0-9a-f]+$/.test(reference) && r.id.startsWith(reference));
  if (prefixed.length === 1) return prefixed[0];
  if (prefixed.length > 1) throw new Error(`${reference}: more than one container id starts with it; give more characters`);
  throw new Error(`no such container: ${reference}`);
}

/** State (field 3) and start time (field 22, clock ticks since boot) from /proc/PID/stat. */
function processStat(pid: number): { state: string; startTime: string } | undefined {
  try {
    const field = statFields(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    return { state: field(3), startTime: field(22) };
  } catch {
    return undefined;
  }
}

export function processStartTime(pid: number): string | undefined {
  return processStat(pid)?.startTime;
}

/**
 * Whether the record's pid 1 still runs: the same process (pids are reused,
 * start times are not), and not a zombie — a pid 1 killed while cellblock was
 * gone stays one until the host's init reaps it.
 */
export function isAlive(record: ContainerRecord): boolean {
  return record.pid !== undefined && processLives(record.pid, record.pidStartTime);
}

/** Whether PID is still the process that started at START_TIME, and not a zombie. */
export function processLives(pid: number, startTime: string | undefined): boolean {
  const stat = processStat(pid);
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X' && stat.startTime === startTime;
}

const ADJECTIVES = ['brave', 'calm', 'eager', 'fond', 'gentle', 'happy', 'jolly', 'keen', 'lucid', 'merry', 'nimble', 'proud', 'quiet', 'sharp', 'tender', 'vivid', 'witty', 'zealous'];
const NOUNS = ['babbage', 'curie', 'dijkstra', 'engelbart', 'feynman', 'hopper', 'kernighan', 'lovelace', 'mccarthy', 'noether', 'pike', 'ritchie', 'shannon', 'thompson', 'torvalds', 'turing', 'wozniak'];

/** A docker-style adjective_noun name, with a number once the plain ones are taken. */
function generateName(taken: ReadonlySet<string>): string {
  for (let attempt = 0; ; attempt++) {
    const pick = <T>(list: T[]) => list[randomBytes(1)[0] % list.length];
    const name = `${pick(ADJECTIVES)}_${pick(NOUNS)}${attempt < 10 ? '' : attempt}`;
    if (!taken.has(name)) return name;
  }
}
