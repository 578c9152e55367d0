"""The demo shop's catalogue, customers and order-line arithmetic for the scenario generator.

A scenario needs order lines whose figures obey the Nets rules exactly (net =
round_half_up(unitPrice × quantity), taxAmount = round_half_up(net × taxRate / 10000),
gross = net + tax), so the booking code can be checked to the öre. Everything here is
integer arithmetic: quantities are held as hundredths of a unit (150 = 1.5 kg) and only
turned into a ``Decimal`` when written into the JSON.

Order-line and consumer dicts are shared between payments (a catalogue line bought in the
same quantity is the same dict): that keeps a 100 000-payment scenario small in memory.
Treat every dict the generator returns as read-only.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from dibs_fortnox.money import round_half_up_div

JsonDict = dict[str, Any]

# ISO 3166-1 alpha-3 codes of the EU member states other than Sweden: an EU consumer buys
# with Swedish VAT (distance sales under the threshold), and the sale goes to the EU account.
EU_COUNTRIES = frozenset(
    {
        "AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA", "DEU", "GRC",
        "HUN", "IRL", "ITA", "LVA", "LTU", "LUX", "MLT", "NLD", "POL", "PRT", "ROU", "SVK",
        "SVN", "ESP",
    }
)  # fmt: skip

# Minor units of one price unit in each currency, as a ratio to the SEK catalogue price.
PRICE_SCALE: dict[str, tuple[int, int]] = {
    "SEK": (1, 1),
    "NOK": (1, 1),
    "DKK": (7, 10),
    "EUR": (1, 10),
}
FIXED_FEE: dict[str, int] = {"SEK": 180, "NOK": 180, "DKK": 130, "EUR": 18}
FLEXIBLE_FEE_BASIS_POINTS = 149  # 1.49 % of the action amount


@dataclass(frozen=True)
class Product:
    """A catalogue item.

    Attributes:
        reference: the SKU Nets reports as ``reference``.
        name: the line text.
        unit: ``pcs`` or ``kg``.
        unit_price: SEK öre per unit, excluding VAT.
        tax_rate: Swedish VAT as percent × 100 (2500 = 25 %).
        quantities: the amounts customers buy, in hundredths of a unit (150 = 1.5 kg).
    """

    reference: str
    name: str
    unit: str
    unit_price: int
    tax_rate: int
    quantities: tuple[int, ...]


CATALOGUE: tuple[Product, ...] = (
    Product("TS-RED-M", "T-shirt red M", "pcs", 16000, 2500, (100, 200, 300)),
    Product("HOODIE-GRY-L", "Hoodie grey L", "pcs", 47920, 2500, (100, 200)),
    Product("MUG-BLUE", "Mug blue", "pcs", 7920, 2500, (100, 200, 400)),
    Product("COFFEE-KG", "Coffee beans, dark roast", "kg", 23900, 1200, (50, 75, 150, 225)),
    Product("TEA-KG", "Loose tea, green", "kg", 31533, 1200, (25, 50, 125)),
    Product("CHOC-70", "Dark chocolate 70 %", "pcs", 2990, 1200, (100, 300, 500)),
    Product("BOOK-COOK", "Cookbook: Nordic baking", "pcs", 24900, 600, (100,)),
    Product("MAG-ISSUE", "Magazine, single issue", "pcs", 5900, 600, (100, 200)),
)
SHIPPING = Product("SHIPPING", "Shipping", "pcs", 3920, 2500, (100,))

# (country, city, postal code, phone prefix, weight): most buyers are Swedish.
_PLACES: tuple[tuple[str, str, str, str, int], ...] = (
    ("SWE", "STOCKHOLM", "11522", "+46", 30),
    ("SWE", "GÖTEBORG", "41301", "+46", 15),
    ("SWE", "MALMÖ", "21145", "+46", 10),
    ("SWE", "UPPSALA", "75320", "+46", 5),
    ("DEU", "BERLIN", "10115", "+49", 6),
    ("FIN", "HELSINKI", "00100", "+358", 6),
    ("DNK", "KØBENHAVN K", "1050", "+45", 5),
    ("FRA", "PARIS", "75001", "+33", 4),
    ("NLD", "AMSTERDAM", "1012", "+31", 4),
    ("NOR", "OSLO", "0150", "+47", 6),
    ("GBR", "LONDON", "SW1A 1AA", "+44", 4),
    ("USA", "NEW YORK", "10001", "+1", 3),
    ("CHE", "ZÜRICH", "8001", "+41", 2),
)
_FIRST = ("Anna", "Erik", "Maria", "Lars", "Karin", "Johan", "Lena", "Mikael", "Sara", "Olof")
_LAST = ("Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Berg", "Lind")
_STREETS = ("Solgatan", "Storgatan", "Hamnvägen", "Kyrkogatan", "Parkstraße", "Main Street")


def is_zero_vat_country(country: str) -> bool:
    """Outside Sweden and the EU a sale is an export: every line gets taxRate 0."""
    return country != "SWE" and country not in EU_COUNTRIES


# VAT-number prefixes of the EU countries the demo sells to (ISO alpha-2).
VAT_PREFIX = {"DEU": "DE", "FIN": "FI", "DNK": "DK", "FRA": "FR", "NLD": "NL"}


def is_zero_vat_consumer(consumer: JsonDict) -> bool:
    """An export, or an EU company with a VAT number (reverse charge): taxRate 0 on every line."""
    country = consumer["shippingAddress"]["country"]
    number = str((consumer.get("company") or {}).get("registrationNumber") or "")
    business = country in VAT_PREFIX and number.startswith(VAT_PREFIX[country])
    return is_zero_vat_country(country) or business


def quantity_json(hundredths: int) -> int | Decimal:
    """The JSON value of a quantity: an int when whole, else an exact Decimal (1.5, 0.75)."""
    if hundredths % 100 == 0:
        return hundredths // 100
    return Decimal(hundredths) / Decimal(100)


def scale_price(sek_ore: int, currency: str) -> int:
    """The catalogue price in another currency's minor units (whole minor units)."""
    num, den = PRICE_SCALE[currency]
    return round_half_up_div(sek_ore * num, den)


