/**
 * Arguments for a scripted tool call. They satisfy the tool's JSON schema (every `required` property,
 * typed), because clients such as Kilo Code send `strict: true` schemas and reject calls that miss fields.
 */
import { isRecord } from './request.js';

const MAX_DEPTH = 6;

export function placeholderArguments(schema: unknown): Record<string, unknown> {
  const value = placeholderFor(schema, 0);
  return isRecord(value) ? value : {};
}

function placeholderFor(schema: unknown, depth: number): unknown {
  if (!isRecord(schema) || depth > MAX_DEPTH) return null;
  if (Array.isArray(schema['enum']) && schema['enum'].length > 0) return schema['enum'][0];
  if ('const' in schema) return schema['const'];
  const variants = schema['anyOf'] ?? schema['oneOf'];
  if (Array.isArray(variants) && variants.length > 0) return placeholderFor(variants[0], depth + 1);

  switch (schemaType(schema)) {
    case 'string':
      return 'fake';
    case 'integer':
    case 'number':
      return typeof schema['minimum'] === 'number' ? schema['minimum'] : 0;
    case 'boolean':
      return false;
    case 'array':
      return [];
    case 'object':
      return placeholderObject(schema, depth);
    default:
      return null;
  }
}

function schemaType(schema: Record<string, unknown>): string | undefined {
  const type = schema['type'];
  if (typeof type === 'string') return type;
  // Nullable unions such as ["string", "null"]: the non-null member is the interesting one.
  if (Array.isArray(type)) return type.find((t): t is string => typeof t === 'string' && t !== 'null');
  return isRecord(schema['properties']) ? 'object' : undefined;
}

function placeholderObject(schema: Record<string, unknown>, depth: number): Record<string, unknown> {
  const properties = isRecord(schema['properties']) ? schema['properties'] : {};
  const required = Array.isArray(schema['required']) ? schema['required'].filter((r): r is string => typeof r === 'string') : [];
  const out: Record<string, unknown> = {};
  for (const name of required) out[name] = placeholderFor(properties[name], depth + 1);
  return out;
}
