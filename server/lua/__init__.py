"""The Lua side of scripting: a Lua 5.1 state set up as Redis 6.2 sets up its own.

* :mod:`.engine` -- the state (lupa's ``lua51``), its sandbox, the ``redis`` table's glue, the
  script function cache, and the reply conversions in both directions;
* :mod:`.cjson`, :mod:`.cmsgpack`, :mod:`.bitop`, :mod:`.structlib` -- the libraries Redis links
  into its Lua (``cjson``, ``cmsgpack``, ``bit``, ``struct``), written in Python behind a thin
  Lua layer.

The commands (EVAL, EVALSHA, SCRIPT) and ``redis.call``'s trip through the dispatcher live in
:mod:`perdure.server.commands.scripting`.
"""
