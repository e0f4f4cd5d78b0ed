"""The points mall's forms (marketers, HQ): what is typed, parsed (yuan to fen, times in the
business time zone); the API's schemas (mall.schemas) then check the payload."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, DateTimeLocalField, IntegerField,
                     MultipleFileField, SelectField, SelectMultipleField, StringField,
                     TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Optional

from console.forms import REQUIRED, YuanField

KIND_CHOICES = [SelectChoice("gift", _l("Gift (picked up in a store)")),
                SelectChoice("coupon", _l("Coupon (used at the till)")),
                SelectChoice("virtual", _l("Virtual (fulfilled at once)"))]
STATUS_CHOICES = [SelectChoice("", _l("All")), SelectChoice("pending", _l("waiting for pickup")),
                  SelectChoice("fulfilled", _l("picked up")),
                  SelectChoice("cancelled", _l("cancelled")),
                  SelectChoice("expired", _l("expired"))]
TIME = "%Y-%m-%dT%H:%M"


def codes(text: str | None) -> list[str]:
    return [c.strip() for c in (text or "").replace("，", ",").split(",") if c.strip()]


class ProductForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(REQUIRED)])
    description = TextAreaField(_l("Description"))
    kind = SelectField(_l("Kind"), choices=KIND_CHOICES)
    category = StringField(_l("Category"))
    points_price = IntegerField(_l("Points price"), validators=[InputRequired(REQUIRED)])
    cash_price = YuanField(_l("Cash on top (yuan, gifts only, paid at pickup)"))
    stock = IntegerField(_l("Stock"), validators=[Optional()])
    per_member_limit = IntegerField(_l("Units per member (0 = no limit)"), default=0,
                                    validators=[Optional()])
    tier_required = SelectField(_l("Lowest tier that may redeem"), choices=[],
                                validate_choice=False)
    store_codes = StringField(_l("Stores (codes, comma-separated; empty: every store)"))
    starts_at = DateTimeLocalField(_l("On sale from (empty: now)"), format=TIME,
                                   validators=[Optional()])
    ends_at = DateTimeLocalField(_l("On sale until (empty: no end)"), format=TIME,
                                 validators=[Optional()])
    pickup_days = IntegerField(_l("Days to pick up (gifts)"), default=30,
                               validators=[Optional()])
    coupon_deduct = YuanField(_l("Coupon: takes off (yuan)"))
    coupon_min_spend = YuanField(_l("Coupon: minimum order (yuan)"))
    coupon_valid_days = IntegerField(_l("Coupon: valid for (days)"), validators=[Optional()])
    images = MultipleFileField(_l("Add images (JPEG, PNG or WebP; at most 5 MiB each)"))
    keep_images = SelectMultipleField(_l("Images"), choices=[], validate_choice=False)
    active = BooleanField(_l("On sale (members can see it)"), default=True)

    def payload(self, zone, *, new: bool) -> dict:
        """What the API's ProductIn (new) or ProductFields takes, images aside."""
        data = {"title": (self.title.data or "").strip(),
                "description": (self.description.data or "").strip() or None,
                "category": (self.category.data or "").strip() or None,
                "points_price": self.points_price.data,
                "cash_price_fen": self.cash_price.fen or 0,
                "per_member_limit": self.per_member_limit.data or 0,
                "tier_required": self.tier_required.data or None,
                "store_codes": codes(self.store_codes.data),
                "starts_at": _aware(self.starts_at.data, zone),
                "ends_at": _aware(self.ends_at.data, zone),
                "coupon": self._coupon()}
        if self.pickup_days.data is not None:
            data["pickup_days"] = self.pickup_days.data
        if data["coupon"] is None:
            del data["coupon"]
        if new:
            data.update(kind=self.kind.data, stock=self.stock.data)
        else:
            data["active"] = self.active.data
        return data

    def _coupon(self) -> dict | None:
        if self.kind.data != "coupon":
            return None
        terms = {"deduct_fen": self.coupon_deduct.fen, "valid_days": self.coupon_valid_days.data,
                 "min_spend_fen": self.coupon_min_spend.fen or 0}
        return {k: v for k, v in terms.items() if v is not None}


def _aware(moment, zone):
    return moment.replace(tzinfo=zone).isoformat() if moment else None


class StockForm(FlaskForm):
    delta = IntegerField(_l("Units to add (negative: remove)"),
                         validators=[InputRequired(REQUIRED)])
    reason = StringField(_l("Reason"), validators=[DataRequired(REQUIRED)])


class CancelForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(REQUIRED)])


class ProductFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter: nothing changes

    kind = SelectField(_l("Kind"), choices=[SelectChoice("", _l("All"))] + KIND_CHOICES)
    category = StringField(_l("Category"))
    active = SelectField(_l("State"), choices=[
        SelectChoice("", _l("All")), SelectChoice("1", _l("On sale")),
        SelectChoice("0", _l("Taken off"))])


class _DatesFilter(FlaskForm):
    class Meta:
        csrf = False

    member_no = StringField(_l("Member number"))
    product_id = IntegerField(_l("Product id"), validators=[Optional()])
    store_code = StringField(_l("Store code"))
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])

    def chosen(self) -> dict:
        """The filters given, as the API's query takes them."""
        values = {"member_no": (self.member_no.data or "").strip() or None,
                  "product_id": self.product_id.data,
                  "store_code": (self.store_code.data or "").strip() or None,
                  "date_from": self.date_from.data, "date_to": self.date_to.data}
        return {k: v for k, v in values.items() if v is not None}


class RedemptionFilterForm(_DatesFilter):
    status = SelectField(_l("Status"), choices=STATUS_CHOICES)

    def chosen(self) -> dict:
        return {**super().chosen(), **({"status": self.status.data} if self.status.data else {})}


class CouponFilterForm(_DatesFilter):
    pass
