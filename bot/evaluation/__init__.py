"""Measuring the assistant honestly: held-out leakage and end-to-end scoring of replies."""
