"""Observability building blocks that know nothing of Flask: metric stores and their reports."""
