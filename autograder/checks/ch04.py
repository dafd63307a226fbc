"""Checks of chapter 04 (to be written)."""

CHECKS = []
