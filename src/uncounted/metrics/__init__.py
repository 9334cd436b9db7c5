"""The catalogue of published measures (one place for definitions, sources and units)."""

from uncounted.metrics.catalogue import Metric, load_catalogue, metric, metrics_markdown

__all__ = ["Metric", "load_catalogue", "metric", "metrics_markdown"]
