// cellblock rm — remove containers. A running one needs -f, which kills it first.
import { findRecord, isAlive } from '../runtime/records.js';
import { EXIT_RUNTIME_FAILED } from '../runtime/exit-status.js';
import { planIdMap } from '../userns/idmap.js';
import { removeAnonymousVolumes } from '../runtime/volumes.js';
import { removeContainer } from './run.js';

export async function rm(references: string[], options: { force?: boolean; volumes?: boolean }): Promise<number> {
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
      await removeContainer(record, planIdMap(record.userns));
      if (options.volumes) await removeAnonymousVolumes(record);
      process.stdout.write(`${reference}\n`);
    } catch (error) {
      process.stderr.write(`cellblock: ${(error as Error).message}\n`);
      status = EXIT_RUNTIME_FAILED;
    }
  }
  return status;
}
