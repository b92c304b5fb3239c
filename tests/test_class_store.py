"""The class store: the same behaviour from SQLite and from Redis (skipped, with the reason, without a server).

.ci/run starts ``redis-server --port 6390``; locally start one the same way or set CNNLAB_TEST_REDIS_URL.
"""

import os
import secrets
import threading

import pytest

from cnnlab import quiz
from services import class_store as cs

REDIS_URL = os.environ.get("CNNLAB_TEST_REDIS_URL", "redis://127.0.0.1:6390/15")


def _redis_reason():
    try:
        import redis
    except ImportError:
        return "the redis client is not installed (pip install -r requirements.txt)"
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except Exception as exc:  # noqa: BLE001 (any connection failure means: skip, saying why)
        return f"no Redis server at {REDIS_URL} ({type(exc).__name__}); .ci/run starts one"
    return None


class Clock:
    def __init__(self):
        import time
        self.now = time.time()

    def __call__(self):
        return self.now


@pytest.fixture(params=["sqlite", "redis"])
def make_store(request, tmp_path):
    """A factory: every store it returns shares one database (like two replicas), with a settable clock."""
    clock = Clock()
    if request.param == "redis":
        reason = _redis_reason()
        if reason:
            pytest.skip(reason)
        prefix = f"test-{secrets.token_hex(4)}:"
        stores = []

        def make():
            stores.append(cs.RedisStore(REDIS_URL, clock=clock, prefix=prefix))
            return stores[-1]
        yield make, clock
        keys = list(stores[0].r.scan_iter(f"{prefix}*"))
        if keys:
            stores[0].r.delete(*keys)
    else:
        path = tmp_path / "data" / "classes.db"
        yield (lambda: cs.SQLiteStore(path, clock=clock)), clock


def started(make):
    store = make()
    code, secret = store.create_class()
    return store, code, secret


QUESTION = quiz.numeric("t.q", "quiz.none", 4, "quiz.none").to_dict()
CHOICE = quiz.choice("t.c", "quiz.none", ["a", "b", "c"], 2, "quiz.none").to_dict()


def test_code_and_secret_shape(make_store):
    make, _ = make_store
    store, code, secret = started(make)
    assert len(code) == cs.CODE_LENGTH and set(code) <= set(cs.ALPHABET)
    assert len(secret) >= 32
    assert cs.normalize_code(f" {code[:3].lower()}-{code[3:]} ") == code
    wrong = secret[:-1] + ("y" if secret.endswith("x") else "x")   # one character off (a secret may end in x)
    assert store.is_teacher(code, secret) and not store.is_teacher(code, wrong)
    info = store.info(code)
    assert info.open and info.qnum == 0 and info.view is None and info.members == 0


def test_codes_are_random():
    codes = {cs.new_code() for _ in range(2000)}
    assert len(codes) > 1990          # 2000 draws from 32^6 ~ 1e9 codes: a clash is rare
    assert len(cs.ALPHABET) == 32 == len(set(cs.ALPHABET))


def test_secret_never_stored(make_store, tmp_path):
    make, _ = make_store
    store, code, secret = started(make)
    if isinstance(store, cs.SQLiteStore):
        raw = (tmp_path / "data" / "classes.db").read_bytes()
        wal = tmp_path / "data" / "classes.db-wal"
        raw += wal.read_bytes() if wal.exists() else b""
    else:
        raw = repr(store.r.hgetall(store._k(code))).encode()
    assert secret.encode() not in raw and cs.hash_secret(secret).encode() in raw


def test_one_answer_per_student_changeable_until_reveal(make_store):
    make, _ = make_store
    teacher, code, secret = started(make)
    student = make()                       # another replica, same database
    for m in ("a", "b", "c"):
        student.join(code, m, name=f"Student {m}", client=m)
    q = teacher.ask(code, secret, QUESTION)
    assert student.answer(code, "a", q, 3) and student.answer(code, "a", q, 4)   # changed: still one
    assert student.answer(code, "b", q, 4)
    assert student.answer_count(code, q) == 2
    assert student.my_answer(code, "a", q) == 4
    assert sorted(teacher.responses(code, secret, q)) == [4, 4]
    teacher.reveal(code, secret, q)
    assert not student.answer(code, "c", q, 1) and not student.answer(code, "a", q, 1)
    assert sorted(teacher.responses(code, secret, q)) == [4, 4]
    assert student.info(code).revealed
    q2 = teacher.ask(code, secret, CHOICE)
    assert q2 == q + 1 and not student.info(code).revealed
    assert not student.answer(code, "a", q, 2)       # an old question stays closed
    assert student.answer(code, "a", q2, 1) and student.answer_count(code, q2) == 1


def test_only_members_answer(make_store):
    make, _ = make_store
    store, code, secret = started(make)
    q = store.ask(code, secret, QUESTION)
    assert not store.answer(code, "stranger", q, 4)
    assert store.answer_count(code, q) == 0


