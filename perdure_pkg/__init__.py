"""Perdure: a Redis 6.2-compatible, durable, TLS-only in-memory database server.

``perdure.server`` is the server (installed from the repository's ``server/`` folder) and
``perdure.acl`` the ACL library (``acl/``).
"""
