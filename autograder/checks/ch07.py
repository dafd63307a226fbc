"""Checks of chapter 07 (to be written)."""

CHECKS = []
