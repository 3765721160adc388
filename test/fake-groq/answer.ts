/** Puts a planned completion on the wire as JSON or SSE, cutting it short when a fault says so. */
import type { FakeEnv } from './env.js';
import type { GroqErrorPayload } from './errors.js';
import type { Exchange } from './exchange.js';
import type { FastEntry } from './fast-cache.js';
import type { MidstreamFault } from './faults.js';
import { sleep } from './http-util.js';
import { fingerprintFor, newCompletionId } from './ids.js';
import type { FakeModel } from './models.js';
import { completionBody, errorFrame, streamBodyFrames, streamTailFrames, usageFor, type ResponseMeta } from './payloads.js';
import type { CompletionPlan } from './plan.js';
import { isRecord, type ChatRequest } from './request.js';

export const MIDSTREAM_ERROR: GroqErrorPayload = {
  message: 'The model stopped generating because of an internal error (injected by fake-groq). Please try again.',
  type: 'internal_server_error',
  code: 'internal_server_error',
};

export function answer(
  env: FakeEnv,
  ex: Exchange,
  model: FakeModel,
  request: ChatRequest,
  plan: CompletionPlan,
  headers: Record<string, string>,
  fault: MidstreamFault | undefined,
): Promise<void> | void {
  const usage = usageFor(plan.promptTokens, plan.completionTokens, model);
  const cached = fastEntryFor(env, model, plan);
  const meta: ResponseMeta = cached?.meta ?? {
    id: newCompletionId(),
    created: Math.floor(env.now() / 1000),
    model: model.id,
    fingerprint: fingerprintFor(model.id),
    requestId: ex.requestId,
  };

  if (request.stream !== true) {
    // A JSON answer cannot fail half-way with an error frame; Groq reports such failures as a 500.
    if (fault?.kind === 'midstream-error') return ex.json(500, { error: fault.error ?? MIDSTREAM_ERROR }, headers);
    const text = cached !== undefined ? cached.jsonHead + JSON.stringify(usage) + cached.jsonTail : JSON.stringify(completionBody(meta, plan, usage));
    if (fault?.kind === 'midstream-reset') return ex.truncated(200, text, headers);
    return ex.raw(200, text, headers);
  }

  const options = isRecord(request.stream_options) ? request.stream_options : {};
  const tail = streamTailFrames(meta, plan.finishReason, usage, options['include_usage'] === true);
  if (cached !== undefined && fault === undefined && env.chunkDelayMs === 0) {
    ex.startStream(headers, false);
    ex.end(cached.streamBody + tail.join(''));
    return;
  }
  ex.startStream(headers);
  return writeStream(env, ex, streamBodyFrames(meta, plan), tail, fault);
}

async function writeStream(env: FakeEnv, ex: Exchange, body: readonly string[], tail: readonly string[], fault: MidstreamFault | undefined): Promise<void> {
  const cut = fault === undefined ? body.length : Math.min(fault.afterChunks, body.length);
  const frames = fault === undefined ? [...body, ...tail] : body.slice(0, cut);
  for (let i = 0; i < frames.length; i++) {
    if (i > 0) await sleep(env.chunkDelayMs, ex.signal);
    if (ex.signal.aborted) return;
    await ex.frame(frames[i] ?? '');
  }
  if (ex.signal.aborted) return;
  if (fault === undefined) return ex.end();
  await sleep(env.chunkDelayMs, ex.signal);
  if (fault.kind === 'midstream-reset') return ex.destroyAfterFlush();
  ex.end(errorFrame(fault.error ?? MIDSTREAM_ERROR));
}

function fastEntryFor(env: FakeEnv, model: FakeModel, plan: CompletionPlan): FastEntry | undefined {
  // Only the default answer is cached; anything a test customised takes the ordinary path.
  if (env.fastResponses === undefined || env.reply !== undefined || plan.toolCall !== null || plan.finishReason !== 'stop') return undefined;
  return env.fastResponses.get(model);
}
