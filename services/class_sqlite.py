"""The class store in SQLite (standard library, WAL mode): one file, enough for one process or several on
one machine. The interface and its rules are ``services/class_base.py``.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from pathlib import Path

from services.class_base import (
    ANSWER_LIMIT,
    CLASS_TTL,
    IP_JOIN_LIMIT,
    JOIN_LIMIT,
    MAX_MEMBERS,
    QUESTION_MAX,
    VIEW_MAX,
    ClassInfo,
    ClassStore,
    Forbidden,
    NotFound,
    RateLimited,
    StoreError,
    _dumps,
    _same,
    hash_secret,
    new_code,
)

#: The store's log name stays that of services/class_store.py, where operators know it.
logger = logging.getLogger("services.class_store")

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
