"""Synthetic study generators."""
