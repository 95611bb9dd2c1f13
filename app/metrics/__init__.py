"""The /metrics endpoint: JSON report or Prometheus text exposition."""
