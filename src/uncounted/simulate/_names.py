"""Synthetic identifying data (names, birth dates, phone numbers) by citizenship.

The pools are small, invented-for-testing lists of common given and family names of each
country, in Latin transliteration; they exist so that linkage can be tested on realistic
spelling variation. No real person's data is used.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

GIVEN: dict[str, dict[str, tuple[str, ...]]] = {
    "PH": {
        "Female": ("Maria", "Angelica", "Jasmine", "Kristine", "Rowena", "Lorna", "Joy"),
        "Male": ("Jose", "Mark", "John Paul", "Rodel", "Ramon", "Arnel", "Jericho"),
    },
    "KH": {
        "Female": ("Sreymom", "Sokha", "Channary", "Bopha", "Sophea", "Dara", "Kunthea"),
        "Male": ("Sokhom", "Vannak", "Piseth", "Rithy", "Sambath", "Vuthy", "Chenda"),
    },
    "TH": {
        "Female": ("Siriporn", "Nattaya", "Kanya", "Malee", "Pimchanok", "Ratana", "Supaporn"),
        "Male": ("Somchai", "Anan", "Kittisak", "Prasert", "Somsak", "Wichai", "Chaiya"),
    },
    "MY": {
        "Female": ("Nurul", "Siti", "Aishah", "Mei Ling", "Priya", "Farah", "Liyana"),
        "Male": ("Ahmad", "Muhammad", "Wei Jie", "Ravi", "Hafiz", "Azlan", "Kumar"),
    },
    "ID": {
        "Female": ("Dewi", "Siti", "Putri", "Ayu", "Wulan", "Indah", "Rina"),
        "Male": ("Budi", "Agus", "Eko", "Joko", "Rizky", "Dedi", "Hendra"),
    },
    "MM": {
        "Female": ("Aye Aye", "Thandar", "Su Su", "Khin Myo", "Nilar", "Hnin Wai", "May Thu"),
        "Male": ("Aung Aung", "Kyaw Zin", "Min Thu", "Zaw Win", "Htet Naing", "Ko Ko", "Thura"),
    },
    "AU": {
        "Female": ("Emily", "Sarah", "Jessica", "Chloe", "Olivia", "Grace", "Ella"),
        "Male": ("Jack", "Thomas", "James", "Lachlan", "Liam", "Noah", "Oliver"),
    },
}

FAMILY: dict[str, tuple[str, ...]] = {
    "PH": ("Santos", "Reyes", "Cruz", "Bautista", "Ocampo", "Garcia", "Mendoza", "Dela Cruz"),
    "KH": ("Sok", "Chan", "Keo", "Chea", "Heng", "Phan", "Meas", "Ouk"),
    "TH": ("Saetang", "Srisuk", "Wongsa", "Chaiyaporn", "Boonmee", "Thongdee", "Kaewkla"),
    "MY": ("Abdullah", "Tan", "Lim", "Ismail", "Rahman", "Wong", "Subramaniam"),
    "ID": ("Santoso", "Wijaya", "Saputra", "Hidayat", "Kusuma", "Pratama", "Setiawan"),
    "MM": ("", "", "", "", "", "", ""),  # Burmese names have no family name
    "AU": ("Smith", "Jones", "Williams", "Brown", "Wilson", "Taylor", "Nguyen"),
}

DIAL: dict[str, str] = {
    "PH": "+63",
    "KH": "+855",
    "TH": "+66",
    "MY": "+60",
    "ID": "+62",
    "MM": "+95",
    "AU": "+61",
}


def random_identity(
    rng: np.random.Generator, citizenship: str, sex: str, birth_year: int
) -> dict[str, Any]:
    """One invented identity: names, birth date, identity number and phone."""
    country = citizenship if citizenship in GIVEN else "PH"
    pool = GIVEN[country].get(sex, GIVEN[country]["Female"])
    birth = dt.date(int(birth_year), 1, 1) + dt.timedelta(days=int(rng.integers(0, 365)))
    return {
        "given_name": str(rng.choice(pool)),
        "family_name": str(rng.choice(FAMILY[country])) or None,
        "other_names": None,
        "birth_date": birth.isoformat(),
        "identity_number": f"{country}{int(rng.integers(10**7, 10**8))}",
        "phone": f"{DIAL[country]}{int(rng.integers(10**8, 10**9))}",
        "email": None,
        "address": None,
    }
