// How the CLI fails: one line on stderr naming the problem, and docker's exit
// status (125 unless a RunError says otherwise). A stack trace helps the
// people who write cellblock, not the people who use it: CELLBLOCK_DEBUG=1
// prints it.
import { EXIT_RUNTIME_FAILED } from '../runtime/exit-status.js';
import { isSystemError, systemErrorLine } from '../runtime/files.js';

export function fail(error: unknown): never {
  // Node's own words for a failed system call ("ENOSPC: no space left on
  // device, open '/…'") become cellblock's: open(/…): ENOSPC.
  const message = isSystemError(error) && error.message.startsWith(`${error.code}:`) ? systemErrorLine(error)
    : error instanceof Error ? error.message : String(error);
  process.stderr.write(`cellblock: ${message.split('\n')[0]}\n`);
  if (process.env.CELLBLOCK_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  const code = (error as { exitCode?: unknown }).exitCode;
  process.exit(typeof code === 'number' ? code : EXIT_RUNTIME_FAILED);
}
