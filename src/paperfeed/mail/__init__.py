"""Outgoing mail: templates, the SMTP transport and the outbox that delivers exactly what it recorded.

This package sits beside ``ingest/``: it uses ``store`` (the outbox table) and ``config`` and knows nothing
of the web or the services, so the digest and subscription services can render and queue their mail here.
"""
