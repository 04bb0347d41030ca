"""Builders and fixtures shared by several test modules (one module a feature).

A test module imports the fixtures it uses from here (pytest registers a fixture where it
is imported); fixtures every test uses live in conftest.py."""
