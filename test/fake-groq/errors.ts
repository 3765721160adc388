/** Groq-shaped error bodies. Clients show `error.message` verbatim, so the wording follows Groq's. */
import { STATUS_CODES } from 'node:http';
import { formatGroqDuration } from './duration.js';
import type { Violation } from './rate-limiter.js';

export interface GroqErrorPayload {
  message: string;
  type: string;
  code?: string | null;
  param?: string;
}

export interface GroqErrorBody {
  error: GroqErrorPayload;
}

export const groqError = (message: string, type: string, code?: string | null, param?: string): GroqErrorBody => ({
  error: { message, type, ...(code !== undefined ? { code } : {}), ...(param !== undefined ? { param } : {}) },
});

export const invalidRequest = (message: string, param?: string): GroqErrorBody =>
  groqError(message, 'invalid_request_error', null, param);

export const invalidApiKey = (): GroqErrorBody => groqError('Invalid API Key', 'invalid_request_error', 'invalid_api_key');

export const modelNotFound = (model: string): GroqErrorBody =>
  groqError(`The model \`${model}\` does not exist or you do not have access to it.`, 'invalid_request_error', 'model_not_found');

export const unknownUrl = (method: string, path: string): GroqErrorBody =>
  groqError(
    `Unknown request URL: ${method} ${path}. Please check the URL for typos, or see the docs at https://console.groq.com/docs/`,
    'invalid_request_error',
    'unknown_url',
  );

const LIMIT_WORDS: Readonly<Record<Violation['limit'], string>> = {
  RPM: 'requests per minute',
  RPD: 'requests per day',
  TPM: 'tokens per minute',
  TPD: 'tokens per day',
  ASH: 'seconds of audio per hour',
  ASD: 'seconds of audio per day',
};

/** The error `type` Groq uses for each kind of window. */
const limitType = (limit: Violation['limit']): string => (limit.startsWith('R') ? 'requests' : limit.startsWith('T') ? 'tokens' : 'seconds');

const UPGRADE_HINT = 'Need more tokens? Upgrade to Dev Tier today at https://console.groq.com/settings/billing';

function orgPrefix(model: string, organization: string): string {
  return `for model \`${model}\` in organization \`${organization}\` service tier \`on_demand\``;
}

/** 429 body; `type` is `requests`, `tokens` or `seconds` depending on which window overflowed, as on Groq. */
export function rateLimited(model: string, organization: string, v: Violation): GroqErrorBody {
  const message =
    `Rate limit reached ${orgPrefix(model, organization)} on ${LIMIT_WORDS[v.limit]} (${v.limit}): ` +
    `Limit ${v.max}, Used ${v.used}, Requested ${v.requested}. Please try again in ${formatGroqDuration(v.waitMs)}. ${UPGRADE_HINT}`;
  return groqError(message, limitType(v.limit), 'rate_limit_exceeded');
}

/** 413 body for a request whose token charge alone exceeds a window, so waiting cannot help. */
export function requestTooLarge(model: string, organization: string, v: Violation): GroqErrorBody {
  const message =
    `Request too large ${orgPrefix(model, organization)} on ${LIMIT_WORDS[v.limit]} (${v.limit}): ` +
    `Limit ${v.max}, Requested ${v.requested}, please reduce your message size and try again. ${UPGRADE_HINT}`;
  return groqError(message, limitType(v.limit), 'rate_limit_exceeded');
}

/** Bodies for scripted faults that did not bring their own. */
export function defaultFaultBody(status: number, model: string, organization: string, retryAfterSeconds: number): GroqErrorBody {
  switch (status) {
    case 400:
      return invalidRequest('Bad request (injected by fake-groq)');
    case 401:
      return invalidApiKey();
    case 403:
      return groqError('Access denied. Please check your network settings.', 'permission_error', 'forbidden');
    case 404:
      return modelNotFound(model);
    case 413:
      return groqError('Request Entity Too Large', 'invalid_request_error', 'request_too_large');
    case 429:
      return rateLimited(model, organization, {
        limit: 'RPM',
        max: 30,
        used: 30,
        requested: 1,
        waitMs: retryAfterSeconds * 1000,
        tooLarge: false,
      });
    case 498:
      return groqError('Flex tier capacity exceeded. This is a known issue and we are working on a fix.', 'capacity_exceeded', 'capacity_exceeded');
    case 500:
      return groqError('Internal Server Error', 'internal_server_error', 'internal_server_error');
    case 502:
      return groqError('Bad Gateway', 'internal_server_error', 'bad_gateway');
    case 503:
      return groqError(
        `${model} is currently over capacity. Please try again and back off exponentially. Visit https://groqstatus.com to see if there is an active incident.`,
        'internal_server_error',
        'service_unavailable',
      );
    case 504:
      return groqError('Gateway Timeout', 'internal_server_error', 'gateway_timeout');
    default:
      return groqError(STATUS_CODES[status] ?? `HTTP ${status}`, status >= 500 ? 'internal_server_error' : 'invalid_request_error', null);
  }
}
