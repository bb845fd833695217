"""Lead prioritisation: train, score, explain, evaluate; the work queue."""
