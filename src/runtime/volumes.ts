// Named volumes: directories that outlive containers, under the data dir,
// laid out as docker lays them out:
//
//   <data dir>/volumes/NAME/_data          what containers see at their mount point
//   <data dir>/volumes/NAME/volume.json    when it was made, its labels
//
// A volume appears whole or not at all: it is built under a temporary name
// and renamed into place (rename(2) is atomic, and refuses to replace a
// directory that is not empty, so two creators cannot both win). Removal is
// the same backwards: renamed out of sight first, then deleted.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { planIdMap } from '../userns/idmap.js';
import { VOLUME_NAME, checkBindSource, orderMounts, parseMountFlag, parseTmpfsFlag, parseVolumeFlag } from './mounts.js';
import { dataDir, ensureDir } from './paths.js';
import { listRecords, shortId, type ContainerRecord } from './records.js';
import type { MountSpec } from './spec.js';

/** The label docker puts on the volumes it makes for `-v /dir`. */
export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';

export interface Volume {
  name: string;
  /** The directory containers see. */
  mountpoint: string;
  createdAt: string;
  labels: Record<string, string>;
}

const volumesDir = () => join(dataDir(), 'volumes');
const volumeDir = (name: string) => join(volumesDir(), name);
/** Where volume NAME's data is (whether or not it exists yet). */
export const volumeSource = (name: string): string => join(volumeDir(name), '_data');

/** Make volume NAME unless it exists; true if this call made it. */
export function createVolume(name: string, labels: Record<string, string> = {}): boolean {
  if (existsSync(volumeDir(name))) return false;
  const temporary = mkdtempSync(join(ensureDir(volumesDir()), '.new-'));
  try {
    // 0755, owned by you, which is root in the container: what docker's _data is.
    mkdirSync(join(temporary, '_data'), { mode: 0o755 });
    const createdAt = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    writeFileSync(join(temporary, 'volume.json'), JSON.stringify({ createdAt, labels }) + '\n', { mode: 0o600 });
    renameSync(temporary, volumeDir(name));
    return true;
  } catch (error) {
    rmSync(temporary, { recursive: true, force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') return false; // another cellblock made it first
    throw error;
  }
}

export function readVolume(name: string): Volume {
  // The name check also keeps "../x" from naming a directory elsewhere.
  if (!VOLUME_NAME.test(name)) throw new Error(`no such volume: ${name}`);
  let meta: { createdAt: string; labels: Record<string, string> };
  try {
    meta = JSON.parse(readFileSync(join(volumeDir(name), 'volume.json'), 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`no such volume: ${name}`);
    throw error;
  }
  return { name, mountpoint: volumeSource(name), createdAt: meta.createdAt, labels: meta.labels };
}

export const hasVolume = (name: string): boolean => VOLUME_NAME.test(name) && existsSync(join(volumeDir(name), 'volume.json'));

/** Every volume, by name. (Names in the making or being removed start with "." and are not volumes.) */
export function listVolumes(): Volume[] {
  if (!existsSync(volumesDir())) return [];
  return readdirSync(volumesDir())
    .filter((name) => VOLUME_NAME.test(name))
    .sort()
    .flatMap((name) => {
      try {
        return [readVolume(name)];
      } catch {
        return []; // removed while we listed
      }
    });
}

/** The containers (running or not) whose spec mounts volume NAME. */
export function volumeUsers(name: string, records: readonly ContainerRecord[] = listRecords()): ContainerRecord[] {
  return records.filter((record) => record.spec?.mounts?.some((m) => m.type === 'volume' && m.name === name));
}

/** "container 0123456789ab (web)", for messages. */
export const describeUser = (record: ContainerRecord): string => `container ${shortId(record.id)} (${record.name})`;

/**
 * Delete volume NAME. Its files may belong to the subordinate ids of the
 * containers that wrote them: removeTree deletes those from inside a user
 * namespace, as it does a container's writable layer.
 */
export async function removeVolume(name: string): Promise<void> {
  readVolume(name); // "no such volume" for a name that is not one
  const trash = join(volumesDir(), `.removing-${name}-${randomBytes(4).toString('hex')}`);
  renameSync(volumeDir(name), trash);
  const { removeTree } = await import('../image/unpack.js');
  await removeTree(trash, planIdMap(undefined));
}

/**
 * The mounts of `run -v/--mount/--tmpfs`, checked and in mount order. Named
 * volumes are not created here (see createVolumes): on bad input nothing is.
 */
export function planMounts(flags: { volume?: string[]; mount?: string[]; tmpfs?: string[] }): MountSpec[] {
  const requests = orderMounts([
    ...(flags.volume ?? []).map(parseVolumeFlag),
    ...(flags.mount ?? []).map(parseMountFlag),
    ...(flags.tmpfs ?? []).map(parseTmpfsFlag),
  ]);
  return requests.map((request): MountSpec => {
    const { target, readOnly } = request;
    if (request.type === 'bind') return { type: 'bind', ...checkBindSource(request), target, readOnly };
    if (request.type === 'tmpfs') return { type: 'tmpfs', target, readOnly, options: request.options, data: request.data };
    // An anonymous volume gets a random name, as docker's do.
    const name = request.name ?? randomBytes(32).toString('hex');
    return { type: 'volume', name, source: volumeSource(name), target, readOnly, anonymous: request.name === undefined, copyUp: request.copyUp };
  });
}

/** Make the volumes MOUNTS name that do not exist yet (`run -v NAME:/x` creates NAME, as docker does). */
export function createVolumes(mounts: readonly MountSpec[]): void {
  for (const m of mounts) {
    if (m.type === 'volume') createVolume(m.name, m.anonymous ? { [ANONYMOUS_LABEL]: '' } : {});
  }
}

/**
 * `rm -v` and `--rm`: delete the anonymous volumes of RECORD (already
 * removed) that no other container uses. Named volumes stay, as in docker.
 */
export async function removeAnonymousVolumes(record: ContainerRecord): Promise<void> {
  const others = listRecords().filter((r) => r.id !== record.id);
  for (const m of record.spec?.mounts ?? []) {
    if (m.type !== 'volume' || !m.anonymous || volumeUsers(m.name, others).length > 0) continue;
    if (existsSync(volumeDir(m.name))) await removeVolume(m.name);
  }
}
