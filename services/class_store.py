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
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"   # 32 symbols, no 0/O, 1/I
CODE_LENGTH = 6
CLASS_TTL = 4 * 3600          # seconds a class lives after it starts
NAME_MAX = 24                 # characters of a display name
MAX_MEMBERS = 500
JOIN_LIMIT = (10, 60)         # at most 10 join attempts per browser session per 60 s
IP_JOIN_LIMIT = (150, 60)     # and 150 per address (a whole class may sit behind one school NAT)
ANSWER_LIMIT = (30, 60)       # at most 30 answers per member per 60 s
QUESTION_MAX = 8000           # bytes of a question's JSON
VIEW_MAX = 4000               # bytes of a view's JSON


class StoreError(Exception):
    """A request the store refuses; ``code`` is the catalog suffix ``class.err_<code>``."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


class Forbidden(StoreError):
    def __init__(self):
        super().__init__("forbidden", "only the teacher's link can do this")


class NotFound(StoreError):
    def __init__(self):
        super().__init__("not_found", "no open class with this code")


class RateLimited(StoreError):
    def __init__(self):
        super().__init__("rate_limited", "too many attempts; wait a minute")


@dataclass(frozen=True)
class ClassInfo:
    """What anyone in the class may know about it (no secret, no names)."""

    code: str
    created: float
    expires: float
    closed: bool
    view: dict | None          # {"page": url_path, "params": {...}} or None
    view_version: int
    qnum: int                  # 0: no question asked yet
    question: dict | None      # Question.to_dict() of question ``qnum``
    revealed: bool
    members: int

    @property
    def open(self):
        return not self.closed and self.expires > time.time()


def new_code():
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(text):
    """What a student typed -> a code to look up (upper case, no spaces or dashes), or ''."""
    text = "".join(str(text or "").split()).replace("-", "").upper()[:CODE_LENGTH + 2]
    return text if len(text) == CODE_LENGTH and all(c in ALPHABET for c in text) else ""


def clean_name(text):
    """A display name: printable characters only, trimmed, at most ``NAME_MAX`` characters."""
    text = "".join(c for c in str(text or "") if unicodedata.category(c)[0] not in "CZ" or c == " ")
    return " ".join(text.split())[:NAME_MAX]


def hash_secret(secret):
    return hashlib.sha256(str(secret).encode()).hexdigest()


def _same(stored_hash, secret):
    return bool(stored_hash) and secret is not None and hmac.compare_digest(stored_hash, hash_secret(secret))


def _dumps(obj, limit):
    raw = json.dumps(obj, separators=(",", ":"), sort_keys=True)
    if len(raw.encode()) > limit:
        raise StoreError("too_large", "too much data")
    return raw


class ClassStore:
    """The interface both backends implement (see the module docstring)."""

    def create_class(self):
        """Start a class: returns ``(code, secret)``; the secret goes only into the teacher's link."""
        raise NotImplementedError

    def info(self, code) -> ClassInfo | None:
        """The class ``code`` (None when unknown or expired; a closed class is returned closed)."""
        raise NotImplementedError

    def is_teacher(self, code, secret) -> bool:
        raise NotImplementedError

    def join(self, code, member, name="", client="", ip="") -> ClassInfo:
        """Add ``member`` (an opaque id) to an open class; rate-limited per ``client`` and per ``ip``.

        Every attempt counts, right code or wrong: guessing codes is limited to
        ``JOIN_LIMIT`` per session and ``IP_JOIN_LIMIT`` per address.
        """
        raise NotImplementedError

    def is_member(self, code, member) -> bool:
        """Whether ``member`` joined the open class ``code`` (a reconnecting student keeps their place)."""
        raise NotImplementedError

    def set_view(self, code, secret, view) -> int:
        """The teacher shows ``view`` to everyone; returns the new view version."""
        raise NotImplementedError

    def ask(self, code, secret, question) -> int:
        """Open ``question`` (a dict) as the class's current question; returns its number."""
        raise NotImplementedError

    def answer(self, code, member, qnum, response) -> bool:
        """Record (or change) ``member``'s answer to question ``qnum``; False once revealed/closed."""
        raise NotImplementedError

    def my_answer(self, code, member, qnum):
        raise NotImplementedError

    def answer_count(self, code, qnum) -> int:
        raise NotImplementedError

    def responses(self, code, secret, qnum) -> list:
        """Every answer to ``qnum`` (anonymous, in no particular order); teacher only."""
        raise NotImplementedError

    def names(self, code, secret) -> list:
        """The members' display names (sorted); teacher only."""
        raise NotImplementedError

    def reveal(self, code, secret, qnum) -> None:
        raise NotImplementedError

    def close(self, code, secret) -> None:
        raise NotImplementedError

    def purge(self, now=None) -> int:
        """Delete expired classes; returns how many went."""
        raise NotImplementedError

    # helpers shared by both backends ------------------------------------
    def _check_join(self, info, member, name):
        if info is None or not info.open:
            raise NotFound()
        if not member or len(str(member)) > 64:
            raise StoreError("bad_member", "bad member id")
        return clean_name(name)


