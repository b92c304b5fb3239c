"""The class store in Redis, shared by every replica (``docs/deployment.md`` says why Redis rather than
PostgreSQL). Every key carries its class's expiry. The interface and its rules are ``services/class_base.py``.
"""

from __future__ import annotations

import json
import logging
import secrets
import time

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
