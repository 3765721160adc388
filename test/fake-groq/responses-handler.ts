/**
 * POST /openai/v1/responses (Groq's OpenAI-compatible Responses API), checked in the same order as
 * chat: auth, JSON, model, validation, scripted fault, quota, answer. The answer reuses chat's planning,
 * so `reply`, CALL_TOOL and the token arithmetic behave the same on both endpoints.
 */
import { MIDSTREAM_ERROR } from './answer.js';
import type { FakeEnv } from './env.js';
import type { Exchange } from './exchange.js';
import { admit, applyFault } from './gate.js';
import { newResponsesId } from './ids.js';
import { readModelRequest } from './model-request.js';
import { planCompletion } from './plan.js';
import { lastUserText, promptTokens } from './request.js';
import { chatView, validateResponsesRequest } from './responses-request.js';
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
  // Charged like chat: the input plus the whole output allowance up front, settled to real usage.
  const reserve = promptTokens(view.messages) + (request.max_output_tokens ?? env.defaultMaxTokens);
  const ticket = admit(env, ex, opened.key, modelId, { tokens: reserve }, quotaHeaders);
  if (ticket === null) return;

  const plan = planCompletion(view, model, env.reply);
  ticket?.settle(plan.promptTokens + plan.completionTokens);

  const meta: ResponsesMeta = { id: newResponsesId('resp'), createdAt: Math.floor(env.now() / 1000), model: model.id };
  const items = outputItems(request, plan, lastUserText(view.messages));
  const final = responseObject(meta, request, finalStatus(plan), items, responsesUsage(plan.promptTokens, plan.completionTokens));
  const headers = quotaHeaders();

  if (request.stream !== true) {
    // As for chat: a JSON answer cannot fail half-way, so midstream-error is a 500 and midstream-reset a cut body.
    if (midstream?.kind === 'midstream-error') return ex.json(500, { error: midstream.error ?? MIDSTREAM_ERROR }, headers);
    const text = JSON.stringify(final);
    if (midstream?.kind === 'midstream-reset') return ex.truncated(200, text, headers);
    return ex.raw(200, text, headers);
  }

  ex.startStream(headers);
  const frames = responseEvents(new EventWriter(), meta, request, items, final);
  return writePieces(env, ex, frames, midstream, MIDSTREAM_ERROR, (cut, error) => new EventWriter(cut).error(error));
}
