// cellblock rm — remove containers. A running one needs -f, which kills it first.
import { findRecord, isAlive, removeRecord } from '../runtime/records.js';
import { EXIT_RUNTIME_FAILED } from '../runtime/exit-status.js';

export function rm(references: string[], options: { force?: boolean }): number {
  let status = 0;
  for (const reference of references) {
    try {
      const record = findRecord(reference);
      if (isAlive(record)) {
        if (!options.force) throw new Error(`cannot remove running container ${reference}: stop it first, or use rm -f`);
        // SIGKILL to pid 1 ends the whole pid namespace; the cellblock that
        // runs it in the foreground sees the exit and writes it down.
        process.kill(record.pid!, 'SIGKILL');
      }
      removeRecord(record);
      process.stdout.write(`${reference}\n`);
    } catch (error) {
      process.stderr.write(`cellblock: ${(error as Error).message}\n`);
      status = EXIT_RUNTIME_FAILED;
    }
  }
  return status;
}