def test_only_the_secret_opens_reveals_closes_and_reads(make_store):
    make, _ = make_store
    store, code, secret = started(make)
    other_code, other_secret = store.create_class()
    store.join(code, "a", client="a")
    for bad in (None, "", "guess", other_secret, secret + "x"):
        with pytest.raises(cs.Forbidden):
            store.ask(code, bad, QUESTION)
        with pytest.raises(cs.Forbidden):
            store.set_view(code, bad, {"page": "pooling", "params": {}})
        with pytest.raises(cs.Forbidden):
            store.reveal(code, bad, 1)
        with pytest.raises(cs.Forbidden):
            store.close(code, bad)
        with pytest.raises(cs.Forbidden):
            store.responses(code, bad, 1)
        with pytest.raises(cs.Forbidden):
            store.names(code, bad)
    assert store.info(code).open and store.info(code).qnum == 0


def test_view_versions_and_names(make_store):
    make, _ = make_store
    store, code, secret = started(make)
    v1 = store.set_view(code, secret, {"page": "pooling", "params": {"k": "3"}})
    v2 = store.set_view(code, secret, {"page": "convolution", "params": {"stride": "2"}})
    assert v2 == v1 + 1
    assert make().info(code).view == {"page": "convolution", "params": {"stride": "2"}}
    store.join(code, "m1", name="  <b>Ann</b>\u200b\n " + "x" * 100, client="c1")
    store.join(code, "m2", name="", client="c2")
    store.join(code, "m1", name="Ann", client="c1")     # joining again renames, never duplicates
    assert store.info(code).members == 2
    assert store.names(code, secret) == ["Ann"]
    with pytest.raises(cs.StoreError):
        store.set_view(code, secret, {"page": "x", "params": {"p": "y" * 5000}})


def test_clean_name():
    assert cs.clean_name("  <b>Ann</b>\u200b\n\t Lee ") == "<b>Ann</b> Lee"     # shown as plain text later
    assert len(cs.clean_name("名" * 100)) == cs.NAME_MAX
    assert cs.clean_name("\x00\x1b[31m") == "[31m"


def test_join_rate_limited_and_wrong_codes(make_store):
    make, _ = make_store
    store, code, _ = started(make)
    with pytest.raises(cs.NotFound):
        store.join("ZZZZZZ" if code != "ZZZZZZ" else "YYYYYY", "m", client="guesser")
    n, _ = cs.JOIN_LIMIT
    for _ in range(n - 1):
        with pytest.raises(cs.NotFound):
            store.join("ABCDEF" if code != "ABCDEF" else "ABCDEG", "m", client="guesser")
    with pytest.raises(cs.RateLimited):
        store.join(code, "m", client="guesser")           # even the right code, once over the limit
    assert store.join(code, "m", client="someone-else").members == 1


def test_close_and_expiry_delete(make_store):
    make, clock = make_store
    store, code, secret = started(make)
    store.join(code, "a", client="a")
    q = store.ask(code, secret, QUESTION)
    store.close(code, secret)
    assert not store.info(code).open
    assert not store.answer(code, "a", q, 4)
    with pytest.raises(cs.NotFound):
        store.join(code, "b", client="b")
    code2, secret2 = store.create_class()
    store.join(code2, "a", client="a2")
    q2 = store.ask(code2, secret2, QUESTION)
    assert store.answer(code2, "a", q2, 4)
    clock.now += cs.CLASS_TTL + 1
    assert store.info(code2) is None and not store.is_teacher(code2, secret2)
    assert not store.answer(code2, "a", q2, 4)
    store.purge()
    if isinstance(store, cs.SQLiteStore):
        with store._db() as db:
            for table in ("classes", "members", "answers"):
                assert db.execute(f"SELECT COUNT(*) FROM {table} WHERE code=?", (code2,)).fetchone()[0] == 0
    else:
        # every key of the class carries the class's expiry, so the server deletes them itself
        for key in (store._k(code2), store._k(code2, "members"), store._k(code2, "ans", q2)):
            assert 0 < store.r.ttl(key) <= cs.CLASS_TTL + 2


def test_concurrent_answers_counted_once(make_store):
    """40 students on 4 'replicas' answer (some twice) at the same time: 40 answers, no more, no fewer."""
    make, _ = make_store
    teacher, code, secret = started(make)
    for i in range(40):
        teacher.join(code, f"s{i}", client=f"c{i}")
    q = teacher.ask(code, secret, CHOICE)
    replicas = [make() for _ in range(4)]
    errors = []

    def work(k):
        try:
            for i in range(k, 40, 4):
                replicas[k].answer(code, f"s{i}", q, i % 3)
                if i % 5 == 0:
                    replicas[k].answer(code, f"s{i}", q, 2)
        except Exception as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    got = teacher.responses(code, secret, q)
    expected = [2 if i % 5 == 0 else i % 3 for i in range(40)]
    assert sorted(got) == sorted(expected)
    d = quiz.distribution(quiz.Question.from_dict(CHOICE), [int(r) for r in got])
    assert d.total == 40 and [n for _, n, _ in d.bars] == [expected.count(i) for i in range(3)]


def test_open_store_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNLAB_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.delenv("CNNLAB_STORE_URL", raising=False)
    store = cs.open_store()
    assert isinstance(store, cs.SQLiteStore) and store.path == str(tmp_path / "d" / "classes.db")
    with store._db() as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert isinstance(cs.open_store("redis://127.0.0.1:1/0"), cs.RedisStore)   # lazy: no connection yet
    with pytest.raises(ValueError):
        cs.open_store("postgres://x")
