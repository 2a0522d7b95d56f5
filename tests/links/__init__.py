"""Tests of the links between a transport and its Station model."""
