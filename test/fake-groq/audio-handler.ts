/**
 * POST /openai/v1/audio/transcriptions and /audio/translations (Whisper), multipart/form-data.
 * Order: auth, form, model, field validation, decoding the audio (junk is a 400), scripted fault,
 * quota (a request for RPM/RPD, max(10, duration) audio seconds for ASH/ASD), answer.
 */
import { MIDSTREAM_ERROR } from './answer.js';
import { AUDIO_TYPES, audioDuration, extensionOf } from './audio-duration.js';
import type { FakeEnv } from './env.js';
import { invalidApiKey, invalidRequest, modelNotFound } from './errors.js';
import type { Exchange } from './exchange.js';
import { admit, applyFault } from './gate.js';
import { describeForm, field, parseMultipart, type MultipartForm } from './multipart.js';
import { splitWords } from './payloads.js';
import { defaultReply } from './plan.js';

export type AudioTask = 'transcribe' | 'translate';

/** Groq bills every request as at least this many seconds of audio (Groq's speech-to-text documentation). */
export const MIN_BILLED_AUDIO_SECONDS = 10;
export const TRANSCRIPTION_FORMATS = ['json', 'verbose_json', 'text'] as const;
export const TIMESTAMP_GRANULARITIES = ['segment', 'word'] as const;
/** Groq's limit on `prompt`, with its wording. */
const MAX_PROMPT_CHARS = 896;

type TranscriptionFormat = (typeof TRANSCRIPTION_FORMATS)[number];

interface AudioRequest {
  readonly format: TranscriptionFormat;
  readonly words: boolean;
  readonly language: string | undefined;
  readonly temperature: number;
  readonly durationSeconds: number;
}

type Checked = { ok: true; value: Omit<AudioRequest, 'durationSeconds'> & { file: { filename: string; bytes: Buffer } } } | { ok: false; message: string; param: string };

export async function handleAudio(env: FakeEnv, ex: Exchange, key: string | null, rawBody: Buffer, task: AudioTask): Promise<void> {
  const parsed = await parseMultipart(rawBody, ex.req.headers['content-type']);
  if (parsed.ok) recordForm(env, ex, parsed.form);
  if (key === null || !env.acceptsKey(key)) return ex.json(401, invalidApiKey());
  if (!parsed.ok) return ex.json(400, invalidRequest(parsed.reason));
  const form = parsed.form;

  const modelId = field(form, 'model');
  if (modelId === undefined || modelId === '') return ex.json(400, invalidRequest(`property 'model' is missing`, 'model'));
  const model = env.models.get(modelId);
  if (model === undefined) return ex.json(404, modelNotFound(modelId));
  const quotaHeaders = (): Record<string, string> => env.limiter.headers(key, modelId);
  const reject = (message: string, param?: string): void => ex.json(400, invalidRequest(message, param), quotaHeaders());

  if (model.kind !== 'transcription') {
    return reject(`model \`${model.id}\` does not support audio ${task === 'transcribe' ? 'transcriptions' : 'translations'}`, 'model');
  }
  const checked = checkFields(form);
  if (!checked.ok) return reject(checked.message, checked.param);
  const duration = await audioDuration(checked.value.file.bytes, checked.value.file.filename);
  if (ex.signal.aborted) return;
  if (duration === undefined) return reject('could not process file - is it a valid media file?', 'file');
  const request: AudioRequest = { ...checked.value, durationSeconds: duration };

  const fault = await applyFault(env, ex, model, quotaHeaders());
  if (fault.answered) return;
  const billed = Math.max(MIN_BILLED_AUDIO_SECONDS, duration);
  const ticket = admit(env, ex, key, modelId, { tokens: 0, audioSeconds: billed }, quotaHeaders);
  if (ticket === null) return;

  const text = defaultReply(model.id);
  const headers = quotaHeaders();
  const [body, contentType] =
    request.format === 'text'
      ? [text, 'text/plain; charset=utf-8']
      : [JSON.stringify(request.format === 'json' ? { text, x_groq: { id: ex.requestId } } : verboseBody(task, request, text, ex.requestId)), 'application/json'];

  const midstream = fault.midstream;
  if (midstream?.kind === 'midstream-error') return ex.json(500, { error: midstream.error ?? MIDSTREAM_ERROR }, headers);
  if (midstream?.kind === 'midstream-reset') return ex.truncated(200, body, { ...headers, 'content-type': contentType });
  return ex.raw(200, body, { ...headers, 'content-type': contentType });
}

