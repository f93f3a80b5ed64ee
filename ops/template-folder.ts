/**
 * The templates/ folder on disk: every `<type>.yaml` in it, read and checked all at once before anything is sent, and
 * files written in their canonical text. Files and folders whose names start with a dot are not templates (an
 * editor's or git's).
 */
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TemplateDocument } from '../lambdas/shared/schemas/template.js';
import {
  parseTemplateFile,
  TEMPLATE_FILE_EXTENSION,
  TemplateFileError,
  templateFileText,
  templateTypeOf,
} from './template-file.js';

export interface TemplateFile {
  readonly type: string;
  /** Its path, as the folder was named: what a problem is reported with. */
  readonly file: string;
  readonly template: TemplateDocument;
}

/** One or more files of the folder are not templates the API would take; `problems` names each. */
export class TemplateFolderError extends Error {
  constructor(readonly problems: readonly TemplateFileError[]) {
    super(problems.map((problem) => problem.message).join('\n'));
    this.name = 'TemplateFolderError';
  }
}

/** Every template of the folder, by type in name order; throws naming every bad file. */
export async function readTemplateFolder(dir: string): Promise<TemplateFile[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => !name.startsWith('.')).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`no folder ${dir}`);
    throw error;
  }
  const files: TemplateFile[] = [];
  const problems: TemplateFileError[] = [];
  for (const name of names) {
    const file = join(dir, name);
    try {
      const type = templateTypeOf(file);
      files.push({ type, file, template: parseTemplateFile(file, await readFile(file, 'utf8')) });
    } catch (error) {
      if (!(error instanceof TemplateFileError)) throw error;
      problems.push(error);
    }
  }
  if (problems.length > 0) throw new TemplateFolderError(problems);
  return files;
}

/** The types the folder has files for, by their names alone (pull replaces what they hold); none without a folder. */
export async function templateTypesIn(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  return names.filter((name) => !name.startsWith('.')).map((name) => templateTypeOf(join(dir, name)));
}

/** One type's file of the folder, for a command about that type alone. */
export async function readTemplateFile(dir: string, type: string): Promise<TemplateFile> {
  const file = join(dir, `${type}${TEMPLATE_FILE_EXTENSION}`);
  templateTypeOf(file);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`no template file ${file}`);
    throw error;
  }
  return { type, file, template: parseTemplateFile(file, text) };
}

/** Writes the type's file in its canonical text; false when the file already held exactly that. */
export async function writeTemplateFile(dir: string, type: string, template: TemplateDocument): Promise<boolean> {
  const file = join(dir, `${type}${TEMPLATE_FILE_EXTENSION}`);
  const text = templateFileText(template);
  const before = await readFile(file, 'utf8').catch(() => undefined);
  if (before === text) return false;
  await mkdir(dir, { recursive: true });
  await writeWhole(file, text);
  return true;
}

/** A file written under another name, then renamed: a reader never sees half of it. */
async function writeWhole(file: string, text: string): Promise<void> {
  const partial = `${file}.${process.pid}.partial`;
  await writeFile(partial, text);
  await rename(partial, file);
}
