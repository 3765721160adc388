// The status page: Preact + htm as ES modules, no build step. It polls GET /status once a second
// with the key it was given (login form, or #key=… in the URL, which never reaches the server).
import { h, render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import htm from 'htm';

const html = htm.bind(h);
const KEY_STORAGE = 'groq-router-key';

function keyFromFragment() {
  const match = /(?:^#|&)key=([^&]+)/.exec(location.hash);
  if (!match) return undefined;
  const key = decodeURIComponent(match[1]);
  sessionStorage.setItem(KEY_STORAGE, key);
  // Out of the address bar (and the history) once read.
  history.replaceState(null, '', location.pathname + location.search);
  return key;
}

async function fetchStatus(key) {
  const res = await fetch('/status', { headers: key ? { authorization: `Bearer ${key}` } : {} });
  if (res.status === 401 || res.status === 403) return { needsKey: true, message: (await res.json().catch(() => ({})))?.error?.message };
  if (!res.ok) throw new Error(`GET /status answered ${res.status}`);
  return { data: await res.json() };
}

const fmt = (n) => (n === null || n === undefined ? '–' : Math.round(n).toLocaleString('en-US'));
const secs = (s) => (s === null || s === undefined ? '–' : s >= 3600 ? `${(s / 3600).toFixed(1)} h` : s >= 60 ? `${Math.round(s / 60)} min` : `${Math.ceil(s)} s`);

function Login({ onKey, message }) {
  const [value, setValue] = useState('');
  return html`<form class="login" onSubmit=${(e) => { e.preventDefault(); onKey(value.trim()); }}>
    <h1>groq-router</h1>
    <label for="key">This gateway needs a key (the master key, or a client key for its own models).</label>
    <input id="key" type="password" autocomplete="current-password" value=${value} onInput=${(e) => setValue(e.currentTarget.value)} placeholder="sk-…" />
    <button type="submit">Show status</button>
    ${message ? html`<p class="error">${message}</p>` : null}
  </form>`;
}

function Readiness({ data }) {
  const r = data.readiness;
  return html`<header>
    <h1>groq-router</h1>
    <span class="badge ${r.status}" data-testid="readiness">${r.status}</span>
    <span class="muted">v${data.version} · plan ${data.plan} · budgets in ${r.budgets} · config loaded ${new Date(r.config_loaded_at).toLocaleTimeString()}</span>
  </header>
  ${r.unusable_aliases.length > 0 ? html`<p class="unhealthy">No deployment can serve: ${r.unusable_aliases.map((u) => html`<div><b>${u.alias}</b>: ${u.deployments.map((d) => d.reason).join('; ')}</div>`)}</p>` : null}
  ${r.last_reload_failed ? html`<p class="error">Last reload failed (${new Date(r.last_reload_failed.at).toLocaleTimeString()}): ${r.last_reload_failed.error}</p>` : null}`;
}

function Aliases({ data }) {
  return html`<h2>Aliases</h2>
  <table data-testid="aliases"><thead><tr><th>Alias</th><th>Chain</th><th>Deployments</th></tr></thead><tbody>
  ${data.aliases.map((a) => html`<tr data-alias=${a.alias}>
    <td><b>${a.alias}</b></td>
    <td class="chain">${a.chain.join(' → ')}</td>
    <td>${a.deployments.map((d) => html`<div class="deployment" data-deployment=${d.id}>
      <span class="badge ${d.state}">${d.state}</span> ${d.model} <span class="muted">(${d.id})</span>
      ${d.reason ? html` <span class="reason">${d.reason}</span>` : null}
      ${d.trial_in_s !== null ? html` <span class="muted">· trial in ${secs(d.trial_in_s)}</span>` : null}
    </div>`)}</td>
  </tr>`)}
  </tbody></table>`;
}

/** Groq's own view (its x-ratelimit headers) of the window it reports on, beside ours. */
function groqView(name, upstream) {
  if (!upstream) return null;
  if (name === 'rpd' && upstream.remaining_requests_per_day !== null) return `Groq: ${fmt(upstream.remaining_requests_per_day)} left, resets in ${secs(upstream.requests_reset_in_s)}`;
  if (name === 'tpm' && upstream.remaining_tokens_per_minute !== null) return `Groq: ${fmt(upstream.remaining_tokens_per_minute)} left, resets in ${secs(upstream.tokens_reset_in_s)}`;
  return null;
}

function Budgets({ data }) {
  return html`<h2>Budgets</h2>
  ${data.budgets.map((b) => html`<div class="budget" data-budget=${b.id}>
    <div><b>${b.model}</b> <span class="muted">key ${b.key} · ${b.deployments.map((d) => d.model_name).join(', ')}</span>
    ${b.blocked_until ? html` <span class="unhealthy">blocked by Groq until ${new Date(b.blocked_until).toLocaleTimeString()}</span>` : null}</div>
    ${Object.entries(b.windows).filter(([, w]) => w.limit !== null).map(([name, w]) => {
      const pct = w.limit > 0 ? Math.min(100, (w.used / w.limit) * 100) : 100;
      return html`<div class="window" data-window=${name}>
        <b>${name.toUpperCase()}</b>
        <span><span class="used">${fmt(w.used)}</span> / ${fmt(w.limit)} used · ${fmt(w.remaining)} left · resets in ${secs(w.reset_in_s)}</span>
        <div class="bar ${pct >= 100 ? 'full' : ''}" title="${pct.toFixed(1)}%"><div style="width:${pct}%"></div></div>
        <span class="muted">${groqView(name, b.upstream) ?? ''}</span>
      </div>`;
    })}
  </div>`)}`;
}

function Requests({ data }) {
  const [alias, setAlias] = useState('');
  const [status, setStatus] = useState('');
  const rows = data.requests.filter((r) => (!alias || r.alias === alias) && (!status || (status === 'ok' ? r.status < 400 : r.status >= 400)));
  return html`<h2>Last requests</h2>
  <div class="filters">
    <label>Alias <select data-testid="filter-alias" value=${alias} onChange=${(e) => setAlias(e.currentTarget.value)}>
      <option value="">all</option>${data.aliases.map((a) => html`<option value=${a.alias}>${a.alias}</option>`)}
    </select></label>
    <label>Status <select data-testid="filter-status" value=${status} onChange=${(e) => setStatus(e.currentTarget.value)}>
      <option value="">all</option><option value="ok">answered</option><option value="refused">refused or failed</option>
    </select></label>
  </div>
  <table data-testid="requests"><thead><tr><th>Time</th><th>Alias</th><th>Deployment</th><th>Status</th><th>Fallbacks</th><th>Tokens</th><th>Duration</th><th>Reason</th></tr></thead><tbody>
  ${rows.length === 0 ? html`<tr><td colspan="8" class="muted">No requests yet.</td></tr>` : rows.map((r) => html`<tr class="request ${r.status >= 400 ? 'refused' : 'ok'}">
    <td>${new Date(r.at).toLocaleTimeString()}</td><td>${r.alias}</td><td>${r.deployment ? r.deployment.label : '–'}</td>
    <td>${r.status}</td><td>${r.fallbacks}</td><td>${r.promptTokens === null ? '–' : `${fmt(r.promptTokens)} + ${fmt(r.completionTokens)}`}</td>
    <td>${fmt(r.durationMs)} ms</td><td class="reason">${r.reason ?? ''}</td>
  </tr>`)}
  </tbody></table>`;
}

function Reloads({ data }) {
  if (data.reloads.length === 0) return null;
  return html`<h2>Reloads</h2><table><tbody>${data.reloads.map((r) => html`<tr>
    <td>${new Date(r.at).toLocaleTimeString()}</td><td class=${r.ok ? 'ok' : 'unhealthy'}>${r.ok ? 'reloaded' : 'refused'}</td>
    <td>${r.ok ? (r.changes.join('; ') || 'no changes') : r.error}</td></tr>`)}</tbody></table>`;
}

function App() {
  const [key, setKey] = useState(() => keyFromFragment() ?? sessionStorage.getItem(KEY_STORAGE) ?? '');
  const [state, setState] = useState({});
  useEffect(() => {
    let stopped = false;
    let timer;
    const poll = async () => {
      try {
        const next = await fetchStatus(key);
        if (!stopped) setState(next);
      } catch (error) {
        if (!stopped) setState((old) => ({ ...old, error: String(error.message ?? error) }));
      }
      if (!stopped) timer = setTimeout(poll, 1000);
    };
    poll();
    return () => { stopped = true; clearTimeout(timer); };
  }, [key]);
  if (state.needsKey) {
    return html`<${Login} message=${key ? state.message : undefined} onKey=${(k) => { sessionStorage.setItem(KEY_STORAGE, k); setState({}); setKey(k); }} />`;
  }
  if (!state.data) return html`<p class="${state.error ? 'error' : 'muted'}">${state.error ?? 'Loading…'}</p>`;
  return html`<${Readiness} data=${state.data} />
    ${state.error ? html`<p class="error">Lost the gateway: ${state.error}</p>` : null}
    <${Aliases} data=${state.data} /><${Budgets} data=${state.data} /><${Requests} data=${state.data} /><${Reloads} data=${state.data} />`;
}

render(html`<${App} />`, document.getElementById('app'));
