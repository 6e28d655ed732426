import { readFileSync } from 'node:fs';

/** The text of PATH, or "" when it cannot be read (/etc/subuid on a machine without one, say). */
export function readFileOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
