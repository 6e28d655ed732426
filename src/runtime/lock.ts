// Named locks in a directory, for work that two cellblock processes must not
// do at once (two pulls writing the same layer, say).
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { tryLock, waitLock } from '../syscalls/index.js';
import { ensureDir } from './paths.js';

/**
 * Run FN holding the lock DIR/NAME — exclusive, or SHARED with other shared
 * holders — released when FN settles (or the process dies).
 */
export async function withLock<T>(dir: string, name: string, fn: () => Promise<T>, shared = false): Promise<T> {
  const path = join(ensureDir(dir), name);
  const fd = openSync(path, 'a', 0o600);
  try {
    if (!tryLock(fd, path, shared)) await waitLock(fd, path, shared);
    return await fn();
  } finally {
    closeSync(fd); // closing the last fd on the file releases the flock
  }
}
