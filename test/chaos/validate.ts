/**
 * Checks one gateway answer as a client sees it: a complete valid response, or a well-formed error,
 * never a mix of two deployments' output or a stream that just stops.
 */

export type Verdict =
  | { readonly ok: true; readonly kind: 'served' | 'error' | 'stream-error'; readonly status: number; readonly detail: string }
  | { readonly ok: false; readonly problem: string };

/** Every answer a fake deployment can give, by model; a served text must be exactly one of them. */
export type ExpectedTexts = ReadonlyMap<string, string>;

export function checkJson(status: number, contentType: string | null, text: string, expected: ExpectedTexts): Verdict {
  if (!contentType?.includes('application/json')) return { ok: false, problem: `status ${status} with content-type ${contentType}` };
  let body: { choices?: Array<{ message?: { content?: string } }>; model?: string; error?: { message?: unknown; type?: unknown; code?: unknown } };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    return { ok: false, problem: `status ${status}: body is not JSON: ${text.slice(0, 80)}` };
  }
  if (status !== 200) return checkErrorBody(status, body.error, 'error');
  const content = body.choices?.[0]?.message?.content;
  const wanted = body.model === undefined ? undefined : expected.get(body.model);
  if (wanted === undefined || content !== wanted) return { ok: false, problem: `served ${JSON.stringify(content)} from ${body.model}` };
  return { ok: true, kind: 'served', status, detail: body.model ?? '' };
}

export function checkStream(text: string, expected: ExpectedTexts): Verdict {
  const frames = text.split('\n\n').filter((frame) => frame.length > 0);
  let content = '';
  let model: string | undefined;
  for (const [index, frame] of frames.entries()) {
    if (!frame.startsWith('data: ')) return { ok: false, problem: `frame without data: ${frame.slice(0, 60)}` };
    const payload = frame.slice('data: '.length);
    const last = index === frames.length - 1;
    if (payload === '[DONE]') {
      if (!last) return { ok: false, problem: 'frames after [DONE]' };
      const wanted = model === undefined ? undefined : expected.get(model);
      if (content !== wanted) return { ok: false, problem: `complete stream with ${JSON.stringify(content)} from ${model}` };
      return { ok: true, kind: 'served', status: 200, detail: model ?? '' };
    }
    let chunk: { model?: string; choices?: Array<{ delta?: { content?: string } }>; error?: { message?: unknown; type?: unknown; code?: unknown } };
    try {
      chunk = JSON.parse(payload) as typeof chunk;
    } catch {
      return { ok: false, problem: `malformed JSON in frame ${index}: ${payload.slice(0, 60)}` };
    }
    if (chunk.error !== undefined) {
      if (!last) return { ok: false, problem: 'frames after an error frame' };
      const wanted = model === undefined ? '' : (expected.get(model) ?? '');
      if (!wanted.startsWith(content)) return { ok: false, problem: `broken stream carried ${JSON.stringify(content)} from ${model}` };
      return checkErrorBody(200, chunk.error, 'stream-error');
    }
    if (!Array.isArray(chunk.choices)) return { ok: false, problem: `chunk ${index} without choices` };
    if (model !== undefined && chunk.model !== model) return { ok: false, problem: `chunks from ${model} and ${chunk.model} mixed` };
    model = chunk.model;
    content += chunk.choices[0]?.delta?.content ?? '';
  }
  return { ok: false, problem: `stream ended without [DONE] or an error frame after ${frames.length} frames` };
}

function checkErrorBody(status: number, error: { message?: unknown; type?: unknown; code?: unknown } | undefined, kind: 'error' | 'stream-error'): Verdict {
  if (error === undefined || typeof error.message !== 'string' || error.message === '' || typeof error.type !== 'string' || !('code' in error)) {
    return { ok: false, problem: `status ${status}: malformed error ${JSON.stringify(error)}` };
  }
  return { ok: true, kind, status, detail: typeof error.code === 'string' ? error.code : String(error.type) };
}
