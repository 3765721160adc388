/**
 * POST /openai/v1/responses (Groq's OpenAI-compatible Responses API), checked in the same order as
 * chat: auth, JSON, model, validation, scripted fault, quota, answer. The answer reuses chat's planning,
 * so `reply`, CALL_TOOL and the token arithmetic behave the same on both endpoints.
 */
import { bookedAtAdmission, Booking } from './accounting.js';
import { MIDSTREAM_ERROR } from './answer.js';
import type { FakeEnv } from './env.js';
import type { Exchange } from './exchange.js';
import type { MidstreamFault } from './faults.js';
import { admit, applyFault } from './gate.js';
import { sleep } from './http-util.js';
import { newResponsesId } from './ids.js';
import { readModelRequest } from './model-request.js';
import { generationMs, splitEvery, type Pacing } from './pacing.js';
import { planCompletion, type CompletionPlan } from './plan.js';
import { lastUserText, type ChatRequest } from './request.js';
import { chatView, validateResponsesRequest, type ResponsesRequest } from './responses-request.js';
import { EventWriter, finalStatus, outputItems, responseEvents, responseObject, responsesUsage, type ResponsesMeta } from './responses-payloads.js';
import { writePieces } from './stream-writer.js';

export async function handleResponses(env: FakeEnv, ex: Exchange, key: string | null, rawBody: Buffer): Promise<void> {
  const opened = readModelRequest(env, ex, key, rawBody);
  if (opened === undefined) return;
  const { body, model, modelId, quotaHeaders } = opened;

  const checked = validateResponsesRequest(body, model);
  if (!checked.ok) return ex.json(400, checked.error, quotaHeaders());
  const request = checked.value;

  const fault = await applyFault(env, ex, model, quotaHeaders());
  if (fault.answered) return;
  const midstream = fault.midstream;

  const view = chatView(request);
  // Charged like chat: the input plus the whole output allowance is checked; what stays booked depends on the rule.
  const prompt = env.countPrompt(modelId, view.messages, view.tools);
  const cap = request.max_output_tokens ?? env.defaultMaxTokens;
  const rule = env.accountingFor(modelId);
  const ticket = admit(env, ex, opened.key, modelId, { tokens: prompt + cap, booked: bookedAtAdmission(rule, prompt, cap) }, quotaHeaders);
  if (ticket === null) return;

  const plan = planCompletion(view, model, env.reply, prompt);
  const booking = new Booking(rule, ticket, plan.promptTokens + plan.completionTokens);
  booking.planned();
  try {
    await send(env, ex, request, view, plan, quotaHeaders, midstream, booking, env.pacingFor(modelId));
  } finally {
    booking.end();
  }
}

async function send(
  env: FakeEnv,
  ex: Exchange,
  request: ResponsesRequest,
  view: ChatRequest,
  plan: CompletionPlan,
  quotaHeaders: () => Record<string, string>,
  midstream: MidstreamFault | undefined,
  booking: Booking,
  pacing: Pacing | undefined,
): Promise<void> {
  const meta: ResponsesMeta = { id: newResponsesId('resp'), createdAt: Math.floor(env.now() / 1000), model: request.model };
  const items = outputItems(request, plan, lastUserText(view.messages));
  const final = responseObject(meta, request, finalStatus(plan), items, responsesUsage(plan.promptTokens, plan.completionTokens));

  if (request.stream !== true) {
    if (pacing !== undefined) {
      await sleep(generationMs(pacing, plan.completionTokens), ex.signal);
      if (ex.signal.aborted) return;
    }
    booking.end();
    const headers = quotaHeaders();
    // As for chat: a JSON answer cannot fail half-way, so midstream-error is a 500 and midstream-reset a cut body.
    if (midstream?.kind === 'midstream-error') return ex.json(500, { error: midstream.error ?? MIDSTREAM_ERROR }, headers);
    const text = JSON.stringify(final);
    if (midstream?.kind === 'midstream-reset') return ex.truncated(200, text, headers);
    return ex.raw(200, text, headers);
  }

  ex.startStream(quotaHeaders());
  const frames = responseEvents(new EventWriter(), meta, request, items, final, pacing === undefined ? undefined : splitEvery);
  return writePieces(env, ex, frames, midstream, MIDSTREAM_ERROR, (cut, error) => new EventWriter(cut).error(error), pacing === undefined ? undefined : spread(pacing, plan, frames.length));
}

/**
 * Paced /responses stream: `response.created` and `response.in_progress` go out at once, the other
 * frames evenly from the first token (ttft) to the last (ttft + completion / tokensPerSecond).
 */
function spread(pacing: Pacing, plan: CompletionPlan, frameCount: number): (frame: number) => number {
  const last = generationMs(pacing, plan.completionTokens);
  const paced = frameCount - 2;
  return (i) => (i < 2 ? 0 : paced <= 1 ? last : pacing.ttftMs + ((i - 2) / (paced - 1)) * (last - pacing.ttftMs));
}
