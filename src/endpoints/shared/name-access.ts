import { mayUse, type Principal } from '../../middleware/api-key.js';
import type { RoutingTable } from '../../routing/table.js';

/** `mayUse`, where a key allowed a wildcard (`groq/*`) may also use every name the wildcard serves. */
export function mayUseName(principal: Principal | undefined, table: RoutingTable, name: string): boolean {
  if (mayUse(principal, name)) return true;
  const pattern = table.patternOf(name);
  return pattern !== undefined && mayUse(principal, pattern);
}
