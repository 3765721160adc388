/** Loads Groq's documented model catalogue (`config/groq-models.yaml`) and answers limit look-ups. */

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { GroqPlan } from '../config/types.js';
import { CatalogError } from './fields.js';
import { parseCatalog } from './parse.js';
import type { Catalog, CatalogModel, DocumentedLimits } from './types.js';

export { CatalogError } from './fields.js';
export { parseCatalog } from './parse.js';

/**
 * Where the shipped catalogue sits relative to a module in `<repo>/<src|dist>/catalog/`. Both `tsx` on
 * `src/catalog/load.ts` and the build's `dist/catalog/load.js` are two levels below the repo root, so
 * one relative path serves both; resolving from the working directory would break `npx groq-router`.
 */
export function defaultCatalogFile(moduleUrl: string = import.meta.url): string {
  return fileURLToPath(new URL('../../config/groq-models.yaml', moduleUrl));
}

/** Reads and validates a catalogue file; throws {@link CatalogError} naming the model and field at fault. */
export function loadCatalog(file: string = defaultCatalogFile()): Catalog {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CatalogError(file, undefined, undefined, `cannot read file: ${reason}`, { cause: error });
  }
  return parseCatalog(text, file);
}

const NO_DOCUMENTED_LIMITS: DocumentedLimits = Object.freeze({
  rpm: null,
  rpd: null,
  tpm: null,
  tpd: null,
  ash: null,
  asd: null,
});

/**
 * The catalogue's limits for a plan. An unknown model yields all-null rather than an error: a deployment
 * may route to a Groq model newer than the catalogue, and it should then run on its configured limits.
 */
export function documentedLimits(model: CatalogModel | undefined, plan: GroqPlan): DocumentedLimits {
  return model?.limits[plan] ?? NO_DOCUMENTED_LIMITS;
}
