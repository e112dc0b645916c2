"""Tests of the edge kernels."""
