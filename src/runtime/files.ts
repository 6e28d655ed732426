import { lstatSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync, type WriteFileOptions } from 'node:fs';
import { join } from 'node:path';

/** The text of PATH, or "" when it cannot be read (/etc/subuid on a machine without one, say). */
export function readFileOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** The names in DIR, or none when it does not exist (yet). */
export function readdirOrEmpty(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * Whether ERROR is one of Node's failed system calls (fs, child_process):
 * it carries the call's name and the errno's, e.g. syscall "write", code "ENOSPC".
 */
export function isSystemError(error: unknown): error is NodeJS.ErrnoException & { syscall: string; code: string } {
  const failure = error as NodeJS.ErrnoException | undefined;
  return typeof failure?.syscall === 'string' && typeof failure.code === 'string' && /^E[A-Z0-9]+$/.test(failure.code);
}

/**
 * A failed system call as one line a reader can look up in its man page:
 * `write(/home/you/.local/share/cellblock/tmp/…): ENOSPC`. Node's own
 * message ("ENOSPC: no space left on device, write") names neither the file
 * nor, for a write to an fd, anything at all: PATH fills in what it lacks.
 */
export function systemErrorLine(error: NodeJS.ErrnoException & { syscall: string; code: string }, path = error.path): string {
  return path === undefined ? `${error.syscall}: ${error.code}` : `${error.syscall}(${path}): ${error.code}`;
}

/**
 * writeFileSync(PATH, DATA) for a new file, say a temporary that is renamed
 * into place next. If the write fails half-way (ENOSPC: the disk filled up),
 * the partial file is removed — nothing may ever read half of it — and the
 * error is one line naming the call, the file and the errno.
 */
export function writeNewFile(path: string, data: string | Uint8Array, options?: WriteFileOptions): void {
  try {
    writeFileSync(path, data, options);
  } catch (error) {
    rmSync(path, { force: true });
    throw isSystemError(error) ? new Error(systemErrorLine(error, path)) : error;
  }
}

/**
 * Replace PATH with DATA in one step: written to PATH.PID.tmp, then renamed
 * over it (rename(2) within a filesystem is atomic). A reader sees the old
 * file or the new one, never half of one; a full disk leaves the old one.
 */
export function replaceFile(path: string, data: string | Uint8Array, options?: WriteFileOptions): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeNewFile(temporary, data, options);
  renameSync(temporary, path);
}

/**
 * Bytes in the files under DIR (their apparent sizes; directories themselves
 * are not counted, as docker counts a writable layer).
 * Directories of subordinate ids that only they may read are skipped: the
 * total is then a lower bound, which is all docker promises too.
 */
export function diskUsage(dir: string): number {
  let total = 0;
  const walk = (path: string) => {
    let stat;
    try {
      stat = lstatSync(path);
    } catch {
      return;
    }
    if (!stat.isDirectory()) {
      total += stat.size;
      return;
    }
    let entries: string[];
    try {
      entries = readdirSync(path);
    } catch {
      return;
    }
    for (const entry of entries) walk(join(path, entry));
  };
  walk(dir);
  return total;
}
