"""Tests of the vehicle gateway's GPS path."""
