// cellblock rename OLD NEW — as `docker rename`. Names are symlinks (see
// src/runtime/records.ts), which is what makes this safe against a
// concurrent `run --name NEW`.
import { findRecord, renameRecord } from '../runtime/records.js';
import { parseContainerName } from '../runtime/options.js';

export function rename(reference: string, newName: string): void {
  const name = parseContainerName(newName, 'new name');
  const record = findRecord(reference);
  if (record.name === name) throw new Error(`container ${reference} is already named "${name}"`);
  renameRecord(record, name);
}
