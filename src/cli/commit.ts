// cellblock commit — a container's changes as a new image; prints its id.
import { commitContainer } from '../image/commit.js';
import { openStore } from '../image/local.js';
import { findRecord } from '../runtime/records.js';

export async function commit(container: string, name: string | undefined, options: { message?: string; author?: string; change: string[] }): Promise<void> {
  const record = findRecord(container);
  const id = await commitContainer(openStore(), record, { name, message: options.message, author: options.author, changes: options.change });
  process.stdout.write(`${id}\n`);
}
