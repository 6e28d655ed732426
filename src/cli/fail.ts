// How the CLI fails: one line on stderr naming the problem, and docker's exit
// status (125 unless a RunError says otherwise). A stack trace helps the
// people who write cellblock, not the people who use it: CELLBLOCK_DEBUG=1
// prints it.
import { EXIT_RUNTIME_FAILED } from '../runtime/exit-status.js';

export function fail(error: unknown): never {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`cellblock: ${message.split('\n')[0]}\n`);
  if (process.env.CELLBLOCK_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  const code = (error as { exitCode?: unknown }).exitCode;
  process.exit(typeof code === 'number' ? code : EXIT_RUNTIME_FAILED);
}
