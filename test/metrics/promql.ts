/**
 * Just enough of a PromQL scanner to lint dashboard queries: which metric names an expression selects,
 * and which function call each selection sits in. Label matchers, range brackets, strings and Grafana
 * variables are skipped whole, so names inside them are never taken for metrics.
 */

export interface MetricRef {
  readonly name: string;
  /** The innermost function or aggregation call around the selector; parentheses for grouping don't count. */
  readonly enclosingCall: string | undefined;
}

type Token =
  | { readonly kind: 'ident'; readonly text: string }
  | { readonly kind: 'open' }
  | { readonly kind: 'close' }
  | { readonly kind: 'other'; readonly text: string };

/** Keywords after which a parenthesised list holds label names, not expressions. */
const LABEL_LIST = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const KEYWORDS = new Set([...LABEL_LIST, 'bool', 'and', 'or', 'unless', 'offset', 'atan2', 'inf', 'nan']);

export function metricRefs(expr: string): MetricRef[] {
  const tokens = tokenize(expr);
  const refs: MetricRef[] = [];
  type Frame = { readonly kind: 'call'; readonly name: string } | { readonly kind: 'labels'; readonly aggregation: string | undefined } | { readonly kind: 'group' };
  const stack: Frame[] = [];
  // `sum by (le) (rate(...))`: the aggregation's argument list opens after its label list closes.
  let pendingAggregation: string | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as Token;
    const previous = tokens[i - 1];
    const next = tokens[i + 1];
    if (token.kind === 'open') {
      if (previous?.kind === 'ident' && LABEL_LIST.has(previous.text)) {
        const beforeKeyword = tokens[i - 2];
        const isAggregation = (previous.text === 'by' || previous.text === 'without') && beforeKeyword?.kind === 'ident' && !KEYWORDS.has(beforeKeyword.text);
        stack.push({ kind: 'labels', aggregation: isAggregation ? beforeKeyword.text : undefined });
      } else if (previous?.kind === 'ident' && !KEYWORDS.has(previous.text)) {
        stack.push({ kind: 'call', name: previous.text });
      } else if (previous?.kind === 'close' && pendingAggregation !== undefined) {
        stack.push({ kind: 'call', name: pendingAggregation });
      } else {
        stack.push({ kind: 'group' });
      }
      pendingAggregation = undefined;
      continue;
    }
    pendingAggregation = undefined;
    if (token.kind === 'close') {
      const closed = stack.pop();
      if (closed?.kind === 'labels') pendingAggregation = closed.aggregation;
      continue;
    }
    if (token.kind !== 'ident' || KEYWORDS.has(token.text)) continue;
    if (stack.at(-1)?.kind === 'labels') continue;
    // A function or an aggregation with a `by`/`without` clause, not a selector.
    if (next?.kind === 'open' || (next?.kind === 'ident' && (next.text === 'by' || next.text === 'without'))) continue;
    const call = [...stack].reverse().find((frame): frame is Extract<Frame, { kind: 'call' }> => frame.kind === 'call');
    refs.push({ name: token.text, enclosingCall: call?.name });
  }
  return refs;
}

function tokenize(expr: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < expr.length) {
    const c = expr[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '"' || c === "'" || c === '`') {
      i = skipString(expr, i);
    } else if (c === '{') {
      i = skipBalanced(expr, i, '{', '}');
    } else if (c === '[') {
      i = skipBalanced(expr, i, '[', ']');
    } else if (c === '$') {
      // A Grafana variable ($name or ${name}); it stands for a value, never a metric.
      const match = /^\$(\{[^}]*\}|\w+)/.exec(expr.slice(i));
      i += match?.[0].length ?? 1;
      tokens.push({ kind: 'other', text: '$' });
    } else if (c === '(') {
      tokens.push({ kind: 'open' });
      i++;
    } else if (c === ')') {
      tokens.push({ kind: 'close' });
      i++;
    } else if (/[A-Za-z_:]/.test(c)) {
      const match = /^[A-Za-z_:][A-Za-z0-9_:]*/.exec(expr.slice(i)) as RegExpExecArray;
      tokens.push({ kind: 'ident', text: match[0] });
      i += match[0].length;
    } else if (/[0-9.]/.test(c)) {
      // Numbers and durations (5m, 1e3, 0x1f): one literal, so their letters are not names.
      const match = /^[0-9.][0-9A-Za-z.]*([eE][+-]?[0-9]+)?/.exec(expr.slice(i)) as RegExpExecArray;
      tokens.push({ kind: 'other', text: match[0] });
      i += match[0].length;
    } else {
      tokens.push({ kind: 'other', text: c });
      i++;
    }
  }
  return tokens;
}

function skipString(expr: string, start: number): number {
  const quote = expr[start];
  let i = start + 1;
  while (i < expr.length && expr[i] !== quote) i += expr[i] === '\\' && quote !== '`' ? 2 : 1;
  return i + 1;
}

function skipBalanced(expr: string, start: number, open: string, close: string): number {
  let depth = 0;
  let i = start;
  while (i < expr.length) {
    const c = expr[i];
    if (c === '"' || c === "'" || c === '`') {
      i = skipString(expr, i);
      continue;
    }
    if (c === open) depth++;
    if (c === close && --depth === 0) return i + 1;
    i++;
  }
  return i;
}