# ---------------------------------------------------------------------------
# SQLite
# ---------------------------------------------------------------------------
_SCHEMA = """
CREATE TABLE IF NOT EXISTS classes (
  code TEXT PRIMARY KEY, secret_hash TEXT NOT NULL, created REAL NOT NULL, expires REAL NOT NULL,
  closed INTEGER NOT NULL DEFAULT 0, view TEXT, view_version INTEGER NOT NULL DEFAULT 0,
  qnum INTEGER NOT NULL DEFAULT 0, question TEXT, revealed INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS members (
  code TEXT NOT NULL, member TEXT NOT NULL, name TEXT NOT NULL DEFAULT '', joined REAL NOT NULL,
  PRIMARY KEY (code, member));
CREATE TABLE IF NOT EXISTS answers (
  code TEXT NOT NULL, qnum INTEGER NOT NULL, member TEXT NOT NULL, response REAL NOT NULL, at REAL NOT NULL,
  PRIMARY KEY (code, qnum, member));
CREATE TABLE IF NOT EXISTS hits (bucket TEXT PRIMARY KEY, start REAL NOT NULL, n INTEGER NOT NULL);
"""


class SQLiteStore(ClassStore):
    def __init__(self, path, clock=time.time):
        import sqlite3

        self._sqlite3 = sqlite3
        self.path = str(path)
        self.clock = clock
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)

    def _db(self):
        # one short-lived connection per call: safe across Streamlit's threads and processes
        db = self._sqlite3.connect(self.path, timeout=10, isolation_level=None)
        db.execute("PRAGMA busy_timeout=10000")
        db.execute("PRAGMA synchronous=NORMAL")
        return _Conn(db)

    def _hit(self, db, bucket, limit):
        n, window = limit
        now = self.clock()
        row = db.execute("SELECT start, n FROM hits WHERE bucket=?", (bucket,)).fetchone()
        if row is None or now - row[0] >= window:
            db.execute("INSERT OR REPLACE INTO hits VALUES (?, ?, 1)", (bucket, now))
            return
        if row[1] >= n:
            raise RateLimited()
        db.execute("UPDATE hits SET n = n + 1 WHERE bucket=?", (bucket,))

    def create_class(self):
        secret = secrets.token_urlsafe(24)
        now = self.clock()
        with self._db() as db:
            self._purge(db, now)
            for _ in range(10):
                code = new_code()
                try:
                    db.execute("INSERT INTO classes (code, secret_hash, created, expires) VALUES (?, ?, ?, ?)",
                               (code, hash_secret(secret), now, now + CLASS_TTL))
                    break
                except self._sqlite3.IntegrityError:
                    continue
            else:
                raise StoreError("busy", "could not find a free code")
        logger.info("class started (sqlite), expires in %d s", CLASS_TTL)
        return code, secret

    def _row(self, db, code):
        return db.execute("SELECT code, created, expires, closed, view, view_version, qnum, question, revealed, "
                          "secret_hash FROM classes WHERE code=? AND expires>?", (code, self.clock())).fetchone()

    def _info(self, db, row):
        members = db.execute("SELECT COUNT(*) FROM members WHERE code=?", (row[0],)).fetchone()[0]
        return ClassInfo(row[0], row[1], row[2], bool(row[3]), json.loads(row[4]) if row[4] else None, row[5],
                         row[6], json.loads(row[7]) if row[7] else None, bool(row[8]), members)

    def info(self, code):
        with self._db() as db:
            row = self._row(db, code)
            return None if row is None else self._info(db, row)

    def _teacher(self, db, code, secret, must_be_open=True):
        row = self._row(db, code)
        if row is None or not _same(row[9], secret):
            raise Forbidden()
        if must_be_open and row[3]:
            raise NotFound()
        return row

    def is_teacher(self, code, secret):
        with self._db() as db:
            row = self._row(db, code)
            return row is not None and _same(row[9], secret)

    def join(self, code, member, name="", client="", ip=""):
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            self._hit(db, f"join:{client}", JOIN_LIMIT)
            if ip:
                self._hit(db, f"joinip:{ip}", IP_JOIN_LIMIT)
            db.execute("COMMIT")  # the attempt counts even when the code is wrong
            row = self._row(db, code)
            info = None if row is None else self._info(db, row)
            name = self._check_join(info, member, name)
            if info.members >= MAX_MEMBERS:
                raise StoreError("full", "the class is full")
            db.execute("INSERT INTO members VALUES (?, ?, ?, ?) ON CONFLICT (code, member) DO UPDATE SET "
                       "name=excluded.name", (code, member, name, self.clock()))
            return self._info(db, self._row(db, code))

    def is_member(self, code, member):
        with self._db() as db:
            row = self._row(db, code)
            return row is not None and not row[3] and db.execute(
                "SELECT 1 FROM members WHERE code=? AND member=?", (code, member)).fetchone() is not None

    def _teacher_update(self, code, secret, assignments, value, counter):
        """As the teacher, in one transaction: ``UPDATE classes SET <assignments>`` with ``value``, then
        read back ``counter`` (the column the update incremented)."""
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            self._teacher(db, code, secret)
            db.execute(f"UPDATE classes SET {assignments} WHERE code=?", (value, code))
            number = db.execute(f"SELECT {counter} FROM classes WHERE code=?", (code,)).fetchone()[0]
            db.execute("COMMIT")
            return number

    def set_view(self, code, secret, view):
        return self._teacher_update(code, secret, "view=?, view_version=view_version+1", _dumps(view, VIEW_MAX),
                                    "view_version")

    def ask(self, code, secret, question):
        qnum = self._teacher_update(code, secret, "question=?, qnum=qnum+1, revealed=0",
                                    _dumps(question, QUESTION_MAX), "qnum")
        logger.info("class question %d opened", qnum)
        return qnum

    def answer(self, code, member, qnum, response):
        response = float(response)
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            self._hit(db, f"answer:{code}:{member}", ANSWER_LIMIT)
            cur = db.execute(
                "INSERT INTO answers (code, qnum, member, response, at) "
                "SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM classes WHERE code=? AND qnum=? AND revealed=0 "
                "AND closed=0 AND expires>?) AND EXISTS (SELECT 1 FROM members WHERE code=? AND member=?) "
                "ON CONFLICT (code, qnum, member) DO UPDATE SET response=excluded.response, at=excluded.at",
                (code, qnum, member, response, self.clock(), code, qnum, self.clock(), code, member))
            db.execute("COMMIT")
            return cur.rowcount == 1

    def my_answer(self, code, member, qnum):
        with self._db() as db:
            row = db.execute("SELECT response FROM answers WHERE code=? AND qnum=? AND member=?",
                             (code, qnum, member)).fetchone()
            return None if row is None else row[0]

    def answer_count(self, code, qnum):
        with self._db() as db:
            return db.execute("SELECT COUNT(*) FROM answers WHERE code=? AND qnum=?", (code, qnum)).fetchone()[0]

    def responses(self, code, secret, qnum):
        with self._db() as db:
            self._teacher(db, code, secret, must_be_open=False)
            return [r[0] for r in db.execute("SELECT response FROM answers WHERE code=? AND qnum=?", (code, qnum))]

    def names(self, code, secret):
        with self._db() as db:
            self._teacher(db, code, secret, must_be_open=False)
            return sorted(r[0] for r in db.execute("SELECT name FROM members WHERE code=? AND name<>''", (code,)))

    def reveal(self, code, secret, qnum):
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            self._teacher(db, code, secret)
            db.execute("UPDATE classes SET revealed=1 WHERE code=? AND qnum=?", (code, qnum))
            db.execute("COMMIT")
        logger.info("class question %d revealed", qnum)

    def close(self, code, secret):
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            self._teacher(db, code, secret, must_be_open=False)
            db.execute("UPDATE classes SET closed=1 WHERE code=?", (code,))
            db.execute("COMMIT")
        logger.info("class closed")

    def _purge(self, db, now):
        gone = [r[0] for r in db.execute("SELECT code FROM classes WHERE expires<=?", (now,))]
        for code in gone:
            for table in ("answers", "members", "classes"):
                db.execute(f"DELETE FROM {table} WHERE code=?", (code,))  # noqa: S608 (fixed table names)
        db.execute("DELETE FROM hits WHERE start<?", (now - 3600,))
        if gone:
            logger.info("deleted %d expired classes", len(gone))
        return len(gone)

    def purge(self, now=None):
        with self._db() as db:
            return self._purge(db, self.clock() if now is None else now)


