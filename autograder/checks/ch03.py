"""Checks of chapter 03 (to be written)."""

CHECKS = []
