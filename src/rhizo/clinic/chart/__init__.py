"""Clinic domain: a patient's chart, the whole record read at once.

:func:`rhizo.clinic.chart.reader.read_record` is the one reader of a patient's
whole record: the patient page, the portal, the FHIR export and the research
export all take their rows from it, none queries a patient's rows itself. It
stands above every domain whose rows it reads (conditions, blocks,
medications, plans, procedures, discharges, follow-ups, complications) and
below the pages and exports that show them (``[tool.importlinter]`` layers).
"""
