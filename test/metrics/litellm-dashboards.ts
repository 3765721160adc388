/**
 * The queries of LiteLLM's own shipped Grafana dashboards (BerriAI/litellm,
 * cookbook/litellm_proxy_server/grafana_dashboard/): every panel of `dashboard_v2`, and the panels of the
 * all-metrics dashboard's request, latency and spend rows that plain chat traffic feeds. Left out of the
 * all-metrics rows: the admission-control panels (litellm_admission_*) and the guardrails overhead
 * (litellm_overhead_with_guardrails_latency_metric), which LiteLLM itself only fills with those optional
 * features on; the gateway has neither.
 */
const QUANTILES = [0.5, 0.95, 0.99];
const quantiles = (bucket: string, range: string) => QUANTILES.map((q) => `histogram_quantile(${q}, sum(rate(${bucket}[${range}])) by (le))`);

export const LITELLM_DASHBOARD_QUERIES: Readonly<Record<string, readonly string[]>> = {
  dashboard_v2: [
    'sum(rate(litellm_proxy_total_requests_metric_total[2m]))',
    'sum(rate(litellm_proxy_failed_requests_metric_total[2m])) by (exception_class)',
    'sum(rate(litellm_request_total_latency_metric_sum[2m]))/sum(rate(litellm_request_total_latency_metric_count[2m]))',
    'histogram_quantile(0.5, sum(rate(litellm_request_total_latency_metric_bucket[2m])) by (le))',
    'topk(5, sort(litellm_remaining_requests))',
    'topk(5, sort(litellm_remaining_tokens))',
    'sum(rate(litellm_proxy_total_requests_metric_total[2m])) by (api_key_alias)',
    'sum(rate(litellm_proxy_total_requests_metric_total[2m])) by (team_alias)',
  ],
  'all-metrics: requests': [
    'sum(rate(litellm_proxy_total_requests_metric_total[$__rate_interval])) by (status_code)',
    'sum(rate(litellm_proxy_failed_requests_metric_total[$__rate_interval])) by (exception_class)',
    'sum(rate(litellm_requests_metric_total[$__rate_interval])) by (model)',
    'sum(rate(litellm_llm_api_failed_requests_metric_total[$__rate_interval])) by (model)',
    'litellm_in_flight_requests',
    ...quantiles('litellm_request_queue_time_seconds_bucket', '$__rate_interval'),
  ],
  'all-metrics: latency': [
    ...quantiles('litellm_request_total_latency_metric_bucket', '$__rate_interval'),
    ...quantiles('litellm_llm_api_latency_metric_bucket', '$__rate_interval'),
    ...quantiles('litellm_llm_api_time_to_first_token_metric_bucket', '$__rate_interval'),
    ...quantiles('litellm_overhead_latency_metric_bucket', '$__rate_interval'),
    ...quantiles('litellm_deployment_latency_per_output_token_bucket', '$__rate_interval'),
  ],
  'all-metrics: spend and tokens': [
    'sum(rate(litellm_spend_metric_total[$__rate_interval])) by (model)',
    'sum(rate(litellm_total_tokens_metric_total[$__rate_interval])) by (model)',
    'sum(rate(litellm_input_tokens_metric_total[$__rate_interval])) by (model)',
    'sum(rate(litellm_output_tokens_metric_total[$__rate_interval])) by (model)',
  ],
};
