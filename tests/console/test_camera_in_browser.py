"""The scan page's camera: a headless Chromium whose camera is a fake one playing a video of
the member code the member's GET /me/member-code issued — as the mini-program shows it, the
app's own GET /me/member-code.png, a QR code or a Code 128 barcode — reads the code with the
vendored reader (html5-qrcode) and opens the member card."""
import io

import pytest
import requests
from PIL import Image
from playwright.sync_api import expect

from tests.console.conftest import CHROMIUM, screenshot
from tests.console.test_till_in_browser import member_code, shop, sign_in  # noqa: F401 (shop)

pytestmark = pytest.mark.committing

FRAME = (640, 480)


def code_picture(base, factory, member, kind) -> Image.Image:
    """The picture of the code GET /me/member-code issued, as the mini-program shows it."""
    assert member_code(base, factory, member)  # issued (the picture shows the current code)
    png = requests.get(base + f"/api/v1/me/member-code.png?kind={kind}", timeout=10,
                       headers={"Authorization": f"Bearer {factory.member_token(member)}"})
    assert png.status_code == 200
    return Image.open(io.BytesIO(png.content)).convert("RGB")


def camera_video(path, picture: Image.Image, frames=10):
    """`picture` held up to a 640×480 camera, as a Y4M video (what Chromium's fake camera plays,
    looping): in the middle of a grey background, at its own size (a phone's screen)."""
    frame = Image.new("RGB", FRAME, (200, 200, 200))
    assert picture.width <= FRAME[0] * 0.8 and picture.height <= FRAME[1] * 0.8
    frame.paste(picture, ((FRAME[0] - picture.width) // 2, (FRAME[1] - picture.height) // 2))
    y, cb, cr = frame.convert("YCbCr").split()
    half = (FRAME[0] // 2, FRAME[1] // 2)
    planes = y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()  # 4:2:0
    with open(path, "wb") as video:
        video.write(f"YUV4MPEG2 W{FRAME[0]} H{FRAME[1]} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            video.write(b"FRAME\n" + planes)


@pytest.fixture
def camera_page(playwright, tmp_path):
    """camera_page(picture) → a page of a Chromium of its own whose camera shows `picture`
    (launch flags are per browser: the shared one has no camera)."""
    browsers = []

    def make(picture):
        video = tmp_path / f"camera-{len(browsers)}.y4m"
        camera_video(video, picture)
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={video}"])
        browsers.append(browser)
        context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="zh-CN")
        return context.new_page()

    yield make
    for browser in browsers:
        browser.close()


@pytest.mark.parametrize("kind", ["qr", "barcode"])
def test_the_camera_reads_a_member_code_and_opens_the_card(live_server, camera_page, factory,
                                                           shop, kind):  # noqa: F811
    page = camera_page(code_picture(live_server, factory, shop["member"], kind))
    sign_in(page, live_server, "cashier.sh.t")
    expect(page.locator("input[name=code]")).to_be_focused()
    page.click("button:has-text('使用摄像头')")
    expect(page.locator("[data-member-no]")).to_have_text(shop["member"].member_no,
                                                          timeout=20_000)
    assert page.url.endswith(f"/console/members/{shop['member'].member_no}")
    expect(page.locator("[data-balance]")).to_have_text("1000")
    screenshot(page, f"13-camera-{kind}-read")


def test_the_camera_shows_what_it_sees_until_a_code_is_read(live_server, camera_page,
                                                            shop):  # noqa: F811
    page = camera_page(Image.new("RGB", (300, 200), (255, 255, 255)))  # a blank phone screen
    sign_in(page, live_server, "cashier.sh.t")
    page.click("button:has-text('使用摄像头')")
    expect(page.locator("#camera video")).to_be_visible(timeout=10_000)
    page.wait_for_function("document.querySelector('#camera video').readyState >= 2")
    page.wait_for_timeout(1000)  # a few frames scanned, none read
    screenshot(page, "13-camera-viewfinder")
    assert page.url.endswith("/console/scan")
    expect(page.locator("input[name=code]")).to_have_value("")
