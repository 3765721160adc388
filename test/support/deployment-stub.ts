import type { CatalogModel } from '../../src/catalog/types.js';
import type { Deployment } from '../../src/routing/deployment.js';
import { providers } from '../../src/upstream/providers.js';

/** A Groq deployment with only what endpoint operations read of one (its catalogue entry, caps, no budget). */
export function deploymentStub(catalog: Partial<CatalogModel> | undefined, extra: Partial<Deployment> = {}): Deployment {
  return {
    config: { model: catalog?.id ?? 'some-model' },
    provider: providers.groq,
    catalog: catalog === undefined ? undefined : ({ id: 'some-model', maxFileBytes: {}, voices: null, maxInputChars: null, ...catalog } as CatalogModel),
    maxCompletionTokens: null,
    contextWindow: null,
    budget: undefined,
    ...extra,
  } as unknown as Deployment;
}
