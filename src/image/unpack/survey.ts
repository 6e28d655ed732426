// A layer's fingerprint from its metadata alone, taken inside the
// unpacker's user namespace (where every directory can be read, whatever
// its owner and mode): once right after unpacking, and again by
// `cellblock system check`, which compares the two.
//
// What goes in: for every entry, in a fixed order (each directory's names
// sorted), its path, type and permission bits, owner and group as the
// namespace sees them, and its size (a file's bytes, a symlink's target
// length; a directory's size depends on the filesystem, so none). One
// sha256 over those lines, plus the number of entries and of file bytes.
//
// What it catches: files missing, added, renamed, truncated or grown, a
// changed type, mode or owner — what a crash, a full disk or an `rm` in
// the wrong place leaves. What it cannot: a byte changed in place with the
// size kept (bit rot, a deliberate edit). Catching that would mean reading
// and hashing every byte of every layer — as slow as unpacking it again; the
// blob beside it is hashed in full instead, and a layer can always be
// unpacked anew from it.
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, type Stats } from 'node:fs';

export interface LayerSurvey {
  entries: number;
  /** Bytes in regular files. */
  bytes: number;
  /** sha256:… of the lines described above. */
  tree: string;
}

export function surveyHere(root: string): LayerSurvey {
  const hash = createHash('sha256');
  const survey = { entries: 0, bytes: 0 };
  const visit = (rel: string, stat: Stats) => {
    survey.entries++;
    if (stat.isFile()) survey.bytes += stat.size;
    const size = stat.isDirectory() ? 0 : stat.size;
    hash.update(`${rel}\0${stat.mode.toString(8)}\0${stat.uid}:${stat.gid}\0${size}\n`);
    if (!stat.isDirectory()) return;
    // Depth first, names sorted: the same tree always gives the same lines.
    for (const name of readdirSync(`${root}${rel}`).sort()) {
      const child = `${rel}/${name}`;
      visit(child, lstatSync(`${root}${child}`));
    }
  };
  visit('', lstatSync(root));
  return { ...survey, tree: `sha256:${hash.digest('hex')}` };
}
