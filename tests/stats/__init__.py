"""Tests of `mlprep stats` and leech detection."""
