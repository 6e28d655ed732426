#!/usr/bin/env -S node --
// (The "--" is load-bearing: Node 20 looks for its own --env-file option
// anywhere in argv, even after the script, and exits 9 when that file is
// missing — so `cellblock run --env-file F` would never reach us.)
//
// The cellblock command. `run` is the hot path: before the command line
// (program.ts, commander and all) is even loaded, its supervisor is
// launched, so that its Node boots meanwhile (src/supervisor/client.ts).
//
// CELLBLOCK_EXERCISE=N (exercise mode, src/learn/step-loader.ts) loads the
// learner's build of step N in place of the real module, here and in every
// process started from here; unset, it costs this one lookup.
if (process.env.CELLBLOCK_EXERCISE) await import('../learn/step-loader.js');
if (process.argv[2] === 'run') {
  const { launchEarlySupervisor } = await import('../supervisor/client.js');
  launchEarlySupervisor();
}
await import('./program.js');
