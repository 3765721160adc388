/** multipart/form-data bodies, parsed from the buffered bytes with the WHATWG Request/FormData of undici. */

export interface UploadedFile {
  readonly filename: string;
  readonly contentType: string;
  readonly bytes: Buffer;
}

export interface MultipartForm {
  /** Text fields in order of appearance; a repeated name (`timestamp_granularities[]`) has several values. */
  readonly fields: ReadonlyMap<string, readonly string[]>;
  readonly files: ReadonlyMap<string, UploadedFile>;
}

export type MultipartResult = { ok: true; form: MultipartForm } | { ok: false; reason: string };

export async function parseMultipart(raw: Buffer, contentType: string | undefined): Promise<MultipartResult> {
  if (contentType === undefined || !/^multipart\/form-data\s*;/i.test(contentType)) {
    return { ok: false, reason: "request Content-Type isn't multipart/form-data" };
  }
  let data: FormData;
  // Node's Buffers sit on plain ArrayBuffers, never shared ones, which is what BodyInit wants.
  const body = raw as Uint8Array<ArrayBuffer>;
  try {
    data = await new Request('http://fake-groq.invalid/', { method: 'POST', headers: { 'content-type': contentType }, body }).formData();
  } catch (error) {
    return { ok: false, reason: `could not parse multipart form: ${error instanceof Error ? error.message : String(error)}` };
  }
  const fields = new Map<string, string[]>();
  const files = new Map<string, UploadedFile>();
  for (const [name, value] of data.entries()) {
    if (typeof value === 'string') {
      fields.set(name, [...(fields.get(name) ?? []), value]);
    } else if (!files.has(name)) {
      files.set(name, { filename: value.name, contentType: value.type, bytes: Buffer.from(await value.arrayBuffer()) });
    }
  }
  return { ok: true, form: { fields, files } };
}

/** Last value of a text field, as servers usually read a field sent more than once. */
export function field(form: MultipartForm, name: string): string | undefined {
  const values = form.fields.get(name);
  return values === undefined ? undefined : values[values.length - 1];
}

/**
 * What `calls[].body` shows for a form: text fields (arrays for names ending in `[]`, else the last
 * value) and, for each file, its name, size and type, never its bytes.
 */
export function describeForm(form: MultipartForm): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, values] of form.fields) out[name] = name.endsWith('[]') ? [...values] : values[values.length - 1];
  for (const [name, file] of form.files) out[name] = { filename: file.filename, bytes: file.bytes.length, contentType: file.contentType };
  return out;
}
