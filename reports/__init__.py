"""Rendering: every format from the same result model, no AWS objects."""
