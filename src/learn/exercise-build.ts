// Building the learner's file. TypeScript type-checks and compiles it as if
// it were a sibling of the real module (src/init/proc.ts → a virtual
// src/init/proc.exercise.ts), and the JavaScript goes to
// dist/init/proc.exercise.js, beside the real module's build. Its relative
// imports ('../syscalls/index.js') therefore reach the very same files: one
// copy of each module in the process — an `instanceof InitError` in the
// init's main.ts still recognises an error the learner's step throws.
//
// The build's first line says what it was built from (the file and the
// sha256 of its text), so a build is redone only when that text changed.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import { join, relative, isAbsolute } from 'node:path';
import { replaceFile } from '../runtime/files.js';
import { PROJECT_ROOT, findChapter, type Chapter } from './chapters.js';
import { exerciseBuildOf, type ExerciseStep } from './exercise-steps.js';

/** Where the learner's files are: exercises/ in the project, or $CELLBLOCK_EXERCISES_DIR (the tests use a temporary one). */
export const exercisesDir = () => process.env.CELLBLOCK_EXERCISES_DIR || join(PROJECT_ROOT, 'exercises');

/** exercises/04-pid-namespace.ts */
export const exerciseFile = (chapter: Chapter) => join(exercisesDir(), `${String(chapter.number).padStart(2, '0')}-${chapter.slug}.ts`);

export const buildPath = (step: ExerciseStep) => join(PROJECT_ROOT, 'dist', exerciseBuildOf(step.module));

/** PATH as the learner would type it: relative to the working directory when under it. */
export function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

interface Stamp { source: string; sha256: string }
const STAMP = '// cellblock exercise build: ';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function readStamp(build: string): Stamp | undefined {
  let fd: number;
  try {
    fd = openSync(build, 'r');
  } catch {
    return undefined; // not built yet
  }
  try {
    const head = Buffer.alloc(1024);
    const line = head.subarray(0, readSync(fd, head, 0, head.length, 0)).toString('utf8').split('\n')[0];
    return line.startsWith(STAMP) ? JSON.parse(line.slice(STAMP.length)) as Stamp : undefined;
  } catch {
    return undefined; // unreadable or not ours: build again
  } finally {
    closeSync(fd);
  }
}

/**
 * Build SOURCE as STEP's module, unless the build is of this very text
 * already. A compile error throws one line: FILE:LINE:COLUMN: message.
 */
export async function buildExercise(step: ExerciseStep, source: string): Promise<void> {
  const text = readFileSync(source, 'utf8');
  const stamp: Stamp = { source, sha256: sha256(text) };
  const target = buildPath(step);
  const built = readStamp(target);
  if (built?.source === stamp.source && built.sha256 === stamp.sha256) return;
  const javascript = await compile(step, text, shown(source));
  // Temporary file and rename: a cellblock starting meanwhile (the lab runs
  // several at once) loads the old build or the new one, never half of one.
  replaceFile(target, `${STAMP}${JSON.stringify(stamp)}\n${javascript}`);
}

/**
 * `CELLBLOCK_EXERCISE=N cellblock …` typed by hand: build the learner's file
 * again if it changed since. Not where the project's sources are missing:
 * a copy of dist/ staged for another user (scripts/lib/as-user.mjs) uses the
 * build it was given.
 */
export async function refreshBuild(step: ExerciseStep): Promise<void> {
  const source = exerciseFile(findChapter(step.chapter));
  if (existsSync(join(PROJECT_ROOT, 'src', step.module)) && existsSync(source)) await buildExercise(step, source);
}

async function compile(step: ExerciseStep, text: string, display: string): Promise<string> {
  let ts: typeof import('typescript');
  try {
    ts = (await import('typescript')).default;
  } catch {
    throw new Error(`building ${display} needs TypeScript, one of the project's devDependencies: run npm ci in ${PROJECT_ROOT}`);
  }
  const config = ts.getParsedCommandLineOfConfigFile(join(PROJECT_ROOT, 'tsconfig.json'), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(`tsconfig.json: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`); },
  });
  if (!config) throw new Error(`building ${display} needs the project's tsconfig.json`);
  const virtual = join(PROJECT_ROOT, 'src', step.module.replace(/\.ts$/, '.exercise.ts'));
  const host = ts.createCompilerHost(config.options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (file, language, ...rest) => (file === virtual ? ts.createSourceFile(file, text, language) : getSourceFile.call(host, file, language, ...rest));
  host.fileExists = (file) => file === virtual || fileExists.call(host, file);
  host.readFile = (file) => (file === virtual ? text : readFile.call(host, file));
  const program = ts.createProgram([virtual], config.options, host);
  const file = program.getSourceFile(virtual)!;

  const errors = ts.getPreEmitDiagnostics(program, file).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length > 0) {
    const [first] = errors;
    const where = first.file && first.start !== undefined ? first.file.getLineAndCharacterOfPosition(first.start) : undefined;
    const at = where ? `${display}:${where.line + 1}:${where.character + 1}` : display;
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more error${errors.length > 2 ? 's' : ''})` : '';
    throw new Error(`${at}: ${ts.flattenDiagnosticMessageText(first.messageText, ' ')}${more}`);
  }
  let javascript: string | undefined;
  program.emit(file, (name, data) => {
    if (name.endsWith('.js')) javascript = data;
  });
  if (javascript === undefined) throw new Error(`${display}: TypeScript wrote no JavaScript for it`);
  return javascript;
}