function recordForm(env: FakeEnv, ex: Exchange, form: MultipartForm): void {
  if (!env.fast) ex.call.body = describeForm(form);
  const model = field(form, 'model');
  if (model !== undefined) ex.call.model = model;
}

function checkFields(form: MultipartForm): Checked {
  const fail = (message: string, param: string): Checked => ({ ok: false, message, param });
  const file = form.files.get('file');
  if (file === undefined) return fail(form.fields.has('file') ? `'file' : value must be a file` : `property 'file' is missing`, 'file');
  const allowed = Object.keys(AUDIO_TYPES);
  if (!allowed.includes(extensionOf(file.filename))) return fail(`file must be one of the following types: [${allowed.join(' ')}]`, 'file');

  const format = field(form, 'response_format') ?? 'json';
  if (!(TRANSCRIPTION_FORMATS as readonly string[]).includes(format)) {
    return fail(`response_format must be one of [${TRANSCRIPTION_FORMATS.join(' ')}]`, 'response_format');
  }
  // SDKs send arrays as `name[]`; a plain `name` is accepted too.
  const granularities = [...(form.fields.get('timestamp_granularities[]') ?? []), ...(form.fields.get('timestamp_granularities') ?? [])];
  for (const value of granularities) {
    if (!(TIMESTAMP_GRANULARITIES as readonly string[]).includes(value)) {
      return fail(`timestamp_granularities must be one of [${TIMESTAMP_GRANULARITIES.join(' ')}]`, 'timestamp_granularities');
    }
  }

  let temperature = 0;
  const rawTemperature = field(form, 'temperature');
  if (rawTemperature !== undefined && rawTemperature !== '') {
    temperature = Number(rawTemperature);
    if (!Number.isFinite(temperature) || temperature < 0 || temperature > 1) return fail('temperature must be a number between 0 and 1', 'temperature');
  }
  const prompt = field(form, 'prompt');
  if (prompt !== undefined && prompt.length > MAX_PROMPT_CHARS) {
    return fail(`prompt length must be ${MAX_PROMPT_CHARS} characters or fewer, but provided prompt contains ${prompt.length} characters`, 'prompt');
  }
  const language = field(form, 'language');
  return {
    ok: true,
    value: {
      file,
      format: format as TranscriptionFormat,
      // Word timestamps only exist in verbose_json, as on Groq; elsewhere the field is ignored.
      words: granularities.includes('word'),
      language: language === '' ? undefined : language,
      temperature,
    },
  };
}

const round3 = (seconds: number): number => Math.round(seconds * 1000) / 1000;

function verboseBody(task: AudioTask, request: AudioRequest, text: string, requestId: string): Record<string, unknown> {
  const duration = request.durationSeconds;
  const segment = {
    id: 0,
    seek: 0,
    start: 0,
    end: round3(duration),
    text: ` ${text}`,
    tokens: [],
    temperature: request.temperature,
    avg_logprob: -0.2,
    compression_ratio: 1,
    no_speech_prob: 0.01,
  };
  const words = splitWords(text).map((word) => word.trim());
  const step = words.length === 0 ? 0 : duration / words.length;
  return {
    task,
    language: task === 'translate' ? 'English' : (request.language ?? 'English'),
    duration,
    text,
    segments: [segment],
    ...(request.words ? { words: words.map((word, i) => ({ word, start: round3(i * step), end: round3((i + 1) * step) })) } : {}),
    x_groq: { id: requestId },
  };
}
