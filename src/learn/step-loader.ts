// Exercise mode at run time. With CELLBLOCK_EXERCISE=N, every import of
// step N's module (dist/init/proc.js for chapter 4) loads the learner's build
// instead (dist/init/proc.exercise.js, src/learn/exercise-build.ts) — in this
// process and in every Node process it starts. Nothing else changes.
//
//   cellblock learn check 4                          builds it, runs lab 4 with the variable set
//   CELLBLOCK_EXERCISE=4 cellblock run --rm busybox ps   by hand (rebuilt first if the file changed)
//
// Only src/cli/main.ts looks at the variable, and only this file is loaded
// when it is set: unset, exercise mode costs one environment lookup.
//
// Why a module hook, and why in every process: the step runs in whichever
// process the runtime gives it — the id maps in the supervisor, the mounts in
// the container's init, a pull in the CLI — and each of those loads its
// modules with static imports that are resolved before any of its own code
// runs. So the switch goes into Node's module resolution (module.register:
// a resolve hook, run by Node on a loader thread of its own), and reaches
// the children through NODE_OPTIONS=--import=<this file>, which Node runs
// before a process's main module. The children inherit it along with the
// rest of the environment: the supervisor (src/supervisor/client.ts), and
// through setpriv and unshare(1) the init (src/userns/spawn.ts) — which
// thereby loads the learner's step at start-up, while dist/ is still
// reachable: after pivot_root it is not. The payload does not inherit it:
// execve gets the container's own environment (spec.env).
import { existsSync } from 'node:fs';
import { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';
import { EXIT_RUNTIME_FAILED } from '../runtime/exit-status.js';
import { EXERCISE_STEPS, exerciseBuildOf, exerciseStep } from './exercise-steps.js';

interface Redirect { from: string; to: string }

// ── On Node's loader thread: the hook itself ──────────────────────────────
let redirect: Redirect | undefined;

/** Called by Node on the loader thread with register()'s data. */
export function initialize(data: Redirect): void {
  redirect = data;
}

interface Resolved { url: string; format?: string | null; shortCircuit?: boolean }
type NextResolve = (specifier: string, context: unknown) => Promise<Resolved>;

/** Every import is resolved as usual; the one module of the step then becomes the learner's build. */
export async function resolve(specifier: string, context: unknown, nextResolve: NextResolve): Promise<Resolved> {
  const resolved = await nextResolve(specifier, context);
  return resolved.url === redirect?.from ? { ...resolved, url: redirect.to } : resolved;
}

// ── In the process: turning it on ─────────────────────────────────────────
function refuse(message: string): never {
  process.stderr.write(`cellblock: CELLBLOCK_EXERCISE=${process.env.CELLBLOCK_EXERCISE}: ${message}\n`);
  process.exit(EXIT_RUNTIME_FAILED);
}

async function turnOn(value: string): Promise<void> {
  const step = /^\d{1,2}$/.test(value) ? exerciseStep(Number(value)) : undefined;
  if (!step) refuse(`not a chapter with an exercise (${EXERCISE_STEPS.map((s) => s.chapter).join(', ')})`);
  const here = new URL(import.meta.url);
  const from = new URL(`../${step.module.replace(/\.ts$/, '.js')}`, here).href;
  const to = new URL(`../${exerciseBuildOf(step.module)}`, here).href;
  const self = `--import=${here.href}`;
  const options = process.env.NODE_OPTIONS ?? '';
  if (!options.split(/\s+/).includes(self)) {
    // The first cellblock of a chain: the one a person (or a lab) started.
    // Rebuild the learner's file if it changed; then hand the switch down.
    try {
      const { refreshBuild } = await import('./exercise-build.js');
      await refreshBuild(step);
    } catch (error) {
      refuse((error as Error).message);
    }
    process.env.NODE_OPTIONS = `${options} ${self}`.trim();
  }
  if (!existsSync(new URL(to))) refuse(`exercise ${step.chapter} is not built: \`cellblock learn start ${step.chapter}\`, then \`cellblock learn check ${step.chapter}\``);
  register(here.href, { data: { from, to } satisfies Redirect });
}

// Loaded twice: in the process (main thread), where it turns the switch on,
// and by register() on the loader thread, where only the hook above is used.
if (isMainThread && process.env.CELLBLOCK_EXERCISE) await turnOn(process.env.CELLBLOCK_EXERCISE);
