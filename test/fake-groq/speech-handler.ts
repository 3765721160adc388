/**
 * POST /openai/v1/audio/speech (text-to-speech), JSON in, audio out in chunks. Order as for chat:
 * auth, JSON, model, validation, scripted fault, quota (a request for RPM/RPD, the input's characters
 * for TPM/TPD), answer.
 */
import { MIDSTREAM_ERROR } from './answer.js';
import type { FakeEnv } from './env.js';
import { invalidRequest } from './errors.js';
import type { Exchange } from './exchange.js';
import { admit, applyFault } from './gate.js';
import { readModelRequest } from './model-request.js';
import type { FakeModel } from './models.js';
import {
  DEFAULT_SPEECH_SAMPLE_RATE,
  SPEECH_CONTENT_TYPES,
  SPEECH_FORMATS,
  speechBytes,
  splitChunks,
  type SpeechFormat,
} from './speech-audio.js';
import { writePieces } from './stream-writer.js';
import type { Validation } from './validate.js';

/** Longest `input` Groq accepts (Groq's text-to-speech documentation). */
export const MAX_SPEECH_INPUT_CHARS = 10_000;
export const SPEECH_SAMPLE_RATES = [8_000, 16_000, 22_050, 24_000, 32_000, 44_100, 48_000] as const;

interface SpeechRequest {
  readonly input: string;
  readonly format: SpeechFormat;
  readonly sampleRate: number;
}

export async function handleSpeech(env: FakeEnv, ex: Exchange, key: string | null, rawBody: Buffer): Promise<void> {
  const opened = readModelRequest(env, ex, key, rawBody);
  if (opened === undefined) return;
  const { body, model, modelId, quotaHeaders } = opened;

  const checked = validateSpeech(body, model);
  if (!checked.ok) return ex.json(400, checked.error, quotaHeaders());
  const request = checked.value;

  const fault = await applyFault(env, ex, model, quotaHeaders());
  if (fault.answered) return;
  // TTS is billed by characters; the fake counts each one as a token against TPM/TPD.
  const ticket = admit(env, ex, opened.key, modelId, { tokens: request.input.length }, quotaHeaders);
  if (ticket === null) return;

  const headers = quotaHeaders();
  const midstream = fault.midstream;
  // Audio has no in-band error channel: midstream-error is a 500 up front, midstream-reset cuts the body.
  if (midstream?.kind === 'midstream-error') return ex.json(500, { error: midstream.error ?? MIDSTREAM_ERROR }, headers);
  ex.startChunked({ ...headers, 'content-type': SPEECH_CONTENT_TYPES[request.format] });
  const chunks = splitChunks(speechBytes(request.input, request.format, request.sampleRate));
  return writePieces(env, ex, chunks, midstream, MIDSTREAM_ERROR);
}

function validateSpeech(body: Record<string, unknown>, model: FakeModel): Validation<SpeechRequest> {
  const fail = (message: string, param: string): Validation<SpeechRequest> => ({ ok: false, error: invalidRequest(message, param) });
  if (model.kind !== 'speech') return fail(`model \`${model.id}\` does not support text-to-speech`, 'model');

  const input = body['input'];
  if (input === undefined || input === null) return fail(`property 'input' is missing`, 'input');
  if (typeof input !== 'string') return fail(`'input' : value must be a string`, 'input');
  if (input.length === 0) return fail(`'input' : string must not be empty`, 'input');
  if (input.length > MAX_SPEECH_INPUT_CHARS) {
    return fail(`'input' : string must be at most ${MAX_SPEECH_INPUT_CHARS} characters, got ${input.length}`, 'input');
  }

  const voice = body['voice'];
  if (voice === undefined || voice === null) return fail(`property 'voice' is missing`, 'voice');
  const voices = model.voices ?? [];
  if (typeof voice !== 'string' || !voices.includes(voice)) {
    return fail(`voice \`${String(voice)}\` is not available for model \`${model.id}\`; use one of: ${voices.join(', ')}`, 'voice');
  }

  const format = body['response_format'] ?? 'wav';
  if (typeof format !== 'string' || !(SPEECH_FORMATS as readonly string[]).includes(format)) {
    return fail(`response_format must be one of [${SPEECH_FORMATS.join(' ')}]`, 'response_format');
  }

  const sampleRate = body['sample_rate'] ?? DEFAULT_SPEECH_SAMPLE_RATE;
  if (typeof sampleRate !== 'number' || !(SPEECH_SAMPLE_RATES as readonly number[]).includes(sampleRate)) {
    return fail(`sample_rate must be one of [${SPEECH_SAMPLE_RATES.join(' ')}]`, 'sample_rate');
  }
  const speed = body['speed'];
  if (speed !== undefined && speed !== null && (typeof speed !== 'number' || !(speed >= 0.5 && speed <= 5))) {
    return fail('speed must be a number between 0.5 and 5', 'speed');
  }
  return { ok: true, value: { input, format: format as SpeechFormat, sampleRate } };
}
