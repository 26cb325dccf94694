/**
 * Files in a tool's result (images, audio, embedded resources), saved where a terminal person can
 * open them: a terminal can't show them inline.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OutboundFile } from '../../src/surface.js';

/** Saves the files of one console session into one folder, made on first use. */
export class ConsoleFiles {
  private dir: string | undefined;

  /** @param configured the folder to save into; default: a new temporary folder. */
  constructor(private readonly configured?: string) {}

  /**
   * Saves a file (base64 `data`) and returns the line that tells the person where it is, or why
   * it could not be saved. Never overwrites: a second file of the same name gets a number. Mode
   * 0600, since a result may be private.
   */
  save(file: OutboundFile): string {
    try {
      this.dir ??= this.configured ?? mkdtempSync(join(tmpdir(), 'parley-files-'));
      let path = join(this.dir, file.name);
      for (let n = 2; existsSync(path); n++) path = join(this.dir, `${n}-${file.name}`);
      writeFileSync(path, Buffer.from(file.data, 'base64'), { flag: 'wx', mode: 0o600 });
      return `${file.kind} (${file.mimeType}) saved to ${path}${file.title ? ` — ${file.title}` : ''}`;
    } catch (err) {
      return `${file.name} (${file.mimeType}) could not be saved: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
}
