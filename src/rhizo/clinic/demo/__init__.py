"""The synthetic demo cohort for ``rhizo demo`` (every record is invented, MRNs ``DEMO-``)."""
