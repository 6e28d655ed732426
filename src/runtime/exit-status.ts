// Exit statuses, as docker defines them, so scripts written for docker keep working:
//   the command's own status when it exits;
//   128+N when it was killed by signal N (137 = SIGKILL, 143 = SIGTERM);
//   125 when the runtime itself failed, 126 when the command could not be
//   executed, 127 when it was not found.
import { constants } from 'node:os';

export const EXIT_RUNTIME_FAILED = 125;
export const EXIT_CANNOT_EXECUTE = 126;
export const EXIT_NOT_FOUND = 127;

export function statusFromWait(code: number | null, signal: NodeJS.Signals | null): number {
  if (signal) return 128 + (constants.signals[signal] ?? 0);
  return code ?? EXIT_RUNTIME_FAILED;
}
