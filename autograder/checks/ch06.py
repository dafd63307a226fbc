"""Checks of chapter 06 (to be written)."""

CHECKS = []
