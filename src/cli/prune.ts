// cellblock container prune [-f] — remove every container that is not
// running (created or exited), record and storage, as `docker container prune`.
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { listRecords } from '../runtime/records.js';
import { EXIT_RUNTIME_FAILED } from '../runtime/exit-status.js';
import { removeContainer } from '../runtime/remove.js';
import { decimalSize } from './format.js';

export async function prune(options: { force?: boolean }): Promise<number> {
  // Not answering "y" is no failure: docker exits 0 and removes nothing.
  if (!options.force && !(await confirm('WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] '))) return 0;
  // listRecords() reports a container whose pid 1 is gone as exited, even if
  // cellblock was killed before it could write that down: those go too.
  const removed: string[] = [];
  let reclaimed = 0;
  let status = 0;
  for (const record of listRecords().filter((r) => r.status !== 'running')) {
    try {
      const size = diskUsage(record.storage);
      await removeContainer(record);
      removed.push(record.id);
      reclaimed += size;
    } catch (error) {
      process.stderr.write(`cellblock: ${record.name}: ${(error as Error).message}\n`);
      status = EXIT_RUNTIME_FAILED;
    }
  }
  if (removed.length > 0) process.stdout.write(`Deleted Containers:\n${removed.map((id) => `${id}\n`).join('')}\n`);
  process.stdout.write(`Total reclaimed space: ${decimalSize(reclaimed)}\n`);
  return status;
}

async function confirm(question: string): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: process.stdout, terminal: false });
  process.stdout.write(question);
  // No answer at all (stdin closed, as in a script) counts as "no".
  const answer = await new Promise<string>((resolve) => {
    prompt.once('line', resolve);
    prompt.once('close', () => resolve(''));
  });
  prompt.close();
  if (!process.stdin.isTTY) process.stdout.write('\n');
  return /^y(es)?$/i.test(answer.trim());
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
