/**
 * Benchmark mode: the default answer for a model never changes, so its bytes are built once. Only the
 * usage (which depends on the prompt) is spliced in per request. Ids are therefore constant per model,
 * which no client should care about and which saves the random-number work.
 */
import { fingerprintFor } from './ids.js';
import type { FakeModel } from './models.js';
import { completionBody, streamBodyFrames, type GroqUsage, type ResponseMeta } from './payloads.js';
import { defaultReply, type CompletionPlan } from './plan.js';
import { tokensForText } from './request.js';

const USAGE_MARK = '\u0000usage\u0000';

export interface FastEntry {
  readonly meta: ResponseMeta;
  readonly plan: CompletionPlan;
  /** Non-stream body is `jsonHead + JSON.stringify(usage) + jsonTail`. */
  readonly jsonHead: string;
  readonly jsonTail: string;
  /** Role and word frames, already joined. */
  readonly streamBody: string;
}

export class FastResponses {
  private readonly entries = new Map<string, FastEntry>();

  constructor(private readonly nowSeconds: () => number) {}

  get(model: FakeModel): FastEntry {
    let entry = this.entries.get(model.id);
    if (entry === undefined) {
      entry = this.build(model);
      this.entries.set(model.id, entry);
    }
    return entry;
  }

  private build(model: FakeModel): FastEntry {
    const meta: ResponseMeta = {
      id: 'chatcmpl-fake-fast',
      created: this.nowSeconds(),
      model: model.id,
      fingerprint: fingerprintFor(model.id),
      requestId: 'req_fakefast',
    };
    const content = defaultReply(model.id);
    const plan: CompletionPlan = { content, toolCall: null, finishReason: 'stop', promptTokens: 0, completionTokens: tokensForText(content.length) };
    const placeholder = USAGE_MARK as unknown as GroqUsage;
    const json = JSON.stringify(completionBody(meta, plan, placeholder));
    const [jsonHead = '', jsonTail = ''] = json.split(JSON.stringify(USAGE_MARK));
    return { meta, plan, jsonHead, jsonTail, streamBody: streamBodyFrames(meta, plan).join('') };
  }
}
