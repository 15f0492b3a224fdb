"""The outbox: messages to patients (e-mail, SMS) written in the database, sent by a worker.

Generic core: it knows channels, addresses, templates by name, attempts and
transports, never what an appointment is (the templates that do are registered
by :mod:`rhizo.clinic.schedule.reminders`). See docs/reminders.md.
"""
