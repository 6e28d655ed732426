// Exercise mode's table: for each chapter with an exercise, the one step
// module the learner writes (its teaching lines are marked in the source with
// `// #region exercise: WHAT` … `// #endregion`) and the lab check that
// proves the step works. Kept apart from exercises.ts so that the runtime
// switch (step-loader.ts) loads this small table and nothing else.
//
// A lab skips what its machine cannot show, and a skipped proof checks
// nothing: the exercise is then neither passed nor failed but "cannot be
// checked here" (exercises.ts). Chapter 6's proof is like that on a host
// without a delegated cgroup v2 subtree, so its row says where it can be
// checked: in the course VM.

export interface ExerciseStep {
  chapter: number;
  /** The step module, relative to src/ (its build is dist/ + the same path, .exercise.js). */
  module: string;
  /**
   * A check of the chapter's lab (its text after ✔ or ✘) that exercises
   * this step: the exercise passes only when the lab passed AND printed
   * this check as passed, so a lab that skipped it here proves nothing.
   */
  proof: string;
  /** Where the proof needs to run, when it is not every machine: said when the lab skipped it. */
  checkedIn?: string;
}

export const EXERCISE_STEPS: readonly ExerciseStep[] = [
  { chapter: 1, module: 'init/exec.ts', proof: 'the payload is pid 1 of its pid namespace' },
  { chapter: 2, module: 'userns/idmap.ts', proof: 'the payload runs as uid 0 inside' },
  { chapter: 3, module: 'init/rootfs.ts', proof: 'host paths outside the rootfs do not exist inside' },
  { chapter: 4, module: 'init/proc.ts', proof: 'ps lists just two processes: the payload as pid 1, and ps itself' },
  { chapter: 5, module: 'init/uts-ipc.ts', proof: "by default the hostname is the container's short id (12 hex digits)" },
  {
    chapter: 6, module: 'cgroups/limits.ts', proof: 'dd touching 100 MB under a 32 MB limit is killed: exit 137 (128 + SIGKILL)',
    checkedIn: 'it needs a delegated cgroup v2 subtree, which the course VM has: node scripts/vm/run.mjs -- node dist/cli/main.js learn check 6',
  },
  { chapter: 7, module: 'overlay/mount.ts', proof: "the container's / is an overlay mount" },
  { chapter: 8, module: 'image/store.ts', proof: 'the pull fails (125) with a digest mismatch that names the layer' },
  { chapter: 9, module: 'cli/lifecycle.ts', proof: 'pid 1 with one: it exits at once, status 0' },
  { chapter: 10, module: 'init/network.ts', proof: "only lo — and up: cellblock's init brought it up (src/init/network.ts)" },
  { chapter: 11, module: 'init/capabilities.ts', proof: 'root in the container keeps exactly those, in its effective and bounding sets, and no ambient ones' },
];

export const exerciseStep = (chapter: number): ExerciseStep | undefined => EXERCISE_STEPS.find((step) => step.chapter === chapter);

/** dist/init/proc.js → dist/init/proc.exercise.js: the learner's build sits beside the real module, so its relative imports resolve to the same files. */
export const exerciseBuildOf = (module: string): string => module.replace(/\.ts$/, '.exercise.js');
