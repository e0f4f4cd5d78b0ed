"""The console's pinned assets and translation catalogues are what their manifests say."""
from console import i18n, vendor


def test_the_vendored_assets_are_the_ones_the_manifest_pins():
    assert vendor.check() == []
    for package in vendor.manifest()["packages"]:
        assert package["version"] and package["licence"]
        assert any("LICENSE" in name for name in package["files"])


def test_pages_load_assets_only_from_this_app(console, factory):
    page = console(factory.staff("cashier")).get("/console/scan").get_data(as_text=True)
    assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page


def test_every_string_has_a_chinese_translation_and_the_catalogues_are_built():
    assert i18n.main(["i18n", "--check"]) == 0


def test_csv_export_opens_in_excel_with_chinese(console, factory):
    response = console(factory.staff("cashier")).get("/console/today.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith("\ufeff".encode()) and "订单".encode() in response.data
