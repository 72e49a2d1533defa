// The translation lives beside the /metrics renderer that uses it; the dashboard checks use the same.
export * from '../../src/self/prometheus-names.js';
