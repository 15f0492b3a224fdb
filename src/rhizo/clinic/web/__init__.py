"""The clinic web application: server-rendered pages over the registry (issue 6).

Use :func:`rhizo.clinic.web.app.create_web_app`.
"""