def make_line(
    reference: str, name: str, unit: str, unit_price: int, hundredths: int, tax_rate: int
) -> JsonDict:
    """One Nets order line with net, tax and gross computed the Nets way, in integers."""
    net = round_half_up_div(unit_price * hundredths, 100)
    tax = round_half_up_div(net * tax_rate, 10000)
    return {
        "reference": reference,
        "name": name,
        "quantity": quantity_json(hundredths),
        "unit": unit,
        "unitPrice": unit_price,
        "taxRate": tax_rate,
        "taxAmount": tax,
        "grossTotalAmount": net + tax,
        "netTotalAmount": net,
    }


class LineBook:
    """Builds order lines and hands out one shared dict per distinct line."""

    def __init__(self) -> None:
        self._lines: dict[tuple[str, str, str, int, int, int], JsonDict] = {}

    def line(
        self, reference: str, name: str, unit: str, unit_price: int, hundredths: int, tax_rate: int
    ) -> JsonDict:
        key = (reference, name, unit, unit_price, hundredths, tax_rate)
        found = self._lines.get(key)
        if found is None:
            found = self._lines[key] = make_line(*key)
        return found

    def product_line(
        self, product: Product, hundredths: int, currency: str, zero_vat: bool
    ) -> JsonDict:
        rate = 0 if zero_vat else product.tax_rate
        price = scale_price(product.unit_price, currency)
        return self.line(product.reference, product.name, product.unit, price, hundredths, rate)

    def discount_line(self, of_net: int, tax_rate: int) -> JsonDict:
        """A negative line giving 10 % off ``of_net``, at the VAT rate of the discounted goods."""
        amount = round_half_up_div(of_net, 10)
        return self.line("DISCOUNT", "Discount 10 %", "pcs", -amount, 100, tax_rate)


def hundredths_of(line: JsonDict) -> int:
    """The quantity of a line as hundredths of a unit (exact; quantities have ≤ 2 decimals)."""
    quantity = line["quantity"]
    if isinstance(quantity, int):
        return quantity * 100
    return int(Decimal(quantity) * 100)


def build_customers(rng: random.Random, count: int) -> list[JsonDict]:
    """A pool of ``consumer`` objects, weighted towards Sweden; a few are Swedish companies."""
    places = [place for place in _PLACES for _ in range(place[4])]
    customers: list[JsonDict] = []
    for _ in range(count):
        country, city, postal, prefix, _weight = rng.choice(places)
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        phone = {"prefix": prefix, "number": str(rng.randrange(700000000, 799999999))}
        address = {
            "addressLine1": f"{rng.choice(_STREETS)} {rng.randrange(1, 90)}",
            "addressLine2": "",
            "receiverLine": f"{first} {last}",
            "postalCode": postal,
            "city": city,
            "country": country,
            "phoneNumber": phone,
        }
        email = f"{first}.{last}{rng.randrange(100)}@example.com".lower()
        person: JsonDict = {"firstName": first, "lastName": last, "email": email,
                            "phoneNumber": phone}  # fmt: skip
        company: JsonDict = {}
        if country in VAT_PREFIX and len(customers) % 4 == 3:
            # An EU company buying with its VAT number: reverse charge, no VAT on the lines.
            # Chosen by position, not by the random stream, so adding companies left every
            # other draw (and so the payments and payouts of a seed) as it was.
            company = {
                "name": f"{last} Trading",
                "registrationNumber": f"{VAT_PREFIX[country]}{100000000 + 7919 * len(customers)}",
                "contactDetails": person,
            }
            person = {}
        elif country == "SWE" and rng.randrange(10) == 0:
            company = {
                "name": f"{last} Konsult AB",
                "registrationNumber": f"55{rng.randrange(10**7, 10**8)}",
                "contactDetails": person,
            }
            person = {}
        customers.append(
            {
                "shippingAddress": address,
                "billingAddress": address,
                "privatePerson": person,
                "company": company,
            }
        )
    return customers
