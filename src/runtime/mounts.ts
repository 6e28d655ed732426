// -v, --mount and --tmpfs: docker's three spellings of "mount this there",
// checked before anything is created. Each flag becomes a MountSpec (spec.ts).
//
//   -v HOSTDIR:CDIR[:ro]      a host directory (or file), as it is
//   -v NAME:CDIR[:ro]         a named volume, created if missing
//   -v CDIR                   an anonymous volume (removed by rm -v and --rm)
//   --tmpfs CDIR[:size=64m,mode=1777,…]
//   --mount type=bind|volume|tmpfs,source=…,target=…,readonly,…
//
// The parsers are pure; only checkBindSource looks at the host.
import { realpathSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import type { MountSpec, TmpfsFlag } from './spec.js';

/** A mount as the user asked for it: a volume may have no name yet (anonymous), a bind's source is not checked yet. */
export type MountRequest = (
  | { type: 'bind'; source: string; target: string; readOnly: boolean }
  | { type: 'volume'; name?: string; target: string; readOnly: boolean; copyUp: boolean }
  | Extract<MountSpec, { type: 'tmpfs' }>
) & {
  /** The flag as typed, for messages: `-v "a:/x"`. */
  given: string;
};

/** docker's rule for volume names (the same as for container names). */
export const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export function checkVolumeName(name: string, what: string): string {
  if (!VOLUME_NAME.test(name)) {
    throw new Error(`${what}: "${name}" is not a valid volume name: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed, at least 2 characters`);
  }
  return name;
}

type Bad = (why: string) => Error;
const complaint = (given: string): Bad => (why) => new Error(`invalid ${given}: ${why}`);

/** An absolute path in the container, cleaned ("/data/" → "/data"); never "/" itself. */
function containerPath(text: string, bad: Bad): string {
  if (!text.startsWith('/')) throw bad(`"${text}" is not an absolute path in the container`);
  const clean = posix.normalize(text).replace(/(.)\/+$/, '$1');
  if (clean === '/') throw bad('the container\'s "/" cannot be a mount point (use --rootfs or an image for that)');
  return clean;
}

/** `-v HOSTDIR:CDIR[:OPTIONS]`, `-v NAME:CDIR[:OPTIONS]` or `-v CDIR`; OPTIONS: ro, rw, nocopy. */
export function parseVolumeFlag(value: string): MountRequest {
  const given = `-v "${value}"`;
  const bad = complaint(given);
  const parts = value.split(':');
  if (parts.length > 3 || parts.some((part) => part === '')) {
    throw bad('expected HOSTDIR:CDIR[:ro], NAME:CDIR[:ro] or CDIR');
  }
  if (parts.length === 1) return { type: 'volume', target: containerPath(parts[0], bad), readOnly: false, copyUp: true, given };
  const [source, targetText, optionText] = parts;
  const target = containerPath(targetText, bad);
  let readOnly: boolean | undefined;
  let copyUp = true;
  for (const option of optionText?.split(',') ?? []) {
    if ((option === 'ro' || option === 'rw') && readOnly === undefined) readOnly = option === 'ro';
    else if (option === 'nocopy' && copyUp) copyUp = false;
    else if (['ro', 'rw', 'nocopy'].includes(option)) throw bad(`"${option}" conflicts with an earlier option`);
    else throw bad(`unknown option "${option}" (cellblock knows ro, rw and nocopy)`);
  }
  if (source.startsWith('/')) {
    if (!copyUp) throw bad('nocopy is for volumes, not host directories');
    return { type: 'bind', source: posix.normalize(source), target, readOnly: readOnly ?? false, given };
  }
  if (!VOLUME_NAME.test(source) && (source.includes('/') || source.startsWith('.'))) {
    throw bad(`"${source}" is a relative host path: give it as an absolute one`);
  }
  return { type: 'volume', name: checkVolumeName(source, `invalid ${given}`), target, readOnly: readOnly ?? false, copyUp, given };
}

/** `--tmpfs CDIR[:OPTIONS]`, OPTIONS as mount(8) takes them for tmpfs. */
export function parseTmpfsFlag(value: string): MountRequest {
  const given = `--tmpfs "${value}"`;
  const bad = complaint(given);
  const colon = value.indexOf(':');
  const target = containerPath(colon === -1 ? value : value.slice(0, colon), bad);
  return tmpfs(target, colon === -1 ? [] : value.slice(colon + 1).split(','), given, bad);
}

const TMPFS_FLAGS: readonly TmpfsFlag[] = ['noexec', 'nosuid', 'nodev'];
/** tmpfs's own options, and what their values look like: sizes in bytes or with k, m or g (size also as a % of RAM), an octal mode. */
const TMPFS_VALUES = new Map([['size', /^\d+[kmg%]?$/i], ['nr_inodes', /^\d+[kmg]?$/i], ['mode', /^[0-7]{1,4}$/]]);
const isTmpfsFlag = (word: string): word is TmpfsFlag => (TMPFS_FLAGS as readonly string[]).includes(word);

/**
 * A tmpfs at TARGET with mount(8)-style OPTIONS. docker's defaults are
 * noexec, nosuid and nodev (exec, suid and dev undo them); a tmpfs with no
 * size may grow to half the machine's memory, as tmpfs does by default.
 */
function tmpfs(target: string, options: string[], given: string, bad: Bad): MountRequest {
  const flags = new Set<TmpfsFlag>(TMPFS_FLAGS);
  const data = new Map<string, string>();
  let readOnly = false;
  const unknown = (option: string) => bad(`unknown tmpfs option "${option}" (cellblock knows size, mode, nr_inodes, ro, rw, exec, noexec, suid, nosuid, dev, nodev)`);
  for (const option of options) {
    const eq = option.indexOf('=');
    if (eq !== -1) {
      const [key, value] = [option.slice(0, eq), option.slice(eq + 1)];
      const valid = TMPFS_VALUES.get(key);
      if (!valid) throw unknown(option);
      if (!valid.test(value)) throw bad(`bad value for ${key}: "${value}"`);
      data.set(key, value.toLowerCase());
    } else if (option === 'ro' || option === 'rw') readOnly = option === 'ro';
    else if (isTmpfsFlag(option)) flags.add(option);
    else if (isTmpfsFlag(`no${option}`)) flags.delete(`no${option}` as TmpfsFlag);
    else throw unknown(option);
  }
  return {
    type: 'tmpfs', target, readOnly, given,
    options: TMPFS_FLAGS.filter((flag) => flags.has(flag)),
    data: [...data].map(([key, value]) => `${key}=${value}`).join(','),
  };
}

/** `--mount KEY=VALUE,…` with docker's keys and their aliases. */
export function parseMountFlag(value: string): MountRequest {
  const given = `--mount "${value}"`;
  const bad = complaint(given);
  const fields = new Map<string, string | undefined>();
  for (const field of value.split(',')) {
    const eq = field.indexOf('=');
    const rawKey = eq === -1 ? field : field.slice(0, eq);
    const key = ALIASES[rawKey] ?? rawKey;
    if (!KEYS.includes(key)) throw bad(rawKey === '' ? 'an empty field' : `unknown key "${rawKey}"`);
    if (fields.has(key)) throw bad(`${key} is given twice`);
    fields.set(key, eq === -1 ? undefined : field.slice(eq + 1));
  }
  const type = fields.get('type') ?? 'volume';
  if (type !== 'bind' && type !== 'volume' && type !== 'tmpfs') throw bad(`type "${type}" is not supported (bind, volume or tmpfs)`);
  for (const key of fields.keys()) {
    const prefix = key.match(/^(volume|tmpfs)-/)?.[1];
    if (prefix && prefix !== type) throw bad(`${key} does not go with type=${type}`);
  }
  const targetText = fields.get('target');
  if (!targetText) throw bad('target is required (target=/path/in/container)');
  const target = containerPath(targetText, bad);
  const readOnly = fields.has('readonly') ? bool(fields.get('readonly'), 'readonly', bad) : false;
  const source = fields.get('source');
  if (fields.has('source') && !source) throw bad('source is empty');

  if (type === 'tmpfs') {
    if (source !== undefined) throw bad('a tmpfs has no source');
    const size = fields.get('tmpfs-size');
    const mode = fields.get('tmpfs-mode');
    if (fields.has('tmpfs-size') && !/^\d+[kmg]?$/i.test(size ?? '')) throw bad(`bad tmpfs-size "${size ?? ''}": bytes, or a number with k, m or g`);
    if (fields.has('tmpfs-mode') && !TMPFS_VALUES.get('mode')!.test(mode ?? '')) throw bad(`bad tmpfs-mode "${mode ?? ''}": an octal mode like 1777`);
    const options = [...(size ? [`size=${size}`] : []), ...(mode ? [`mode=${mode}`] : []), readOnly ? 'ro' : 'rw'];
    return tmpfs(target, options, given, bad);
  }
  if (type === 'bind') {
    if (source === undefined) throw bad('a bind needs source=/host/path');
    if (!source.startsWith('/')) throw bad(`"${source}" is a relative host path: give it as an absolute one`);
    return { type: 'bind', source: posix.normalize(source), target, readOnly, given };
  }
  const copyUp = fields.has('volume-nocopy') ? !bool(fields.get('volume-nocopy'), 'volume-nocopy', bad) : true;
  return { type: 'volume', name: source === undefined ? undefined : checkVolumeName(source, `invalid ${given}`), target, readOnly, copyUp, given };
}

const KEYS = ['type', 'source', 'target', 'readonly', 'volume-nocopy', 'tmpfs-size', 'tmpfs-mode'];
const ALIASES: Record<string, string> = { src: 'source', dst: 'target', destination: 'target', ro: 'readonly' };

/** `readonly` alone means true, as in docker. */
function bool(value: string | undefined, key: string, bad: Bad): boolean {
  if (value === undefined || value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw bad(`${key}=${value}: use true or false`);
}

/**
 * A bind's host path must exist, be absolute, and be a directory — or a
 * file (or socket), which is then mounted on a file. Returns its real path.
 */
export function checkBindSource(request: Extract<MountRequest, { type: 'bind' }>): { source: string; file: boolean } {
  const bad = complaint(request.given);
  let source: string;
  try {
    source = realpathSync(request.source);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw bad(code === 'ENOENT' ? `host path ${request.source} does not exist` : `host path ${request.source}: ${code}`);
  }
  const stat = statSync(source);
  if (stat.isDirectory()) return { source, file: false };
  if (stat.isFile() || stat.isSocket()) return { source, file: true };
  throw bad(`host path ${request.source} is not a directory or a regular file`);
}

/**
 * The mounts in the order they must be made: a parent before anything
 * below it (so -v a:/data/logs lands on the volume at /data, not under
 * it), otherwise as given. Two mounts on one target are an error.
 */
export function orderMounts<T extends { target: string; given: string }>(requests: readonly T[]): T[] {
  const seen = new Map<string, string>();
  for (const request of requests) {
    const earlier = seen.get(request.target);
    if (earlier !== undefined) throw complaint(request.given)(`${request.target} is already a mount point (${earlier})`);
    seen.set(request.target, request.given);
  }
  const depth = (target: string) => target.split('/').length;
  return [...requests].sort((a, b) => depth(a.target) - depth(b.target)); // Array.prototype.sort is stable
}
