// The translation the Prometheus exporter and /metrics name metrics by; the dashboard checks use the same.
export * from '../../src/export/prometheus-names.js';
