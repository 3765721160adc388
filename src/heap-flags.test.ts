import { describe, expect, it } from 'vitest';
import { heapFlagsFor } from './heap-flags.js';

describe('heapFlagsFor', () => {
  it('sets both of the gateway’s V8 settings when node is started without either', () => {
    expect(heapFlagsFor([])).toEqual(['--no-allocation-site-pretenuring', '--heap-growing-percent=75']);
    expect(heapFlagsFor(['--enable-source-maps', '--max-old-space-size=512'])).toEqual(['--no-allocation-site-pretenuring', '--heap-growing-percent=75']);
  });

  it('leaves a setting the operator gave on node’s command line as given, in any of V8’s spellings', () => {
    expect(heapFlagsFor(['--heap-growing-percent=50'])).toEqual(['--no-allocation-site-pretenuring']);
    expect(heapFlagsFor(['--heap_growing_percent=50'])).toEqual(['--no-allocation-site-pretenuring']);
    expect(heapFlagsFor(['--allocation-site-pretenuring'])).toEqual(['--heap-growing-percent=75']);
    expect(heapFlagsFor(['--no-allocation-site-pretenuring', '--heap-growing-percent=200'])).toEqual([]);
  });
});
