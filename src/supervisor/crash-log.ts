// A supervisor has no stderr (client.ts: sharing the CLI's would keep a
// `run -d`'s caller waiting). So when one dies of a bug — an exception
// nothing caught — it writes why to a file before it goes, and the CLI that
// loses it points there: otherwise "the supervisor went away" is all anyone
// would ever learn. (conmon logs to syslog for the same reason.)
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { runtimeDir } from '../runtime/paths.js';

export const crashLogPath = () => join(runtimeDir(), 'supervisor-crashes.log');

/** From now on, an uncaught exception in this process is written to the crash log, then the process exits. */
export function logCrashes(): void {
  const crash = (error: unknown) => {
    try {
      const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
      appendFileSync(crashLogPath(), `${new Date().toISOString()} supervisor ${process.pid}: ${text}\n`);
    } finally {
      process.exit(70); // EX_SOFTWARE: what died was ours, not the container
    }
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
}
