"""Experiments the chapters stand on; each runs small at build time and full-scale from scripts/."""
