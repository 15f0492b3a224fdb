"""Scheduling: rooms, specialists' recurring sessions, exceptions, slots and appointments."""
