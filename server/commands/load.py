"""Import every family module so that the command table is complete.

A family module that is not importable yet is skipped only if it does not exist; an error
inside an existing module is raised (a broken module must never silently drop commands).
"""

import importlib
import importlib.util

FAMILIES = [
    "connection", "server", "keys", "strings", "bitmaps", "hashes", "lists", "sets", "zsets",
    "sort", "hyperloglog", "geo", "streams", "pubsub", "transactions", "scripting", "acl",
    "cluster", "config_cmd", "debug", "dump", "persistence", "replication", "lolwut",
]

for _name in FAMILIES:
    _mod = __package__ + "." + _name
    if importlib.util.find_spec(_mod) is not None:
        importlib.import_module(_mod)
