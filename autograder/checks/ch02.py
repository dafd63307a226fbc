"""Checks of chapter 02 (to be written)."""

CHECKS = []
