"""The class store: classes, the teacher's view, questions and answers, in a real database.

One interface (:class:`ClassStore`), two backends, chosen by ``CNNLAB_STORE_URL``:

- unset or ``sqlite:///path/file.db``: SQLite (standard library, WAL mode), a
  file in ``CNNLAB_DATA_DIR`` (default ``./.cnnlab-data``). Enough for one
  process or several on one machine.
- ``redis://host:port/db``: Redis, shared by every replica (see
  ``docs/deployment.md`` for why Redis rather than PostgreSQL).

Nothing is kept in a process's memory: a replica can die and another one
answers the next request from the same data. What the store keeps:

- a class: a random join code (6 symbols of a 32-symbol alphabet, about
  10^9 codes), the SHA-256 of the teacher's secret (never the secret), when
  it expires (``CLASS_TTL``), whether it is closed, the teacher's current
  view (page + URL settings, with a version number) and the current question
  (its JSON, a number that grows with every new question, revealed or not);
- members: an opaque random id per student and an optional display name
  (length-limited; only the teacher's screen reads names);
- answers: one per member per question, changeable until the reveal.

Every method that changes the class for everyone (view, question, reveal,
close) and every read of names or individual answers takes the teacher's
secret; a wrong secret raises :class:`Forbidden`. Expired classes are deleted
(SQLite: on the next write; Redis: by key expiry).
Where it lives: the interface, the data and the rules in ``services/class_base.py``, the backends in
``services/class_sqlite.py`` and ``services/class_redis.py``; this module opens the configured one, and
every name of the store stays importable from here.
"""

from __future__ import annotations

import os
from pathlib import Path

from services.class_base import (
    ALPHABET,
    ANSWER_LIMIT,
    CLASS_TTL,
    CODE_LENGTH,
    IP_JOIN_LIMIT,
    JOIN_LIMIT,
    MAX_MEMBERS,
    NAME_MAX,
    QUESTION_MAX,
    VIEW_MAX,
    ClassInfo,
    ClassStore,
    Forbidden,
    NotFound,
    RateLimited,
    StoreError,
    clean_name,
    hash_secret,
    new_code,
    normalize_code,
)
from services.class_redis import RedisStore
from services.class_sqlite import SQLiteStore

__all__ = ["ALPHABET", "ANSWER_LIMIT", "CLASS_TTL", "CODE_LENGTH", "IP_JOIN_LIMIT", "JOIN_LIMIT", "MAX_MEMBERS",
           "NAME_MAX", "QUESTION_MAX", "VIEW_MAX", "ClassInfo", "ClassStore", "Forbidden", "NotFound",
           "RateLimited", "RedisStore", "SQLiteStore", "StoreError", "backend_name", "clean_name", "data_dir",
           "hash_secret", "new_code", "normalize_code", "open_store"]


def data_dir():
    return Path(os.environ.get("CNNLAB_DATA_DIR") or Path.cwd() / ".cnnlab-data")


def open_store(url=None):
    """The store ``CNNLAB_STORE_URL`` (or ``url``) names; SQLite in ``CNNLAB_DATA_DIR`` by default."""
    url = url if url is not None else os.environ.get("CNNLAB_STORE_URL", "")
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisStore(url)
    if url.startswith("sqlite:///"):
        return SQLiteStore(url[len("sqlite:///"):])
    if url:
        raise ValueError("CNNLAB_STORE_URL must start with redis://, rediss:// or sqlite:///")
    return SQLiteStore(data_dir() / "classes.db")


def backend_name(store):
    return "redis" if isinstance(store, RedisStore) else "sqlite"
