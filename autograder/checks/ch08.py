"""Checks of chapter 08 (to be written)."""

CHECKS = []
