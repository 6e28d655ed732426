// cellblock container prune [-f] — remove every container that is not
// running (created or exited), record and storage, as `docker container prune`.
import { createInterface } from 'node:readline/promises';
import { listRecords } from '../runtime/records.js';
import { EXIT_RUNTIME_FAILED } from '../runtime/exit-status.js';
import { diskUsage } from '../runtime/files.js';
import { removeContainer } from '../runtime/remove.js';
import { decimalSize } from './format.js';

export async function prune(options: { force?: boolean }): Promise<number> {
  // Not answering "y" is no failure: docker exits 0 and removes nothing.
  if (!options.force && !(await confirm('WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] '))) return 0;
  const { removed, reclaimed, status } = await pruneStoppedContainers();
  if (removed.length > 0) process.stdout.write(`Deleted Containers:\n${removed.map((id) => `${id}\n`).join('')}\n`);
  process.stdout.write(`Total reclaimed space: ${decimalSize(reclaimed)}\n`);
  return status;
}

/**
 * Remove every container that is not running; a failure is reported on
 * stderr (one line) and the others still go. Shared with `system prune`.
 */
export async function pruneStoppedContainers(): Promise<{ removed: string[]; reclaimed: number; status: number }> {
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
  return { removed, reclaimed, status };
}

/** Ask QUESTION on stdout and read one line: true for y or yes; no answer (stdin closed, as in a script) is no. */
export async function confirm(question: string): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: process.stdout, terminal: false });
  process.stdout.write(question);
  const answer = await new Promise<string>((resolve) => {
    prompt.once('line', resolve);
    prompt.once('close', () => resolve(''));
  });
  prompt.close();
  if (!process.stdin.isTTY) process.stdout.write('\n');
  return /^y(es)?$/i.test(answer.trim());
}
