/**
 * `GET /openai/v1/models` and `GET /openai/v1/models/{id}` per API key: which models each organisation
 * sees (`modelsByKey`) and scripted failures of the listing for one key (`failModels`), so a gateway
 * asking several keys for their catalogues can be tested with one key failing or hanging.
 */
import { STATUS_CODES } from 'node:http';
import { groqError, modelNotFound } from './errors.js';
import type { Exchange } from './exchange.js';
import { untilAborted } from './http-util.js';
import { modelObject, type FakeModel } from './models.js';

/** An HTTP status to answer with (a Groq-shaped error body), or `'hang'`: never answer. */
export type ModelsFault = number | 'hang';

interface Entry {
  readonly fault: ModelsFault;
  remaining: number;
}

export class ModelListing {
  private readonly visible = new Map<string, ReadonlySet<string>>();
  private readonly faults = new Map<string, Entry[]>();

  constructor(
    private readonly models: ReadonlyMap<string, FakeModel>,
    modelsByKey: Readonly<Record<string, readonly string[]>> = {},
  ) {
    for (const [key, ids] of Object.entries(modelsByKey)) {
      const unknown = ids.filter((id) => !models.has(id));
      if (unknown.length > 0) throw new RangeError(`fake-groq: modelsByKey names models the fake does not serve: ${unknown.join(', ')}`);
      this.visible.set(key, new Set(ids));
    }
  }

  /** Queues `fault` for the next `times` listings with `key` (FIFO; `times` defaults to Infinity). */
  fail(key: string, fault: ModelsFault, times = Number.POSITIVE_INFINITY): void {
    if (fault !== 'hang' && (!Number.isInteger(fault) || fault < 400 || fault > 599)) {
      throw new RangeError(`fake-groq: failModels needs a status in 400..599 or 'hang', got ${String(fault)}`);
    }
    if (!(times > 0)) return;
    this.faults.set(key, [...(this.faults.get(key) ?? []), { fault, remaining: times }]);
  }

  clear(key?: string): void {
    if (key === undefined) this.faults.clear();
    else this.faults.delete(key);
  }

  /** The models `key` sees: its `modelsByKey` entry, else every model. */
  visibleTo(key: string): FakeModel[] {
    const ids = this.visible.get(key);
    return [...this.models.values()].filter((m) => ids === undefined || ids.has(m.id));
  }

  async list(ex: Exchange, key: string): Promise<void> {
    const fault = this.take(key);
    if (fault === 'hang') {
      ex.call.fault = 'hang';
      return untilAborted(ex.signal);
    }
    if (fault !== undefined) {
      ex.call.fault = `status:${fault}`;
      const message = `${STATUS_CODES[fault] ?? `HTTP ${fault}`} (injected by fake-groq for GET /models)`;
      return ex.json(fault, groqError(message, fault >= 500 ? 'internal_server_error' : 'invalid_request_error', null), fault === 429 ? { 'retry-after': '1' } : {});
    }
    ex.json(200, { object: 'list', data: this.visibleTo(key).map(modelObject) });
  }

  get(ex: Exchange, key: string, id: string): void {
    ex.call.model = id;
    const model = this.models.get(id);
    const ids = this.visible.get(key);
    if (model === undefined || (ids !== undefined && !ids.has(id))) return ex.json(404, modelNotFound(id));
    ex.json(200, modelObject(model));
  }

  private take(key: string): ModelsFault | undefined {
    const queue = this.faults.get(key);
    const head = queue?.[0];
    if (queue === undefined || head === undefined) return undefined;
    head.remaining--;
    if (head.remaining <= 0) queue.shift();
    if (queue.length === 0) this.faults.delete(key);
    return head.fault;
  }
}
