"""Worklist tasks the pathway raises: book the RF day, book a review, pain has returned."""
