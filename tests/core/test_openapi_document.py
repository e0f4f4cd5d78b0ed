"""The served OpenAPI document is valid OpenAPI, so generated clients and validators accept it."""
from openapi_spec_validator import OpenAPIV30SpecValidator


def test_served_openapi_document_is_valid(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
              for e in OpenAPIV30SpecValidator(spec).iter_errors()]
    assert not errors, "\n".join(errors)


def test_multiplier_bounds_and_default_are_numbers(client):
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    for name in ("TierIn", "TierPatch", "EarnRuleIn", "EarnRulePatch", "PromotionIn",
                 "PromotionPatch"):
        multiplier = schemas[name]["properties"]["multiplier"]
        assert (multiplier["minimum"], multiplier["maximum"]) == (1, 10), name
    assert schemas["TierIn"]["properties"]["multiplier"]["default"] == 1
