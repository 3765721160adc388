/**
 * POST /openai/v1/chat/completions, checked in Groq's order: auth, JSON, model, validation, then
 * scripted faults, quota, answer. Every response once the model is known carries x-ratelimit-* headers.
 */
import { bookedAtAdmission, Booking } from './accounting.js';
import { answer } from './answer.js';
import { defaultFaultBody, rateLimited, requestTooLarge } from './errors.js';
import type { FakeEnv } from './env.js';
import type { Exchange } from './exchange.js';
import { faultLabel, isStatusFault, type MidstreamFault, type StatusFault } from './faults.js';
import { sleep, untilAborted } from './http-util.js';
import { readModelRequest } from './model-request.js';
import type { FakeModel } from './models.js';
import { planCompletion } from './plan.js';
import type { Ticket } from './rate-limiter.js';
import { requestedMaxTokens } from './request.js';
import { validateChatRequest } from './validate.js';

export async function handleChat(env: FakeEnv, ex: Exchange, key: string | null, rawBody: Buffer): Promise<void> {
  const opened = readModelRequest(env, ex, key, rawBody);
  if (opened === undefined) return;
  const { body, model, modelId, quotaHeaders } = opened;

  const checked = validateChatRequest(body, model, !env.fast);
  if (!checked.ok) return ex.json(400, checked.error, quotaHeaders());
  const request = checked.value;

  let midstream: MidstreamFault | undefined;
  const fault = env.faults.take(modelId);
  if (fault !== undefined) {
    ex.call.fault = faultLabel(fault);
    if (isStatusFault(fault)) return sendStatusFault(env, ex, model, fault, quotaHeaders());
    switch (fault.kind) {
      case 'hang':
        return untilAborted(ex.signal);
      case 'reset':
        return ex.destroy();
      case 'delay':
        await sleep(fault.ms, ex.signal);
        if (ex.signal.aborted) return;
        break;
      default:
        midstream = fault;
    }
  }

  let ticket: Ticket | undefined;
  const prompt = env.countPrompt(modelId, request.messages, request.tools);
  const cap = requestedMaxTokens(request) ?? env.defaultMaxTokens;
  const rule = env.accountingFor(modelId);
  if (env.enforceLimits) {
    // Groq checks the prompt plus the whole max_tokens up front; what stays booked depends on the rule.
    const admission = env.limiter.admit(opened.key, modelId, prompt + cap, 0, bookedAtAdmission(rule, prompt, cap));
    if ('violation' in admission) {
      const v = admission.violation;
      if (v.tooLarge) return ex.json(413, requestTooLarge(modelId, env.organization, v), quotaHeaders());
      const retryAfter = String(Math.max(1, Math.ceil(v.waitMs / 1000)));
      return ex.json(429, rateLimited(modelId, env.organization, v), { ...quotaHeaders(), 'retry-after': retryAfter });
    }
    ticket = admission.ticket;
  }

  const plan = planCompletion(request, model, env.reply, prompt);
  const booking = new Booking(rule, ticket, plan.promptTokens + plan.completionTokens);
  booking.planned();
  return answer(env, ex, model, request, plan, quotaHeaders, midstream, booking, env.pacingFor(modelId));
}

export function sendStatusFault(env: FakeEnv, ex: Exchange, model: FakeModel, fault: StatusFault, quota: Record<string, string>): void {
  const retryAfter = fault.retryAfter === undefined ? (fault.status === 429 ? 1 : null) : fault.retryAfter;
  const headers: Record<string, string> = { ...quota, ...(retryAfter !== null ? { 'retry-after': String(retryAfter) } : {}), ...fault.headers };
  if (typeof fault.body === 'string') {
    return ex.raw(fault.status, fault.body, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  }
  const body = fault.body === undefined ? defaultFaultBody(fault.status, model.id, env.organization, retryAfter ?? 1) : fault.body;
  return ex.raw(fault.status, JSON.stringify(body), { 'content-type': 'application/json', ...headers });
}
