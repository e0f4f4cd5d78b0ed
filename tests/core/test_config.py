import pytest

from app import create_app
from core.config import ConfigError, load_config

PROD_OK = {"ENV_NAME": "production", "SECRET_KEY": "s3cret-" * 6, "WECHAT_APPID": "wx123",
           "WECHAT_SECRET": "abc", "DATABASE_URL": "mysql+pymysql://u@db/jifen",
           "REDIS_URL": "redis://cache:6379/0"}


@pytest.mark.parametrize("missing, variable", [
    ({"SECRET_KEY": "dev-only-secret-change-me"}, "SECRET_KEY"),
    ({"WECHAT_SECRET": ""}, "WECHAT_SECRET"),
    ({"WECHAT_APPID": ""}, "WECHAT_APPID"),
    ({"DATABASE_URL": "sqlite:///x.db"}, "DATABASE_URL"),
    ({"REDIS_URL": ""}, "REDIS_URL"),
])
def test_production_refuses_to_start_and_names_the_variable(missing, variable):
    with pytest.raises(ConfigError, match=variable):
        load_config({**PROD_OK, **missing})


def test_production_starts_with_everything_set():
    assert load_config(PROD_OK).ENV_NAME == "production"


def test_environment_variables_are_read_at_load_time(monkeypatch):
    monkeypatch.setenv("BUSINESS_TZ", "Asia/Tokyo")
    assert load_config().BUSINESS_TZ == "Asia/Tokyo"


def test_create_app_refuses_production_defaults(monkeypatch):
    monkeypatch.setenv("JIFEN_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app()


def test_a_fresh_clone_without_a_database_folder_gets_one(tmp_path):
    """`make run` on a new machine: the SQLite file's folder (instance/) is not in git."""
    from core.db import make_engine

    database = tmp_path / "instance" / "jifen.sqlite3"
    engine = make_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    finally:
        engine.dispose()
    assert database.exists()


def test_production_runs_on_redis_sentinels_without_a_redis_url():
    config = load_config({**PROD_OK, "REDIS_URL": "",
                          "REDIS_SENTINELS": "10.0.0.1:26379, 10.0.0.2:26379"})
    assert config.REDIS_SENTINEL_MASTER == "jifen"


def test_a_malformed_sentinel_list_is_refused_and_named():
    with pytest.raises(ConfigError, match="REDIS_SENTINELS"):
        load_config({**PROD_OK, "REDIS_SENTINELS": "10.0.0.1"})
