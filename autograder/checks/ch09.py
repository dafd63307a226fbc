"""Checks of chapter 09 (to be written)."""

CHECKS = []
