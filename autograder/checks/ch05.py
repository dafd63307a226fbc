"""Checks of chapter 05 (to be written)."""

CHECKS = []
