"""Which database and Redis the suite runs on: real MariaDB + Redis when reachable, else
SQLite + fakeredis. CI (CI=true) insists on the real ones. Each run gets its own database and
its own Redis database number, so a run never touches anyone's data."""
import os
import uuid

import pymysql
import redis

MYSQL = os.environ.get("TEST_MYSQL", "root@127.0.0.1:3306")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")
REQUIRED = os.environ.get("CI", "").lower() == "true" or os.environ.get("JIFEN_TEST_REAL") == "1"
FORCE_EMBEDDED = os.environ.get("JIFEN_TEST_EMBEDDED") == "1"


def _mysql_parts():
    user, _, hostport = MYSQL.partition("@")
    host, _, port = hostport.partition(":")
    return user, host, int(port or 3306)


def mysql_admin():
    user, host, port = _mysql_parts()
    return pymysql.connect(host=host, port=port, user=user, password="", connect_timeout=3,
                           autocommit=True)


def mysql_reachable() -> bool:
    try:
        mysql_admin().close()
        return True
    except pymysql.MySQLError:
        return False


def redis_reachable() -> bool:
    try:
        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError:
        return False


class MariaDB:
    name = "mariadb"

    def __init__(self):
        self.database = f"jifen_test_{uuid.uuid4().hex[:10]}"

    def create(self) -> str:
        with mysql_admin() as conn, conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE {self.database} CHARACTER SET utf8mb4")
        user, host, port = _mysql_parts()
        return f"mysql+pymysql://{user}@{host}:{port}/{self.database}?charset=utf8mb4"

    def drop(self) -> None:
        with mysql_admin() as conn, conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {self.database}")


class SQLite:
    name = "sqlite"

    def __init__(self, directory):
        self.path = os.path.join(directory, "jifen-test.sqlite3")

    def create(self) -> str:
        return f"sqlite:///{self.path}"

    def drop(self) -> None:
        pass


class RealRedis:
    """Claims a free Redis database number (1-15) for this run with a lock in database 0."""

    name = "redis"

    def __init__(self):
        self.lock_client = redis.Redis.from_url(REDIS_URL)
        self.number = None

    def create(self) -> str:
        for number in range(1, 16):
            if self.lock_client.set(f"jifen-test-lock:{number}", os.getpid(), nx=True, ex=7200):
                self.number = number
                url = f"{REDIS_URL}/{number}"
                redis.Redis.from_url(url).flushdb()
                return url
        raise RuntimeError("no free Redis database number for the test run (1-15 all taken)")

    def drop(self) -> None:
        if self.number is not None:
            redis.Redis.from_url(f"{REDIS_URL}/{self.number}").flushdb()
            self.lock_client.delete(f"jifen-test-lock:{self.number}")


def choose(tmpdir):
    """(database backend, redis backend or None for fakeredis), failing loudly when CI needs real ones."""
    if FORCE_EMBEDDED:
        return SQLite(tmpdir), None
    have_mysql, have_redis = mysql_reachable(), redis_reachable()
    if REQUIRED and not (have_mysql and have_redis):
        raise RuntimeError(f"CI needs MariaDB ({MYSQL}: {'up' if have_mysql else 'DOWN'}) and "
                           f"Redis ({REDIS_URL}: {'up' if have_redis else 'DOWN'})")
    return (MariaDB() if have_mysql else SQLite(tmpdir)), (RealRedis() if have_redis else None)
