"""Outcome analytics over the whole registry: how long relief lasts after RF neurotomy."""
