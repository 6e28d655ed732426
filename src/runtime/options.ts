// Checking what the user typed, before anything is started. Pure functions:
// each returns a value or throws an Error whose message is the one line the
// CLI prints (exit 125).
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import type { UserSpec } from './spec.js';

/** docker's default PATH, used when the image (or rootfs) sets none. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const MAX_ID = 0xfffffffe; // (uid_t)-1 means "no change" to the kernel, so it is not a usable id

/**
 * `-e KEY=VALUE` is taken as is; `-e KEY` copies KEY from cellblock's own
 * environment, and is dropped when it is not set there (docker's rules).
 */
export function parseEnvEntry(entry: string, from: string, hostEnv: NodeJS.ProcessEnv): string | undefined {
  const eq = entry.indexOf('=');
  const name = eq === -1 ? entry : entry.slice(0, eq);
  if (name === '') throw new Error(`${from}: invalid environment variable "${entry}": the name is empty`);
  if (/\s/.test(name)) throw new Error(`${from}: invalid environment variable "${entry}": the name contains whitespace`);
  if (eq !== -1) return entry;
  const value = hostEnv[name];
  return value === undefined ? undefined : `${name}=${value}`;
}

/** An --env-file: KEY=VALUE or KEY per line; blank lines and # comments are skipped. */
export function parseEnvFile(path: string, hostEnv: NodeJS.ProcessEnv): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`--env-file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return text
    .split(/\r?\n/)
    .map((line, index) => ({ line: line.trimStart(), number: index + 1 }))
    .filter(({ line }) => line !== '' && !line.startsWith('#'))
    .map(({ line, number }) => parseEnvEntry(line, `--env-file ${path}:${number}`, hostEnv))
    .filter((entry): entry is string => entry !== undefined);
}

/**
 * Merge environments in order; for a KEY given twice the later one wins and
 * keeps its first position (so the defaults stay on top, as docker prints them).
 */
export function mergeEnv(...layers: string[][]): string[] {
  const merged = new Map<string, string>();
  for (const entry of layers.flat()) merged.set(entry.slice(0, entry.indexOf('=')), entry);
  return [...merged.values()];
}

const NAME_OR_ID = /^([0-9]+|[A-Za-z_][A-Za-z0-9_.-]*\$?)$/;

/** `-u UID[:GID]` or `-u NAME[:GROUP]`. Names are looked up inside the container. */
export function parseUserOption(value: string): UserSpec {
  const parts = value.split(':');
  if (parts.length > 2 || parts.some((part) => !NAME_OR_ID.test(part))) {
    throw new Error(`invalid -u "${value}": expected UID[:GID] or NAME[:GROUP]`);
  }
  for (const part of parts) {
    if (/^\d+$/.test(part) && Number(part) > MAX_ID) throw new Error(`invalid -u "${value}": ${part} is out of range`);
  }
  return parts.length === 2 ? { user: parts[0], group: parts[1] } : { user: parts[0] };
}

export function parseWorkdir(value: string): string {
  if (!value.startsWith('/')) throw new Error(`invalid -w "${value}": the working directory must be an absolute path`);
  return value;
}

/** RFC 1123 host name: what sethostname accepts and other programs can parse. */
export function parseHostname(value: string): string {
  const label = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
  if (value.length > 64 || !value.split('.').every((part) => label.test(part))) {
    throw new Error(`invalid --hostname "${value}": use letters, digits, dots and hyphens, at most 64 characters`);
  }
  return value;
}

/** docker's rule for a container's name (WHAT names the input in the message). */
export function parseContainerName(value: string, what = '--name'): string {
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(value)) {
    throw new Error(`invalid ${what} "${value}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed, at least 2 characters`);
  }
  return value;
}

/** A signal as docker takes it: KILL, SIGKILL or 9. */
export function parseSignal(value: string, from: string): NodeJS.Signals {
  const signals = constants.signals as Record<string, number>;
  const byNumber = /^\d+$/.test(value) ? Object.keys(signals).find((name) => signals[name] === Number(value)) : undefined;
  const name = byNumber ?? (value.toUpperCase().startsWith('SIG') ? value.toUpperCase() : `SIG${value.toUpperCase()}`);
  if (!(name in signals)) throw new Error(`${from}: invalid signal "${value}" (e.g. SIGTERM, TERM or 15)`);
  return name as NodeJS.Signals;
}
