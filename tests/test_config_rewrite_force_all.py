"""CONFIG REWRITE with ``force_all`` (DEBUG CONFIG-REWRITE-FORCE-ALL): every parameter is written,
defaults included, and the file reads back to the same configuration."""

from __future__ import annotations

from perdure.server.config import OPTIONS, Config


def _loaded(path, text):
    """A Config read from ``path`` (written with ``text``), then one CONFIG SET."""
    path.write_text(text)
    cfg = Config()
    cfg.load_argv([str(path)])
    cfg.config_file = str(path)
    cfg.set("maxmemory-policy", "allkeys-lru")
    return cfg


def test_force_all_writes_every_option_and_round_trips(tmp_path):
    path = tmp_path / "redis.conf"
    cfg = _loaded(path, "# a comment\ntls-port 7000\nsave 900 1\nuser alice on >x ~* +@all\n")
    cfg.rewrite(force_all=True)
    text = path.read_text()
    assert text.startswith("# a comment\ntls-port 7000\n")
    names = {line.split()[0] for line in text.splitlines() if line and not line.startswith("#")}
    # every option but an unset replicaof (Redis writes no replicaof line for a master)
    assert {o.name for o in OPTIONS} - names == {"slaveof"}
    again = Config()
    again.load_argv([str(path)])
    assert [o.name for o in OPTIONS if again.values[o.name] != cfg.values[o.name]] == []
    assert again.users == ["alice on >x ~* +@all"]


def test_plain_rewrite_still_writes_only_changes(tmp_path):
    path = tmp_path / "redis.conf"
    cfg = _loaded(path, "tls-port 7000\n")
    cfg.rewrite()
    text = path.read_text()
    assert text.startswith("tls-port 7000\nmaxmemory-policy allkeys-lru\n")
    assert "\nhz " not in text and "\nappendonly " not in text  # defaults are not written
