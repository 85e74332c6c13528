"""Training of the built-in model (not needed at run time; see docs/MODEL_CARD.md)."""
