"""The console's forms: what a person types, parsed (yuan to fen, numbers) with messages in
their language. The API's own input schemas then check the payload (console.views.load), so
a rule is written once."""
import secrets

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, DateTimeLocalField, DecimalField, FieldList,
                     FormField, HiddenField, IntegerField, PasswordField, SelectField,
                     StringField, TextAreaField)
from wtforms import Form
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Optional

from console.money import NotYuan, yuan_to_fen

REQUIRED = _l("Required.")


class YuanField(StringField):
    """An amount typed in yuan ("12.50"); `.fen` is it in fen, exactly."""

    fen: int | None = None

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        self.fen = None
        if self.data and self.data.strip():
            try:
                self.fen = yuan_to_fen(self.data)
            except NotYuan:
                raise ValueError(_l("An amount in yuan with at most two decimals, e.g. 12.50."))


def new_key() -> str:
    """A fresh key for a form that must act once however often it is sent."""
    return secrets.token_hex(8)


class SignInForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(REQUIRED)])
    password = PasswordField(_l("Password"), validators=[DataRequired(REQUIRED)])


class ScanForm(FlaskForm):
    code = StringField(_l("Member code, phone or member number"),
                       validators=[DataRequired(REQUIRED)])


class StoreForm(FlaskForm):
    store_code = HiddenField(validators=[DataRequired(REQUIRED)])


class ItemForm(Form):
    category = StringField(_l("Category"))
    amount = YuanField(_l("Amount (yuan)"))


class PurchaseForm(FlaskForm):
    order_no = StringField(_l("Order number"), validators=[DataRequired(REQUIRED)])
    amount = YuanField(_l("Amount (yuan)"), validators=[DataRequired(REQUIRED)])
    items = FieldList(FormField(ItemForm), min_entries=3, max_entries=20)

    def item_lines(self) -> list[dict]:
        return [{"category": item.category.data.strip() or None, "amount_fen": item.amount.fen,
                 "quantity": 1}
                for item in self.items if item.amount.fen is not None]


class QuoteForm(FlaskForm):
    amount = YuanField(_l("Order amount (yuan)"), validators=[DataRequired(REQUIRED)])


class DeductionForm(FlaskForm):
    amount = YuanField(_l("Order amount (yuan)"), validators=[DataRequired(REQUIRED)])
    order_no = StringField(_l("Order number"), validators=[DataRequired(REQUIRED)])
    points = IntegerField(_l("Points to use"), validators=[InputRequired(REQUIRED)])


class RefundForm(FlaskForm):
    order_no = StringField(_l("Order number"), validators=[DataRequired(REQUIRED)])
    amount = YuanField(_l("Refund amount (yuan)"), validators=[DataRequired(REQUIRED)])
    refund_no = HiddenField(default=new_key)


class PickupForm(FlaskForm):
    pickup_code = StringField(_l("Pickup code"), validators=[DataRequired(REQUIRED)])


class CouponForm(FlaskForm):
    coupon_code = StringField(_l("Coupon code"), validators=[DataRequired(REQUIRED)])
    order_amount = YuanField(_l("Order amount (yuan)"), validators=[Optional()])


class AdjustForm(FlaskForm):
    delta = IntegerField(_l("Points (+ to add, − to take off)"),
                         validators=[InputRequired(REQUIRED)])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(REQUIRED)])
    key = HiddenField(default=new_key)


class AuditFilterForm(Form):
    """The audit log's filters (a GET form: it changes nothing, so no CSRF token)."""
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
    staff = StringField(_l("Staff username"), validators=[Optional()])
    action = SelectField(_l("Action"), validators=[Optional()])


# --- lotteries (marketers, HQ) ----------------------------------------------------------------

class PrizeRowForm(Form):
    """One line of a prize table. `id` names an existing line (its kind and stock then stay:
    stock changes go through the stock form, with a reason)."""

    id = HiddenField()
    name = StringField(_l("Prize"))
    kind = SelectField(_l("Kind"), choices=[
        SelectChoice("points", _l("Points")), SelectChoice("coupon", _l("Coupon")),
        SelectChoice("gift", _l("Gift")), SelectChoice("none", _l("Nothing (thanks)"))])
    weight = IntegerField(_l("Weight"), validators=[Optional()])
    stock = IntegerField(_l("Stock (empty: unlimited)"), validators=[Optional()])
    points = IntegerField(_l("Points"), validators=[Optional()])
    product_id = IntegerField(_l("Mall product id"), validators=[Optional()])
    value = YuanField(_l("Value (yuan)"))

    def line(self) -> dict | None:
        """The API's prize line, or None for an empty row."""
        if not (self.name.data or "").strip():
            return None
        line = {"name": self.name.data.strip(), "kind": self.kind.data,
                "weight": self.weight.data}
        if self.id.data:
            line["id"] = int(self.id.data)
        else:
            line["stock"] = self.stock.data
        for key, value in (("points", self.points.data), ("product_id", self.product_id.data),
                           ("value_fen", self.value.fen)):
            if value is not None:
                line[key] = value
        return line


class LotteryForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(REQUIRED)])
    description = TextAreaField(_l("Description"))
    cost_points = IntegerField(_l("Points per draw"), validators=[InputRequired(REQUIRED)])
    starts_at = DateTimeLocalField(_l("Starts"), format="%Y-%m-%dT%H:%M",
                                   validators=[InputRequired(REQUIRED)])
    ends_at = DateTimeLocalField(_l("Ends"), format="%Y-%m-%dT%H:%M",
                                 validators=[InputRequired(REQUIRED)])
    daily_limit = IntegerField(_l("Draws per member per day (empty: no limit)"),
                               validators=[Optional()])
    total_limit = IntegerField(_l("Draws per member in all (empty: no limit)"),
                               validators=[Optional()])
    store_codes = StringField(_l("Stores (codes, comma-separated; empty: every store)"))
    budget_points = IntegerField(_l("Points budget (empty: none)"), validators=[Optional()])
    budget = YuanField(_l("Prize value budget (yuan; empty: none)"))
    prizes = FieldList(FormField(PrizeRowForm), min_entries=6, max_entries=20)

    def payload(self, zone) -> dict:
        """What the API's LotteryIn takes; times typed in the business time zone."""
        return {
            "name": self.name.data.strip(), "description": self.description.data or None,
            "cost_points": self.cost_points.data,
            "starts_at": self.starts_at.data.replace(tzinfo=zone).isoformat(),
            "ends_at": self.ends_at.data.replace(tzinfo=zone).isoformat(),
            "daily_limit": self.daily_limit.data, "total_limit": self.total_limit.data,
            "store_codes": [c.strip() for c in (self.store_codes.data or "").split(",")
                            if c.strip()],
            "budget_points": self.budget_points.data, "budget_fen": self.budget.fen,
            "prizes": [line for row in self.prizes if (line := row.form.line()) is not None],
        }


class PrizeStockForm(FlaskForm):
    delta = IntegerField(_l("Units to add (negative: remove)"),
                         validators=[InputRequired(REQUIRED)])
    reason = StringField(_l("Reason"), validators=[DataRequired(REQUIRED)])


class DrawFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter: nothing changes

    member_no = StringField(_l("Member number"))
    prize_id = SelectField(_l("Prize"), choices=[], validate_choice=False)
    status = SelectField(_l("Outcome"), choices=[
        SelectChoice("", _l("All")), SelectChoice("won", _l("Won")),
        SelectChoice("lost", _l("Nothing won")), SelectChoice("cancelled", _l("Cancelled"))])
class CampaignForm(FlaskForm):
    """A store's own campaign: a bonus or a multiplier, between two business dates."""
    name = StringField(_l("Campaign name"), validators=[DataRequired(REQUIRED)])
    kind = SelectField(_l("Kind"), choices=[SelectChoice("bonus", _l("Bonus points per order")),
                                            SelectChoice("multiplier", _l("Points multiplier"))])
    value = DecimalField(_l("Bonus points, or multiplier (e.g. 1.5)"), places=2,
                         validators=[InputRequired(REQUIRED)])
    starts = DateField(_l("First day"), validators=[InputRequired(REQUIRED)])
    ends = DateField(_l("Last day"), validators=[InputRequired(REQUIRED)])
    min_amount = YuanField(_l("Minimum order (yuan)"), validators=[Optional()])


class RejectForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(REQUIRED)])


class StorePolicyForm(FlaskForm):
    max_multiplier = DecimalField(_l("Highest multiplier"), places=2,
                                  validators=[InputRequired(REQUIRED)])
    max_bonus_points = IntegerField(_l("Most bonus points per order"),
                                    validators=[InputRequired(REQUIRED)])
    monthly_budget_points = IntegerField(_l("Monthly points budget per store"),
                                         validators=[InputRequired(REQUIRED)])
    visit_points = IntegerField(_l("Points per visit (0 = no visit check-in)"),
                                validators=[InputRequired(REQUIRED)])
    approval_required = BooleanField(_l("HQ approves each campaign"))
    store_products_allowed = BooleanField(_l("Stores may offer their own gifts"))


# --- dashboard and reports (marketers, HQ) ----------------------------------------------------

class RangeForm(Form):
    """A date range and optionally one store (GET forms: they change nothing, no CSRF token)."""
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
    store = SelectField(_l("Store"), validators=[Optional()])
