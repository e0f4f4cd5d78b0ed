"""Demo banners: the flash sale for every store, the check-in page, one for SH001 only."""
from sqlalchemy import select

from banners import service
from banners.models import Banner
from core.db import db
from mall.models import Product

IMAGES = "https://jifen.example.com/static/banners/"


def seed_demo() -> list[str]:
    if db.session.scalars(select(Banner)).first() is not None:
        return []
    sale = db.session.scalars(select(Product).filter_by(title="限时秒杀")).first()
    banners = [
        {"title": "限时秒杀 20:00 开抢", "image_url": IMAGES + "flash-sale.jpg",
         **({"link_type": "product", "link_target": str(sale.id)} if sale else {}),
         "sort_order": 1},
        {"title": "每日签到领积分", "image_url": IMAGES + "checkin.jpg", "link_type": "page",
         "link_target": "pages/checkin/index", "sort_order": 2},
        {"title": "人民广场店周三双倍积分", "image_url": IMAGES + "sh001-wednesday.jpg",
         "store_codes": ["SH001"], "sort_order": 3},
    ]
    for data in banners:
        service.save_banner(data)
    return ["Banners: 3 on the home page, one only at SH001 (GET /api/v1/banners?store_code=SH001)."]
