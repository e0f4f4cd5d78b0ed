"""Configuration from environment variables (see README, "Configuration")."""
import os
import re
from pathlib import Path

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"
DEFAULT_SECRET_KEY = "dev-only-secret-change-me"
DEMO_APPID = "wx-demo-appid"


class ConfigError(RuntimeError):
    """The service refuses to start with this configuration."""


#: the default abuse limits: a member's own bursts, and a client address's (a store's Wi-Fi
#: puts many members behind one address, and mobile carriers many more, so those are wider)
RATE_LIMITS = {
    "login": {"member": "10/60", "address": "120/60"},
    "phone": {"member": "5/3600", "address": "120/3600"},  # each getPhoneNumber costs a fee
    "checkin": {"member": "5/60", "address": "600/60"},
    "redemption": {"member": "10/60", "address": "600/60"},
}


def _int(name, default):
    return int(os.environ.get(name, default))


def _float(name, default):
    return float(os.environ.get(name, default))


def _bool(name, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in ("1", "true", "yes", "on")


class Config:
    ENV_NAME = "development"
    POS_TIMESTAMP_WINDOW = 300
    POS_NONCE_TTL = 600
    #: transition: also accept POS signatures over the percent-DECODED path (the rule before
    #: the wire form); 0 refuses them once every POS vendor signs the path as sent
    POS_ACCEPT_DECODED_PATH = os.environ.get("POS_ACCEPT_DECODED_PATH", "1") == "1"
    #: login throttling: failures allowed per window, per username and per client address
    LOGIN_FAILS_PER_USER = _int("LOGIN_FAILS_PER_USER", 5)
    LOGIN_FAILS_PER_ADDR = _int("LOGIN_FAILS_PER_ADDR", 30)
    LOGIN_FAIL_WINDOW = _int("LOGIN_FAIL_WINDOW", 900)
    IDEMPOTENCY_LOCK_TTL = 60
    IDEMPOTENCY_KEEP_HOURS = 48
    #: deadlocks / lock-wait timeouts (and, on Galera, certification conflicts: 1213 at
    #: COMMIT) are retried this many times at the request/job boundary
    TX_RETRIES = _int("TX_RETRIES", 3)
    #: a web process adds its points counts to the shared metrics at most this often (0: at
    #: once, after every request)
    METRICS_FLUSH_SECONDS = float(os.environ.get("METRICS_FLUSH_SECONDS", "1"))
    #: argon2 cost; tests lower it
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 65536
    MAX_CONTENT_LENGTH = 1024 * 1024
    #: the staff console's session cookie (the API uses no cookie): sent only over HTTPS
    #: (CONSOLE_COOKIE_SECURE=0 for plain-HTTP development: the embedded default sets it),
    #: never to scripts, never on a request another site starts
    SESSION_COOKIE_NAME = "jifen_console"
    SESSION_COOKIE_PATH = "/console"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Strict"
    #: a console session ends after this many seconds without a click (and with the staff token)
    CONSOLE_IDLE_TIMEOUT = _int("CONSOLE_IDLE_TIMEOUT", 30 * 60)
    #: expiry reminders: members per job, claimed (recorded) per transaction, parallel sends,
    #: retries of a busy WeChat (-1, network) with exponential backoff from this many seconds
    REMINDER_BATCH_SIZE = _int("REMINDER_BATCH_SIZE", 1000)
    REMINDER_CLAIM_SIZE = _int("REMINDER_CLAIM_SIZE", 100)
    REMINDER_SEND_THREADS = _int("REMINDER_SEND_THREADS", 8)
    REMINDER_RETRIES = _int("REMINDER_RETRIES", 3)
    REMINDER_RETRY_BACKOFF = float(os.environ.get("REMINDER_RETRY_BACKOFF", "0.5"))
    #: … and at most this many seconds of waiting per message
    REMINDER_RETRY_MAX_SECONDS = _float("REMINDER_RETRY_MAX_SECONDS", 30)
    #: gifts waiting for pickup and unused coupons are reminded this many days before their
    #: deadline (mall.reminders)
    MALL_REMINDER_DAYS_BEFORE = _int("MALL_REMINDER_DAYS_BEFORE", 3)
    #: any other WeChat call (login, phone, codes): WeChat busy (-1), HTTP 5xx or no answer is
    #: retried with exponential backoff from WECHAT_RETRY_BACKOFF seconds, at most WECHAT_RETRIES
    #: times and WECHAT_RETRY_MAX_SECONDS of waiting in all
    WECHAT_RETRIES = _int("WECHAT_RETRIES", 5)
    WECHAT_RETRY_BACKOFF = _float("WECHAT_RETRY_BACKOFF", 0.2)
    WECHAT_RETRY_MAX_SECONDS = _float("WECHAT_RETRY_MAX_SECONDS", 5)

    API_TITLE = "Jifen API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "/docs"
    #: served by the app (core.api), pinned: the docs page needs no internet
    OPENAPI_SWAGGER_UI_URL = "/api/v1/docs/swagger-ui/"
    #: no badge from the online validator (a request to the internet)
    OPENAPI_SWAGGER_UI_CONFIG = {"validatorUrl": None}
    JSON_AS_ASCII = False

    def __init__(self):
        env = os.environ.get
        self.SECRET_KEY = env("SECRET_KEY", DEFAULT_SECRET_KEY)
        #: several MariaDB Galera nodes, comma-separated: each new connection goes to the next
        #: node that answers (core.engines.make_cluster_engine); DATABASE_URL is then the first
        self.DATABASE_URLS = [u.strip() for u in env("DATABASE_URLS", "").split(",") if u.strip()]
        self.DATABASE_URL = env("DATABASE_URL", self.DATABASE_URLS[0] if self.DATABASE_URLS
                                else f"sqlite:///{INSTANCE_DIR / 'jifen.sqlite3'}")
        #: Galera: reads wait until this node has applied every write the cluster committed
        #: before them (wsrep_sync_wait, 1 = reads); 0 lets a read lag the other nodes
        self.DATABASE_SYNC_WAIT = _int("DATABASE_SYNC_WAIT", 1)
        #: a read replica for reports (core.db.reports_read); unset: the main database
        self.REPORTS_DATABASE_URL = env("REPORTS_DATABASE_URL")
        #: a report read from a replica further behind than this many seconds is marked stale
        self.REPORTS_MAX_LAG_SECONDS = _float("REPORTS_MAX_LAG_SECONDS", 5)
        #: empty (and no REDIS_SENTINELS) → in-process fakeredis (the embedded default)
        self.REDIS_URL = env("REDIS_URL", "")
        #: Redis Sentinel instead of REDIS_URL: "host:port,host:port,…"; the app, RQ and the
        #: worker use the primary they name for REDIS_SENTINEL_MASTER, and follow a failover
        self.REDIS_SENTINELS = env("REDIS_SENTINELS", "")
        self.REDIS_SENTINEL_MASTER = env("REDIS_SENTINEL_MASTER", "jifen")
        self.REDIS_SENTINEL_DB = _int("REDIS_SENTINEL_DB", 0)
        #: the password of the Redis servers behind the Sentinels (REDIS_URL carries its own)
        self.REDIS_PASSWORD = env("REDIS_PASSWORD", "")
        self.REDIS_KEY_PREFIX = env("REDIS_KEY_PREFIX", "jifen:")
        #: seconds to connect and to wait for a reply; Redis away → 503 within ~2 × this
        self.REDIS_TIMEOUT = float(env("REDIS_TIMEOUT", "1"))
        self.WECHAT_APPID = env("WECHAT_APPID", DEMO_APPID)
        self.WECHAT_SECRET = env("WECHAT_SECRET", "")
        self.WECHAT_API_BASE = env("WECHAT_API_BASE", "https://api.weixin.qq.com")
        #: the mini-program version invite codes open: release | trial | develop (before the
        #: first release: trial, with WECHAT_CHECK_PATH false)
        self.WECHAT_ENV_VERSION = env("WECHAT_ENV_VERSION", "release")
        #: whether WeChat checks a code's page is in the released version (false: it may not be)
        self.WECHAT_CHECK_PATH = _bool("WECHAT_CHECK_PATH", True)
        #: seconds to wait for WeChat (each call); slower → 503 unavailable
        self.WECHAT_TIMEOUT = float(env("WECHAT_TIMEOUT", "5"))
        self.BUSINESS_TZ = env("BUSINESS_TZ", "Asia/Shanghai")
        self.SESSION_COOKIE_SECURE = env("CONSOLE_COOKIE_SECURE", "1") == "1"
        self.MEMBER_TOKEN_TTL = _int("MEMBER_TOKEN_TTL", 7 * 24 * 3600)
        #: account cancellation: days between the request and its completion (withdrawable)
        self.MEMBER_DELETION_COOLING_OFF_DAYS = _int("MEMBER_DELETION_COOLING_OFF_DAYS", 7)
        #: a member may download a copy of their data once in this many seconds
        self.MEMBER_EXPORT_EVERY = _int("MEMBER_EXPORT_EVERY", 600)
        #: uploaded images: the storage backend (local | s3), its folder, and the public URL they
        #: are served under (empty: this app's /api/v1/media/ on the request's host)
        self.MEDIA_STORAGE = env("MEDIA_STORAGE", "local")
        self.MEDIA_DIR = env("MEDIA_DIR", str(INSTANCE_DIR / "media"))
        #: MEDIA_STORAGE=s3: an S3-compatible store (media.s3); empty endpoint = AWS S3
        for name in ("ENDPOINT", "BUCKET", "REGION", "ACCESS_KEY", "SECRET_KEY", "PREFIX"):
            setattr(self, f"MEDIA_S3_{name}", env(f"MEDIA_S3_{name}", ""))
        #: auto | path (MinIO, Ceph) | virtual (Aliyun OSS, Tencent COS)
        self.MEDIA_S3_ADDRESSING_STYLE = env("MEDIA_S3_ADDRESSING_STYLE", "auto")
        #: seconds to connect and to wait for each reply of the store; slower → 503
        self.MEDIA_S3_TIMEOUT = float(env("MEDIA_S3_TIMEOUT", "5"))
        self.MEDIA_BASE_URL = env("MEDIA_BASE_URL", "")
        self.STAFF_TOKEN_TTL = _int("STAFF_TOKEN_TTL", 12 * 3600)
        #: how many reverse proxies (nginx) stand in front; 0 = none
        self.TRUSTED_PROXIES = _int("TRUSTED_PROXIES", 0)
        #: member-facing abuse limits (core.limits): "count/seconds" per member and per client
        #: address ("" = none); env RATE_LIMIT_<NAME>_PER_<MEMBER|ADDRESS>, e.g.
        #: RATE_LIMIT_CHECKIN_PER_MEMBER=5/60
        self.RATE_LIMITS = {name: {scope: env(f"RATE_LIMIT_{name.upper()}_PER_{scope.upper()}",
                                              default)
                                   for scope, default in rules.items()}
                            for name, rules in RATE_LIMITS.items()}
        #: json (one object per line) or text
        self.LOG_FORMAT = env("LOG_FORMAT", "json")
        self.LOG_LEVEL = env("LOG_LEVEL", "INFO")

    def check(self):
        """Raise ConfigError when this configuration must not run."""
        self._check_sentinels()
        if self.WECHAT_ENV_VERSION not in ("release", "trial", "develop"):
            raise ConfigError("WECHAT_ENV_VERSION must be release, trial or develop")
        for name, rules in self.RATE_LIMITS.items():
            for scope, rule in rules.items():
                if rule and not re.fullmatch(r"\d+/[1-9]\d*", rule):
                    raise ConfigError(f"RATE_LIMIT_{name.upper()}_PER_{scope.upper()} is "
                                      f"{rule!r}: give count/seconds, e.g. 10/60, or nothing")
        self._check_media()

    def _check_sentinels(self):
        for item in filter(None, (part.strip() for part in self.REDIS_SENTINELS.split(","))):
            if not re.fullmatch(r"[^\s,]+:\d+", item):
                raise ConfigError(f"REDIS_SENTINELS has {item!r}: give host:port,host:port")
        if self.REDIS_SENTINELS and not self.REDIS_SENTINEL_MASTER:
            raise ConfigError("REDIS_SENTINELS needs REDIS_SENTINEL_MASTER (the service name "
                              "the Sentinels monitor)")

    def _check_media(self):
        if self.MEDIA_STORAGE not in ("local", "s3"):
            raise ConfigError(f"MEDIA_STORAGE is {self.MEDIA_STORAGE!r}: give local or s3")
        if self.MEDIA_STORAGE == "s3" and not self.MEDIA_S3_BUCKET:
            raise ConfigError("MEDIA_STORAGE=s3 needs MEDIA_S3_BUCKET (and MEDIA_S3_ENDPOINT "
                              "unless the store is AWS S3)")
        if self.MEDIA_S3_ADDRESSING_STYLE not in ("auto", "path", "virtual"):
            raise ConfigError("MEDIA_S3_ADDRESSING_STYLE must be auto, path or virtual")


class ProductionConfig(Config):
    ENV_NAME = "production"

    def check(self):
        super().check()
        if not self.SECRET_KEY or self.SECRET_KEY == DEFAULT_SECRET_KEY:
            raise ConfigError("SECRET_KEY is the development default: set SECRET_KEY to a long random value")
        if not self.WECHAT_APPID or self.WECHAT_APPID == DEMO_APPID:
            raise ConfigError("WECHAT_APPID is not set: set WECHAT_APPID to the mini-program's AppID")
        if not self.WECHAT_SECRET:
            raise ConfigError("WECHAT_SECRET is not set: set WECHAT_SECRET to the mini-program's AppSecret")
        if self.DATABASE_URL.startswith("sqlite"):
            raise ConfigError("DATABASE_URL points at SQLite: set DATABASE_URL to the MySQL/MariaDB server")
        if not self.REDIS_URL and not self.REDIS_SENTINELS:
            raise ConfigError("REDIS_URL is not set: set REDIS_URL to the Redis server "
                              "(or REDIS_SENTINELS to its Sentinels)")


def load_config(overrides=None):
    """The config for JIFEN_ENV (development | production), with overrides applied."""
    overrides = dict(overrides or {})
    env = overrides.pop("ENV_NAME", None) or os.environ.get("JIFEN_ENV", "development")
    config = ProductionConfig() if env == "production" else Config()
    for key, value in overrides.items():
        setattr(config, key, value)
    config.check()
    return config
