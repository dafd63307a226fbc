"""Checks of chapter 01 (to be written)."""

CHECKS = []
