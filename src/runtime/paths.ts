// Where cellblock keeps things (see ARCHITECTURE.md, "Storage").
import { lstatSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Runtime state (container records): $XDG_RUNTIME_DIR/cellblock, or
 * /tmp/cellblock-UID when there is no XDG_RUNTIME_DIR (su, ssh without
 * pam_systemd, CI). /tmp is shared with every user, so that directory must be
 * ours and 0700 — otherwise someone could have created it first and would
 * see or change our containers.
 */
export function runtimeDir(): string {
  const xdg = process.env.XDG_RUNTIME_DIR;
  if (xdg) return ensureDir(join(xdg, 'cellblock'));
  const dir = `/tmp/cellblock-${process.getuid!()}`;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = lstatSync(dir);
  if (!stat.isDirectory() || stat.uid !== process.getuid!() || (stat.mode & 0o077) !== 0) {
    throw new Error(`${dir} is not a private directory of ours (owner ${stat.uid}, mode ${(stat.mode & 0o777).toString(8)}); remove it or set XDG_RUNTIME_DIR`);
  }
  return dir;
}

/** Persistent data (images, containers' writable layers): $XDG_DATA_HOME/cellblock, or ~/.local/share/cellblock. */
export function dataDir(): string {
  return ensureDir(join(process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'cellblock'));
}

export function ensureDir(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}
