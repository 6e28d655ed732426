// Step 3 entry point: this file runs as pid 1 of the new namespaces, started
// by unshare(1) (see src/userns/spawn.ts), until it execs the payload.
//
// It says "ready" first, before loading anything, so the parent can write the
// id maps while this process is still loading its modules. Everything the
// pipeline needs is imported before pivot_root: afterwards, the project's own
// files are no longer reachable.
import { readlinkSync } from 'node:fs';
import { EXIT_RUNTIME_FAILED } from '../runtime/exit-status.js';
import { tellParent, waitForParent } from './channel.js';
import { InitError } from './errors.js';
import type { Explainer } from './explain.js';

// /proc is still the host's here, so /proc/self names our pid as the parent sees it.
tellParent({ type: 'ready', pid: Number(readlinkSync('/proc/self')) });

let explainer: Explainer | undefined;
try {
  const { runPipeline } = await import('./pipeline.js');
  const { spec, explain } = waitForParent();
  // run --explain: loaded now, while the project's files are still reachable.
  if (explain) explainer = (await import('./explain.js')).explainInit();
  runPipeline(spec, explainer); // returns only by throwing: its last step is execve
} catch (error) {
  // Static imports only here: after pivot_root no module file can be loaded.
  const code = error instanceof InitError ? error.exitCode : EXIT_RUNTIME_FAILED;
  const message = error instanceof Error ? error.message : String(error);
  explainer?.flush(); // the failed call, if it was being folded with others
  tellParent({ type: 'error', code, message });
  process.exit(code);
}
