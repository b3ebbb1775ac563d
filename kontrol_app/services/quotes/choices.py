"""What the Request a Quote form offers to choose from: item types, sizes, decorations (and the
job's decoration for each answer), placements and delivery; and a request's statuses."""

from __future__ import annotations

from kontrol_app.models import Decoration

ITEM_TYPES = {
    "tshirts": "T-shirts",
    "hoodies": "Hoodies",
    "polos": "Polos",
    "hats": "Hats",
    "bags": "Bags",
    "other": "Other",
}
ADULT_SIZES = ("XS", "S", "M", "L", "XL", "2XL", "3XL", "4XL", "5XL")
YOUTH_SIZES = ("YXS", "YS", "YM", "YL", "YXL")
ONE_SIZE = ("One size",)
SIZE_MODES = {"adult": ADULT_SIZES, "youth": YOUTH_SIZES, "one": ONE_SIZE}
DECORATIONS = {
    "screen_print": "Screen print",
    "embroidery": "Embroidery",
    "dtg": "DTG",
    "heat_transfer": "Heat transfer",
    "not_sure": "Not sure",
}
# The job's decoration for each answer: "not sure" becomes Other (the notes say so).
JOB_DECORATION = {
    "screen_print": Decoration.SCREEN_PRINT,
    "embroidery": Decoration.EMBROIDERY,
    "dtg": Decoration.DTG,
    "heat_transfer": Decoration.HEAT_TRANSFER,
    "not_sure": Decoration.OTHER,
}
PLACEMENTS = {"front": "Front", "back": "Back", "left_chest": "Left chest", "sleeve": "Sleeve", "other": "Other"}
DELIVERY = {"pickup": "Pickup", "shipping": "Shipping"}
STATUS_LABELS = {"new": "New", "quoted": "Quoted", "converted": "Converted to order", "declined": "Declined"}
