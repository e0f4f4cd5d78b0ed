import redis as redis_lib

from core.redis import get_store


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"


def test_healthz_503_when_redis_is_down(client, monkeypatch):
    store = get_store()
    monkeypatch.setattr(store, "client", redis_lib.Redis(host="127.0.0.1", port=1,
                                                         socket_connect_timeout=0.2))
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["checks"]["redis"].startswith("down")
    assert body["checks"]["database"] == "ok"


def test_openapi_documents_every_route_with_the_error_shape(app, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    documented = {path for path in spec["paths"]}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and rule.endpoint.startswith("api-docs") is False \
                and "openapi" not in rule.rule and "/docs" not in rule.rule:
            openapi_path = rule.rule.replace("<int:", "{").replace("<", "{").replace(">", "}")
            assert openapi_path in documented, f"{rule.rule} is not in the OpenAPI document"
    error = spec["components"]["schemas"]["Error"]
    assert "error" in error["properties"]
    assert "member" in spec["components"]["securitySchemes"]


def test_swagger_ui_is_served(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert b"swagger" in response.data.lower()