class _Conn:
    """``with``: the connection, closed afterwards (rolled back if a transaction was left open)."""

    def __init__(self, db):
        self.db = db

    def __enter__(self):
        return self.db

    def __exit__(self, *exc):
        if self.db.in_transaction:
            self.db.rollback()
        self.db.close()


# ---------------------------------------------------------------------------
# Redis
# ---------------------------------------------------------------------------
# The answer is recorded only while question ``qnum`` is the open, unrevealed one and the member is in the class:
# check and write in one atomic script (a reveal in between cannot slip past the check).
_ANSWER_LUA = """
local c = redis.call('HMGET', KEYS[1], 'qnum', 'revealed', 'closed')
if not c[1] or c[1] ~= ARGV[1] or c[2] ~= '0' or c[3] ~= '0' then return 0 end
if redis.call('HEXISTS', KEYS[2], ARGV[2]) == 0 then return 0 end
redis.call('HSET', KEYS[3], ARGV[2], ARGV[3])
redis.call('EXPIREAT', KEYS[3], ARGV[4])
return 1
"""
_HIT_LUA = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n
"""


class RedisStore(ClassStore):
    def __init__(self, url, clock=time.time, prefix="cnnlab:"):
        import redis

        self.r = redis.Redis.from_url(url, decode_responses=True, socket_timeout=5, socket_connect_timeout=3,
                                      health_check_interval=30, retry_on_timeout=True)
        self.clock = clock
        self.p = prefix
        self._answer = self.r.register_script(_ANSWER_LUA)
        self._hit_script = self.r.register_script(_HIT_LUA)

    def _k(self, code, *parts):
        return ":".join([f"{self.p}class", code, *map(str, parts)])

    def _hit(self, bucket, limit):
        n, window = limit
        if int(self._hit_script(keys=[f"{self.p}hits:{bucket}"], args=[window])) > n:
            raise RateLimited()

    def create_class(self):
        secret = secrets.token_urlsafe(24)
        now = self.clock()
        for _ in range(10):
            code = new_code()
            fields = {"created": now, "expires": now + CLASS_TTL, "secret_hash": hash_secret(secret), "closed": 0,
                      "view": "", "view_version": 0, "qnum": 0, "question": "", "revealed": 0}
            key = self._k(code)
            if self.r.hsetnx(key, "created", now):
                pipe = self.r.pipeline()
                pipe.hset(key, mapping=fields)
                pipe.expireat(key, int(now + CLASS_TTL) + 1)
                pipe.execute()
                logger.info("class started (redis), expires in %d s", CLASS_TTL)
                return code, secret
        raise StoreError("busy", "could not find a free code")

    def _hash(self, code):
        h = self.r.hgetall(self._k(code)) if code else {}
        if not h or float(h.get("expires", 0)) <= self.clock():
            return None
        return h

    def _info(self, code, h):
        return ClassInfo(code, float(h["created"]), float(h["expires"]), h["closed"] == "1",
                         json.loads(h["view"]) if h.get("view") else None, int(h["view_version"]), int(h["qnum"]),
                         json.loads(h["question"]) if h.get("question") else None, h["revealed"] == "1",
                         int(self.r.hlen(self._k(code, "members"))))

    def info(self, code):
        h = self._hash(code)
        return None if h is None else self._info(code, h)

    def is_teacher(self, code, secret):
        h = self._hash(code)
        return h is not None and _same(h.get("secret_hash"), secret)

    def _teacher(self, code, secret, must_be_open=True):
        h = self._hash(code)
        if h is None or not _same(h.get("secret_hash"), secret):
            raise Forbidden()
        if must_be_open and h["closed"] == "1":
            raise NotFound()
        return h

    def _expire_with_class(self, pipe, code, key, h):
        pipe.expireat(key, int(float(h["expires"])) + 1)

    def join(self, code, member, name="", client="", ip=""):
        self._hit(f"join:{client}", JOIN_LIMIT)
        if ip:
            self._hit(f"joinip:{ip}", IP_JOIN_LIMIT)
        h = self._hash(code)
        info = None if h is None else self._info(code, h)
        name = self._check_join(info, member, name)
        if info.members >= MAX_MEMBERS:
            raise StoreError("full", "the class is full")
        key = self._k(code, "members")
        pipe = self.r.pipeline()
        pipe.hset(key, member, name)
        self._expire_with_class(pipe, code, key, h)
        pipe.execute()
        return self._info(code, self._hash(code))

    def is_member(self, code, member):
        h = self._hash(code)
        return h is not None and h["closed"] != "1" and bool(self.r.hexists(self._k(code, "members"), member))

    def set_view(self, code, secret, view):
        raw = _dumps(view, VIEW_MAX)
        self._teacher(code, secret)
        pipe = self.r.pipeline()
        pipe.hset(self._k(code), "view", raw)
        pipe.hincrby(self._k(code), "view_version", 1)
        return int(pipe.execute()[1])

    def ask(self, code, secret, question):
        raw = _dumps(question, QUESTION_MAX)
        self._teacher(code, secret)
        key = self._k(code)
        with self.r.pipeline() as pipe:      # qnum+1, question and revealed=0 together
            pipe.hset(key, mapping={"question": raw, "revealed": 0})
            pipe.hincrby(key, "qnum", 1)
            qnum = int(pipe.execute()[1])
        logger.info("class question %d opened", qnum)
        return qnum

    def answer(self, code, member, qnum, response):
        response = float(response)
        h = self._hash(code)
        if h is None:
            return False
        self._hit(f"answer:{code}:{member}", ANSWER_LIMIT)
        ok = self._answer(keys=[self._k(code), self._k(code, "members"), self._k(code, "ans", qnum)],
                          args=[str(int(qnum)), member, repr(response), int(float(h["expires"])) + 1])
        return bool(ok)

    def my_answer(self, code, member, qnum):
        v = self.r.hget(self._k(code, "ans", qnum), member)
        return None if v is None else float(v)

    def answer_count(self, code, qnum):
        return int(self.r.hlen(self._k(code, "ans", qnum)))

    def responses(self, code, secret, qnum):
        self._teacher(code, secret, must_be_open=False)
        return [float(v) for v in self.r.hvals(self._k(code, "ans", qnum))]

    def names(self, code, secret):
        self._teacher(code, secret, must_be_open=False)
        return sorted(v for v in self.r.hvals(self._k(code, "members")) if v)

    def reveal(self, code, secret, qnum):
        self._teacher(code, secret)
        # revealed only if qnum is still the current question (WATCH: no question opened in between)
        key = self._k(code)
        with self.r.pipeline() as pipe:
            pipe.watch(key)
            if pipe.hget(key, "qnum") == str(int(qnum)):
                pipe.multi()
                pipe.hset(key, "revealed", 1)
                pipe.execute()
        logger.info("class question %d revealed", qnum)

    def close(self, code, secret):
        self._teacher(code, secret, must_be_open=False)
        self.r.hset(self._k(code), "closed", 1)
        logger.info("class closed")

    def purge(self, now=None):
        """Redis deletes expired classes by itself (every key carries the class's expiry)."""
        return 0


# ---------------------------------------------------------------------------
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
