// Chapter 2 — who is who inside the user namespace.
//
// A new user namespace starts with no ids mapped: everyone inside is
// "nobody" (65534) until a process outside writes /proc/PID/uid_map and
// gid_map. Each line reads "INSIDE OUTSIDE COUNT". Two ways to fill them:
//
//  single  "0 1000 1": root inside is you outside, nothing else exists.
//          Anyone may write this for their own uid (gid_map needs
//          "deny" in /proc/PID/setgroups first, or an unprivileged user
//          could drop a group that was denying them access to a file).
//  subids  "0 1000 1" + "1 100000 65536": the ranges root granted you in
//          /etc/subuid and /etc/subgid. Only the setuid helpers newuidmap
//          and newgidmap (package uidmap) may write those, after checking
//          the files. Images need this: their files belong to many ids.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { promisify } from 'node:util';
import { readFileOrEmpty } from '../runtime/files.js';

export type UsernsMode = 'single' | 'subids';
export const USERNS_MODES: readonly UsernsMode[] = ['single', 'subids'];

export interface IdRange { inside: number; outside: number; count: number }

export interface IdMapPlan {
  mode: UsernsMode;
  uidMap: IdRange[];
  gidMap: IdRange[];
}

export interface Caller { uid: number; gid: number; name?: string }

export function currentCaller(): Caller {
  const uid = process.getuid!();
  const gid = process.getgid!();
  let name: string | undefined;
  try {
    name = userInfo().username;
  } catch {
    // A uid with no passwd entry can still own /etc/subuid lines by number.
  }
  return { uid, gid, name };
}

/** The subordinate ranges of CALLER in an /etc/subuid-format text ("name-or-id:start:count"). */
export function parseSubordinateIds(text: string, owner: { id: number; name?: string }): { start: number; count: number }[] {
  return text
    .split('\n')
    .map((line) => line.trim().split(':'))
    .filter((fields) => fields.length === 3 && (fields[0] === owner.name || fields[0] === String(owner.id)))
    .map(([, start, count]) => ({ start: Number(start), count: Number(count) }))
    .filter((range) => Number.isSafeInteger(range.start) && Number.isSafeInteger(range.count) && range.count > 0);
}

/** Root inside → the caller, then the subordinate ranges one after the other from id 1. */
export function buildMap(callerId: number, subordinate: { start: number; count: number }[]): IdRange[] {
  const map: IdRange[] = [{ inside: 0, outside: callerId, count: 1 }];
  let next = 1;
  for (const range of subordinate) {
    map.push({ inside: next, outside: range.start, count: range.count });
    next += range.count;
  }
  return map;
}

/**
 * Decide the maps: the requested mode, or subids when the caller has
 * ranges in both files, else single. Throws a one-line reason when subids
 * were asked for and cannot be had.
 */
export function planIdMap(requested: UsernsMode | undefined, caller: Caller = currentCaller()): IdMapPlan {
  const subuids = parseSubordinateIds(readFileOrEmpty('/etc/subuid'), { id: caller.uid, name: caller.name });
  const subgids = parseSubordinateIds(readFileOrEmpty('/etc/subgid'), { id: caller.gid, name: caller.name });
  const haveSubids = subuids.length > 0 && subgids.length > 0;
  const mode = requested ?? (haveSubids ? 'subids' : 'single');
  if (mode === 'single') return { mode, uidMap: buildMap(caller.uid, []), gidMap: buildMap(caller.gid, []) };
  if (!haveSubids) {
    const who = caller.name ?? String(caller.uid);
    throw new Error(`--userns=subids: no range for ${who} in /etc/subuid and /etc/subgid (root can add one: usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ${who})`);
  }
  return { mode, uidMap: buildMap(caller.uid, subuids), gidMap: buildMap(caller.gid, subgids) };
}

export function isMapped(map: readonly IdRange[], id: number): boolean {
  return map.some((range) => id >= range.inside && id < range.inside + range.count);
}

/** The id that host id HOST_ID has inside a namespace with MAP; undefined when the map does not cover it. */
export function insideId(map: readonly IdRange[], hostId: number): number | undefined {
  const range = map.find((r) => hostId >= r.outside && hostId < r.outside + r.count);
  return range ? range.inside + (hostId - range.outside) : undefined;
}

export function formatMap(map: readonly IdRange[]): string {
  return map.map((r) => `${r.inside} ${r.outside} ${r.count}`).join('\n') + '\n';
}

/** The text of /proc/PID/uid_map or gid_map back into ranges (the kernel pads the columns with spaces). */
export function parseMap(text: string): IdRange[] {
  return text
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number))
    .filter((fields) => fields.length === 3 && fields.every(Number.isSafeInteger))
    .map(([inside, outside, count]) => ({ inside, outside, count }));
}

const run = promisify(execFile);

function writeProcFile(path: string, text: string): void {
  try {
    writeFileSync(path, text);
  } catch (error) {
    throw new Error(`write(${path}): ${(error as NodeJS.ErrnoException).code}`);
  }
}

/** Write PLAN for the user namespace that process PID is in. */
export async function applyIdMap(pid: number, plan: IdMapPlan): Promise<void> {
  if (plan.mode === 'single') {
    // #region exercise: write the single-id maps yourself: uid_map, then setgroups (deny, unless you are root), then gid_map
    // Shell: echo deny > /proc/PID/setgroups; echo "0 $UID 1" > /proc/PID/uid_map (and gid_map)
    // Root may keep setgroups allowed; anyone else must deny it before gid_map.
    writeProcFile(`/proc/${pid}/uid_map`, formatMap(plan.uidMap));
    if (process.getuid!() !== 0) writeProcFile(`/proc/${pid}/setgroups`, 'deny');
    writeProcFile(`/proc/${pid}/gid_map`, formatMap(plan.gidMap));
    // #endregion
    return;
  }
  // Shell: newuidmap PID 0 $UID 1 1 100000 65536 (and newgidmap)
  const args = (map: IdRange[]) => [String(pid), ...map.flatMap((r) => [r.inside, r.outside, r.count].map(String))];
  try {
    await Promise.all([run('newuidmap', args(plan.uidMap)), run('newgidmap', args(plan.gidMap))]);
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stderr?: string };
    if (failure.code === 'ENOENT') throw new Error('--userns=subids needs newuidmap and newgidmap (Debian package uidmap)');
    throw new Error(`newuidmap/newgidmap failed: ${(failure.stderr ?? failure.message).trim().split('\n')[0]}`);
  }
}
