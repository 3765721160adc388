/** Puts a planned completion on the wire as JSON or SSE, cutting it short when a fault says so. */
import type { Booking } from './accounting.js';
import type { FakeEnv } from './env.js';
import type { GroqErrorPayload } from './errors.js';
import type { Exchange } from './exchange.js';
import type { FastEntry } from './fast-cache.js';
import type { MidstreamFault } from './faults.js';
import { sleep } from './http-util.js';
import { fingerprintFor, newCompletionId } from './ids.js';
import type { FakeModel } from './models.js';
import { generationMs, PACED_FRAME_CHARS, splitEvery, type Pacing } from './pacing.js';
import { completionBody, errorFrame, streamBodyFrames, streamTailFrames, usageFor, type ResponseMeta } from './payloads.js';
import type { CompletionPlan } from './plan.js';
import { isRecord, type ChatRequest } from './request.js';

export const MIDSTREAM_ERROR: GroqErrorPayload = {
  message: 'The model stopped generating because of an internal error (injected by fake-groq). Please try again.',
  type: 'internal_server_error',
  code: 'internal_server_error',
};

/**
 * `headers` is read when the response headers go out, so they show the quota at that moment (for a
 * paced non-stream answer: after the generation wait and the booking's end). `booking.end()` is called
 * once the answer has ended, however it ended.
 */
export async function answer(
  env: FakeEnv,
  ex: Exchange,
  model: FakeModel,
  request: ChatRequest,
  plan: CompletionPlan,
  headers: () => Record<string, string>,
  fault: MidstreamFault | undefined,
  booking?: Booking,
  pacing?: Pacing,
): Promise<void> {
  try {
    await send(env, ex, model, request, plan, headers, fault, booking, pacing);
  } finally {
    booking?.end();
  }
}

async function send(
  env: FakeEnv,
  ex: Exchange,
  model: FakeModel,
  request: ChatRequest,
  plan: CompletionPlan,
  quotaHeaders: () => Record<string, string>,
  fault: MidstreamFault | undefined,
  booking: Booking | undefined,
  pacing: Pacing | undefined,
): Promise<void> {
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
    if (pacing !== undefined) {
      await sleep(generationMs(pacing, plan.completionTokens), ex.signal);
      if (ex.signal.aborted) return;
    }
    booking?.end();
    const headers = quotaHeaders();
    // A JSON answer cannot fail half-way with an error frame; Groq reports such failures as a 500.
    if (fault?.kind === 'midstream-error') return ex.json(500, { error: fault.error ?? MIDSTREAM_ERROR }, headers);
    const text = cached !== undefined ? cached.jsonHead + JSON.stringify(usage) + cached.jsonTail : JSON.stringify(completionBody(meta, plan, usage));
    if (fault?.kind === 'midstream-reset') return ex.truncated(200, text, headers);
    return ex.raw(200, text, headers);
  }

  const options = isRecord(request.stream_options) ? request.stream_options : {};
  const tail = streamTailFrames(meta, plan.finishReason, usage, options['include_usage'] === true);
  if (cached !== undefined && fault === undefined && env.chunkDelayMs === 0 && pacing === undefined) {
    ex.startStream(quotaHeaders(), false);
    ex.end(cached.streamBody + tail.join(''));
    return;
  }
  ex.startStream(quotaHeaders());
  if (pacing === undefined) return writeStream(env, ex, streamBodyFrames(meta, plan), tail, fault);
  const body = streamBodyFrames(meta, plan, splitEvery);
  // Frame 0 (the role) goes out with the headers; content frame k after ttft + 16k tokens; the tail when the last token is out.
  const offset = (i: number): number =>
    i >= body.length ? generationMs(pacing, plan.completionTokens) : i === 0 ? 0 : generationMs(pacing, Math.min(plan.completionTokens, (i - 1) * (PACED_FRAME_CHARS / 4)));
  return writeStream(env, ex, body, tail, fault, offset);
}

async function writeStream(
  env: FakeEnv,
  ex: Exchange,
  body: readonly string[],
  tail: readonly string[],
  fault: MidstreamFault | undefined,
  offset?: (frame: number) => number,
): Promise<void> {
  const cut = fault === undefined ? body.length : Math.min(fault.afterChunks, body.length);
  const frames = fault === undefined ? [...body, ...tail] : body.slice(0, cut);
  const started = performance.now();
  for (let i = 0; i < frames.length; i++) {
    if (i > 0) await sleep(offset === undefined ? env.chunkDelayMs : offset(i) - (performance.now() - started), ex.signal);
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
  const entry = env.fastResponses.get(model);
  // A [[completion_tokens=N]] answer is not the default one.
  return entry.plan.content === plan.content ? entry : undefined;
}
