// Typed wrappers for signal state that survives execve.
import { check } from './errors.js';
import { libc } from './libc.js';
import { NSIG, SIGKILL, SIGSTOP, SIG_SETMASK } from './constants.js';

/**
 * Every signal back to its default action, and none blocked.
 *
 * execve resets caught signals to their default, but keeps IGNORED ones and
 * the blocked mask. Node ignores SIGPIPE (and SIGXFSZ), so without this the
 * payload would inherit that: `yes | head -1` would see EPIPE errors instead
 * of dying quietly of SIGPIPE, as every shell user expects.
 * Shell equivalent: none — shells can only pass on what they were given.
 */
export function resetSignals(): void {
  for (let signal = 1; signal < NSIG; signal++) {
    if (signal === SIGKILL || signal === SIGSTOP) continue;
    // glibc refuses 32 and 33 (its threads use them): nothing to reset there.
    libc.signal(signal, null); // SIG_DFL is the null handler
  }
  const emptySet = Buffer.alloc(128); // sizeof(sigset_t) in glibc
  check(libc.sigprocmask(SIG_SETMASK, emptySet, null), 'sigprocmask', 'SIG_SETMASK');
}
