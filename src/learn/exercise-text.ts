// Exercise mode's text work, pure (no files, no processes): find the marked
// teaching lines of a step module, turn them into TODOs for the learner's
// copy, print them back as the solution, and take the hint from a chapter.
//
// In a step module the lines look like this (the chapters quote the code
// without the two marker lines: test/chapters.test.mjs skips them):
//
//     // #region exercise: mount a fresh proc at ROOT/proc
//     const target = prepareMountpoint(root, 'proc', 'dir');
//     mount('proc', target, 'proc', MS_NOSUID | MS_NODEV | MS_NOEXEC);
//     // #endregion
//
// The learner's copy gets one TODO line in their place. Most regions are
// statements, and leaving them out still compiles: the lab then meets the
// step doing nothing, and fails the check that needs it. A region that must
// produce a value names a stand-in for the learner's copy, so that it
// compiles too: `// #endregion (stand-in: return '';)`.

export interface Region {
  /** What to write, from the opening marker. */
  what: string;
  /** The real lines between the markers, as they are in the module. */
  lines: string[];
  /** 1-based line numbers of the first and last real line in the module. */
  first: number;
  last: number;
  indent: string;
  standIn?: string;
}

const OPEN = /^(\s*)\/\/ #region exercise: (.+)$/;
const CLOSE = /^\s*\/\/ #endregion(?: \(stand-in: (.+)\))?\s*$/;

/** The exercise regions of SOURCE, in order; FILE names it in errors (a marker without its pair). */
export function findRegions(source: string, file: string): Region[] {
  const regions: Region[] = [];
  let open: { at: number; what: string; indent: string } | undefined;
  const lines = source.split('\n');
  lines.forEach((line, i) => {
    const opening = OPEN.exec(line);
    const closing = CLOSE.exec(line);
    if (opening) {
      if (open) throw new Error(`${file}:${i + 1}: a "// #region exercise" inside the one opened on line ${open.at + 1}`);
      open = { at: i, what: opening[2].trim(), indent: opening[1] };
    } else if (closing) {
      if (!open) throw new Error(`${file}:${i + 1}: "// #endregion" without a "// #region exercise" before it`);
      regions.push({ what: open.what, indent: open.indent, lines: lines.slice(open.at + 1, i), first: open.at + 2, last: i, standIn: closing[1] });
      open = undefined;
    }
  });
  if (open) throw new Error(`${file}:${open.at + 1}: "// #region exercise" without its "// #endregion"`);
  return regions;
}

export interface ExerciseNames {
  chapter: number;
  /** src/init/proc.ts */
  module: string;
  /** chapters/04-pid-namespace.md */
  chapterFile: string;
}

/** The learner's starting file: SOURCE with each region a TODO (and its stand-in), under a header that says where to look. */
export function startingText(source: string, names: ExerciseNames): string {
  const { chapter, module, chapterFile } = names;
  const header = [
    `// Exercise ${chapter}: ${module}, with its teaching lines left for you to write (each TODO).`,
    `// ${chapterFile}, section "Exercise", says what they do and why. \`cellblock learn check ${chapter}\``,
    `// builds this file in place of ${module} and runs the chapter's lab on it.`,
    '',
  ];
  const out: string[] = [];
  let indent: string | undefined; // of the region being replaced, while in one
  for (const line of source.split('\n')) {
    const opening = OPEN.exec(line);
    const closing = indent === undefined ? null : CLOSE.exec(line);
    if (opening) {
      indent = opening[1];
      out.push(`${indent}// TODO(exercise ${chapter}): ${opening[2].trim()}`);
    } else if (closing) {
      if (closing[1]) out.push(`${indent}${closing[1]} // a stand-in, so that the file compiles: replace it`);
      indent = undefined;
    } else if (indent === undefined) {
      out.push(line);
    }
  }
  return [...header, ...out].join('\n');
}

/** What `learn solution` prints: for each region, where it is and its real lines. */
export function solutionText(regions: readonly Region[], module: string): string {
  return regions.map((r) => [`// ${module}:${r.first}-${r.last}: ${r.what}`, ...r.lines].join('\n')).join('\n\n') + '\n';
}

/**
 * The hint for a failed check: the paragraph starting with **Hint:** in the
 * chapter's "## Exercise" section, as one line.
 */
export function hintOf(markdown: string): string | undefined {
  const section = /^## Exercise\n([\s\S]*?)(?=^## |(?![\s\S]))/m.exec(markdown)?.[1] ?? '';
  const paragraph = section.split(/\n\s*\n/).find((p) => p.trimStart().startsWith('**Hint:**'));
  return paragraph?.trim().replace(/^\*\*Hint:\*\*\s*/, '').replace(/\s*\n\s*/g, ' ');
}
