"""Tests of the fama subcommands."""
