import type { GroqPlan } from '../../config/types.js';
import type { Deployment } from '../../routing/deployment.js';
import type { Operation, Unfit } from '../../routing/operation.js';
import { uploadNameFor } from '../../audio/formats.js';
import { transcriptionAnswer } from '../shared/answer-shape.js';
import { billedAudioSeconds, type AudioFacts } from '../../audio/inspect.js';
import { openUploadAsFile, type Upload } from '../../http/multipart-upload.js';

export type AudioTask = 'transcriptions' | 'translations';

const MB = 1024 * 1024;

/**
 * `POST /audio/transcriptions` and `/audio/translations`: the caller's upload, kept once on disk, is sent
 * to each deployment tried as a file-backed part. The measured duration (at least Groq's billed minimum)
 * is booked against ASH/ASD; a `verbose_json` answer's own duration settles it.
 */
export function transcriptionOperation(task: AudioTask, upload: Upload, facts: AudioFacts, plan: GroqPlan): Operation {
  const fields = formFields(upload.fields);
  const billed = billedAudioSeconds(facts.durationSeconds);
  const file = { ...upload.file, filename: uploadNameFor(upload.file.filename, facts.format) };
  return {
    unfit: (deployment) => uploadUnfit(deployment, upload.file.bytes, plan),
    prepare(deployment) {
      return {
        demand: { requests: 1, tokens: 0, audioSeconds: billed },
        send: async (client, options) => {
          const params = { ...fields, model: deployment.config.model, file: await openUploadAsFile(file) };
          return task === 'transcriptions' ? client.transcriptions(params, options) : client.translations(params, options);
        },
        spent(body, booked) {
          const reported = reportedDuration(body);
          return { usage: undefined, actual: { audioSeconds: reported === undefined ? booked.audioSeconds : billedAudioSeconds(reported) } };
        },
        streamSpent: (_usage, booked) => ({ usage: undefined, actual: booked }),
      };
    },
    checkAnswer: transcriptionAnswer,
  };
}

/** A file over the deployment's documented upload limit for the plan would be refused upstream. */
export function uploadUnfit(deployment: Deployment, bytes: number, plan: GroqPlan): Unfit | undefined {
  const limit = deployment.catalog?.maxFileBytes[plan];
  if (limit === undefined || bytes <= limit) return undefined;
  return {
    reason: `the file is ${(bytes / MB).toFixed(1)} MB; ${deployment.catalog?.id ?? deployment.config.model} takes at most ${limit / MB} MB on the ${plan} plan`,
    param: 'file',
  };
}

/** Every form field but the file and the alias, as the SDK sends them (arrays become `name[]`). */
function formFields(fields: Upload['fields']): Record<string, string | readonly string[]> {
  const out: Record<string, string | readonly string[]> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (name === 'model' || name === 'file') continue;
    out[name] = value;
  }
  return out;
}

const DURATION = /"duration":\s*([0-9.]+)/;

/**
 * `verbose_json` answers carry the duration Groq measured; `json` and `text` do not. Inside the
 * transcript's strings quotes are escaped, so the first match is the answer's own field.
 */
export function reportedDuration(body: Uint8Array): number | undefined {
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  // A `text` answer is the transcript itself, which may say anything.
  if (!text.trimStart().startsWith('{')) return undefined;
  const match = DURATION.exec(text);
  const seconds = match === null ? Number.NaN : Number(match[1]);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : undefined;
}
