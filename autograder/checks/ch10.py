"""Checks of chapter 10 (to be written)."""

CHECKS = []
