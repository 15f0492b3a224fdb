"""FHIR R4 export of a patient's record (a ``collection`` Bundle).

Resources are built as FHIR JSON and validated against ``fhir.resources``
R4B models (which differ from R4 4.0.1 very little for the resources used
here); the tests read every exported Bundle back with ``fhirclient``'s R4
4.0.1 models in strict mode.
"""
