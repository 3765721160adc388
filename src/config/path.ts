/** A key path into the config document: map keys are strings, list indexes are numbers. */
export type Path = readonly (string | number)[];

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/**
 * `model_list[2].litellm_params.model`. Keys that would read ambiguously (aliases such as
 * `groq/llama` or `a.b`) are quoted so the path stays unambiguous.
 */
export function formatPath(path: Path): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (PLAIN_KEY.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}
