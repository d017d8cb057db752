"""Validation against closed forms and published data (a package, so that its conftest and
helpers do not collide with tests/python's modules)."""
