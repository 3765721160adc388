import { Hono } from 'hono';
import { inspectAudio } from '../../audio/inspect.js';
import { receiveUpload } from '../../http/multipart-upload.js';
import { badRequest } from '../../errors.js';
import type { Logger } from '../../log.js';
import { transcriptionOperation, uploadUnfit, type AudioTask } from './operation.js';
import { requireAlias, requireFit, requireMode } from '../shared/request-checks.js';
import { routedHandler, type NodeBindings, type RoutedServices } from '../shared/routed.js';

const RESPONSE_FORMATS = ['json', 'verbose_json', 'text'];
const GRANULARITIES = ['segment', 'word'];

/** `POST /audio/transcriptions` and `/audio/translations`: whisper aliases with fallback and audio budgets. */
export function audioRoutes(services: RoutedServices, log: Logger): Hono<NodeBindings> {
  const routes = new Hono<NodeBindings>();
  for (const task of ['transcriptions', 'translations'] as const) {
    const route = `/audio/${task}`;
    routes.post(
      route,
      routedHandler(services, log, route, async function audioIntake(intake) {
        const { source, config, table } = intake;
        // The alias may come after the file in the form, so the stream is capped by the largest limit.
        const upload = await receiveUpload(source, { maxFileBytes: table.largestUpload });
        try {
          const alias = requireAlias(single(upload.fields.model, 'model'), intake);
          requireMode(table, alias, ['audio_transcription'], route);
          checkFields(upload.fields, task);
          const plan = config.router.groqPlan;
          // Size first: reading a long file's length can take seconds.
          requireFit(table, alias, (deployment) => uploadUnfit(deployment, upload.file.bytes, plan), 413, 'file_too_large');
          const facts = await inspectAudio(upload.file);
          const operation = transcriptionOperation(task, upload, facts, plan);
          const dispose = () => void upload.dispose().catch((err: unknown) => log.warn(`could not remove an upload: ${String(err)}`));
          return { alias, operation, stream: false, promptTokens: 0, relay: { kind: 'bytes' }, dispose };
        } catch (err) {
          await upload.dispose();
          throw err;
        }
      }),
    );
  }
  return routes;
}

function single(value: string | readonly string[] | undefined, name: string): string | undefined {
  if (value === undefined || typeof value === 'string') return value;
  throw badRequest(`${name} was given more than once`, 'invalid_field', name);
}

/** What Groq's API reference (speech to text) documents for these fields, checked before the upload leaves. */
function checkFields(fields: Readonly<Record<string, string | readonly string[]>>, task: AudioTask): void {
  const format = single(fields.response_format, 'response_format');
  if (format !== undefined && !RESPONSE_FORMATS.includes(format)) {
    throw badRequest(`response_format must be one of ${RESPONSE_FORMATS.join(', ')}; got ${JSON.stringify(format)}`, 'invalid_response_format', 'response_format');
  }
  const granularities = fields.timestamp_granularities;
  const listed = granularities === undefined ? [] : typeof granularities === 'string' ? [granularities] : granularities;
  const unknown = listed.filter((g) => !GRANULARITIES.includes(g));
  if (unknown.length > 0) {
    throw badRequest(`timestamp_granularities may hold ${GRANULARITIES.join(', ')}; got ${unknown.join(', ')}`, 'invalid_timestamp_granularities', 'timestamp_granularities');
  }
  if (listed.length > 0 && format !== 'verbose_json') {
    throw badRequest('timestamp_granularities needs response_format verbose_json', 'invalid_timestamp_granularities', 'timestamp_granularities');
  }
  if (task === 'translations' && fields.timestamp_granularities !== undefined) {
    throw badRequest('timestamp_granularities applies to transcriptions only', 'invalid_timestamp_granularities', 'timestamp_granularities');
  }
}
