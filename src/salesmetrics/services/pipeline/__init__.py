"""Pipeline management: funnel, time in stage, bottlenecks, stale deals, hygiene, observed
stage probabilities and forecasts with their accuracy (docs/pipeline.md)."""
